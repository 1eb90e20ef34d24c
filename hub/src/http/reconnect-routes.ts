import type { FastifyInstance } from 'fastify';
import { HubError } from '../core/errors';
import { RECONNECT_PATH } from '../core/presave/reconnect';
import type { HubServices } from '../services';
import { sendPage } from './html';
import { presavePaths } from './presave-paths';
import { PLATFORM_NAMES } from './presave-strings';
import { messageBody, PRESAVE_STYLE } from './presave-views';

/** What the fan sees when the consent round trip from a reconnect link renewed their connection. */
export function reconnectedText(platform: keyof typeof PLATFORM_NAMES): {
	title: string;
	text: string;
} {
	return {
		title: 'You’re reconnected',
		text: `Thanks! Your ${PLATFORM_NAMES[platform]} connection works again: the releases you pre-saved will be saved to your library as planned.`,
	};
}

/**
 * `/r/<reference>`: a fan's signed, expiring reconnect link. It leads through the same
 * consent round trip as the pre-save page (its connect step, on the campaign the fan
 * pre-saved last on that platform), marked so the callback renews this fan's grant.
 */
export function registerReconnectPages(app: FastifyInstance, services: HubServices): void {
	const { reconnects } = services.presave;
	const refuse = (reply: Parameters<typeof sendPage>[0], status: number, text: string) =>
		sendPage(reply, status, 'This link does not work', messageBody(text), {
			lang: 'en',
			style: PRESAVE_STYLE,
		});

	app.get(`${RECONNECT_PATH}/:reference`, async (request, reply) => {
		const reference = (request.params as { reference: string }).reference;
		const target = reconnects.links.read(reference, services.clock());
		if (target === 'invalid')
			return refuse(
				reply,
				404,
				'This reconnect link is not one we sent. Check that it was copied whole.',
			);
		if (target === 'expired') {
			return refuse(
				reply,
				410,
				'This reconnect link has expired. Look out for a newer one from us.',
			);
		}
		const campaign = await reconnects
			.campaignFor(target.fanId, target.platform)
			.catch((error: unknown) => {
				if (error instanceof HubError && error.httpStatus < 500) return undefined;
				throw error;
			});
		if (!campaign) return refuse(reply, 404, 'There is nothing left to reconnect for this link.');
		const query = new URLSearchParams({ r: reference, lang: campaign.locale });
		return reply
			.headers({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
			.redirect(`${presavePaths.connect(campaign.slug, target.platform)}?${query}`, 302);
	});
}
