import type { Page } from 'playwright-core';
import { SANDBOX_TWILIO, type MessagingSandbox } from '../../sandbox/src/messaging';
import { eventually } from './eventually';

/**
 * What a fan does with the hub's confirmation messages, as the fan does it: answers the
 * text through a Twilio-signed inbound webhook, taps the email's link and confirms.
 */

/** Once the hub has texted `phone`, the fan replies `body`; answers the webhook's result. */
export async function textBack(
	messaging: MessagingSandbox,
	hubUrl: string,
	phone: string,
	body: string,
) {
	await eventually(
		`a text to ${phone}`,
		() => messaging.twilio.sent().some((sms) => sms.to === phone) || undefined,
	);
	return messaging.twilio.inbound(`${hubUrl}/webhooks/twilio/sms`, {
		From: phone,
		To: SANDBOX_TWILIO.from,
		Body: body,
	});
}

/** The fan opens the confirmation email's link on `page` and confirms on the page it opens. */
export async function confirmEmail(messaging: MessagingSandbox, page: Page, address: string) {
	const mail = await messaging.smtp.waitFor((email) => email.to.includes(address), 10_000);
	const link = mail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)?.[0];
	if (!link) throw new Error(`the email to ${address} has no confirmation link`);
	await page.goto(link);
	await page.locator('form button[type="submit"]').click();
	await page.waitForLoadState();
}
