import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderError, type SmsMessage, type SmsSender } from '../core/messaging';
import { ProviderUnreachable, sendProviderRequest } from './http-client';

export interface TwilioConfig {
	accountSid: string;
	authToken: string;
	/** The sending number (E.164) or a Messaging Service SID (MG…). */
	from: string;
	apiUrl: string;
}

// Twilio error codes that will not change on retry: invalid or unreachable number, recipient opted out.
const PERMANENT_CODES = new Set([21211, 21214, 21408, 21610, 21612, 21614]);

/**
 * Twilio's request signature: base64 HMAC-SHA1, keyed with the auth token, over the
 * full URL Twilio called followed by each POST parameter name and value, names sorted.
 */
export function twilioSignature(
	authToken: string,
	url: string,
	params: Record<string, string>,
): string {
	const data = Object.keys(params)
		.sort()
		.reduce((text, name) => text + name + params[name], url);
	return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function verifyTwilioSignature(
	authToken: string,
	url: string,
	params: Record<string, string>,
	signature: string | undefined,
): boolean {
	if (!signature) return false;
	const expected = Buffer.from(twilioSignature(authToken, url, params));
	const given = Buffer.from(signature);
	return expected.length === given.length && timingSafeEqual(expected, given);
}

export class TwilioSms implements SmsSender {
	constructor(private readonly config: TwilioConfig) {}

	async send(message: SmsMessage): Promise<{ providerMessageId: string }> {
		const form = new URLSearchParams({ To: message.to, Body: message.body });
		form.set(this.config.from.startsWith('MG') ? 'MessagingServiceSid' : 'From', this.config.from);
		const credentials = Buffer.from(`${this.config.accountSid}:${this.config.authToken}`).toString(
			'base64',
		);
		let response;
		try {
			response = await sendProviderRequest({
				provider: 'twilio',
				method: 'POST',
				url: `${this.config.apiUrl}/2010-04-01/Accounts/${this.config.accountSid}/Messages.json`,
				headers: { authorization: `Basic ${credentials}` },
				body: { form: Object.fromEntries(form) },
			});
		} catch (error) {
			if (!(error instanceof ProviderUnreachable)) throw error;
			throw new ProviderError('twilio', error.message, false);
		}
		const body = (
			typeof response.body === 'object' && response.body !== null ? response.body : {}
		) as {
			sid?: string;
			code?: number;
			message?: string;
		};
		if (response.ok && body.sid) return { providerMessageId: body.sid };
		throw new ProviderError(
			'twilio',
			`Twilio refused the message (HTTP ${response.status}${body.code ? `, code ${body.code}` : ''}): ${body.message ?? 'no detail'}`,
			body.code !== undefined && PERMANENT_CODES.has(body.code),
			response.header('retry-after') !== undefined ? response.retryAfterMs : undefined,
		);
	}
}
