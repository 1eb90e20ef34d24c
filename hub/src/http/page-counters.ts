import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DIRECT_SOURCE, normalizeSource, type PageStep } from '../core/insights/page-counters';
import type { Logger } from '../core/logger';
import type { Campaign } from '../core/model';
import type { HubServices } from '../services';

/**
 * Link-preview fetchers and crawlers open a shared link without a fan behind them:
 * counting them would inflate the top of the funnel each time the link is posted.
 */
const NOT_A_FAN =
	/bot\b|bot\/|crawler|spider|facebookexternalhit|facebookcatalog|embedly|iframely|preview|slurp|whatsapp|slack|skypeuripreview|vkshare|pinterest|linkedin|bluesky|mastodon|google-pagerenderer|snapchat|headlesschrome.*lighthouse/i;

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

type Fields = Record<string, unknown>;

/** The source a page link names (`src`, else `utm_source`), if it names one. */
export function linkSourceOf(query: Fields): string | undefined {
	const raw = typeof query.src === 'string' ? query.src : query.utm_source;
	const source = normalizeSource(typeof raw === 'string' ? raw : undefined);
	return source === DIRECT_SOURCE ? undefined : source;
}

/** The campaign a page handler already read for its request: the counter does not read it again. */
const campaignsRead = new WeakMap<FastifyRequest, Campaign>();

/** Called by a counted page's handler with the campaign it served. */
export function rememberCampaign(request: FastifyRequest, campaign: Campaign): void {
	campaignsRead.set(request, campaign);
}

/** The source a page request counts under: the link's, else direct. */
export const pageSourceOf = (query: Fields) => linkSourceOf(query) ?? DIRECT_SOURCE;

/** Which funnel steps a finished request of a pre-save page counts as, if any. */
function stepsOf(route: string | undefined, status: number): PageStep[] {
	if (route === '/c/:slug') return status === 200 ? ['view'] : [];
	// The platform answered with its consent screen (a redirect, or Apple's MusicKit page) only on success.
	if (route === '/c/:slug/connect/:platform') {
		if (status === 302 || status === 200) return ['click', 'consent'];
		return status === 404 || status >= 500 ? [] : ['click'];
	}
	return [];
}

/**
 * Counts the pre-save funnel's top on the server, after the page is sent: a view, a
 * platform button, a consent screen reached. No cookie is set and nothing about the
 * visitor is kept; only a daily count per campaign, source, platform and step.
 */
export function registerPageCounters(
	app: FastifyInstance,
	services: HubServices,
	logger: Logger,
): void {
	const counters = services.ledger.pageCounters;
	app.addHook('onResponse', async (request, reply) => {
		if (request.method !== 'GET') return;
		const steps = stepsOf(request.routeOptions.url, reply.statusCode);
		if (steps.length === 0 || NOT_A_FAN.test(request.headers['user-agent'] ?? '')) return;
		// A reconnect link runs the same consent round trip for a fan who already pre-saved: not the funnel.
		if ((request.query as Fields | undefined)?.r !== undefined) return;
		const params = (request.params ?? {}) as Fields;
		const slug = String(params.slug ?? '');
		if (!SLUG.test(slug)) return;
		try {
			const campaign = campaignsRead.get(request) ?? (await services.ledger.campaigns.get(slug));
			const platform = typeof params.platform === 'string' ? params.platform : '';
			// Only platforms the campaign offers: a made-up path segment must not open a counter of its own.
			if (platform && !Object.keys(campaign.platforms).includes(platform)) return;
			for (const step of steps)
				counters.count(campaign.id, step, pageSourceOf((request.query ?? {}) as Fields), platform);
		} catch (error) {
			logger.warn('page counter not written', {
				path: request.url.split('?')[0],
				error: (error as Error).message,
			});
		}
	});
}
