import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { insightsCsv } from '../core/insights/csv';
import { Insights, type InsightsReport } from '../core/insights/insights';
import { MS_PER_DAY, type InsightsFilter } from '../core/insights/scope';
import { HubError } from '../core/errors';
import type { HubServices } from '../services';
import { route, type Route } from './route';

const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const insightsQuery = z
	.object({
		from: instant
			.optional()
			.describe('Start of the window: a date (UTC) or an ISO instant, inclusive'),
		to: instant
			.optional()
			.describe(
				'End of the window: a date (that whole UTC day counts) or an ISO instant, exclusive',
			),
		source: z
			.string()
			.trim()
			.min(1)
			.max(64)
			.optional()
			.describe(
				"Only fans who came in through this source: the page link's src/utm_source, the action's source",
			),
	})
	.strict();

type InsightsQuery = z.infer<typeof insightsQuery>;

/** A window as the core reads it; a bare `to` date includes that whole day. */
export function filterOf(query: InsightsQuery): InsightsFilter {
	const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
	const toMs =
		query.to === undefined
			? undefined
			: Date.parse(query.to) + (query.to.length === 10 ? MS_PER_DAY : 0);
	if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
		throw new HubError('validation_failed', 'Invalid query. from must be before to.');
	return { fromMs, toMs, source: query.source };
}

const count = z.number().int();
const funnelCounts = { views: count, clicks: count, consents: count, presaves: count };
const insightsReport = z.object({
	scope: z.object({
		artist: z.object({ id: z.string(), name: z.string() }),
		campaigns: z.array(z.object({ slug: z.string(), title: z.string(), releaseAtUtc: z.string() })),
		from: z.string().nullable(),
		to: z.string().nullable(),
		source: z.string().nullable(),
	}),
	funnel: z.object({
		...funnelCounts,
		byPlatform: z.array(
			z.object({ platform: z.string(), clicks: count, consents: count, presaves: count }),
		),
		bySource: z.array(z.object({ source: z.string(), ...funnelCounts })),
	}),
	delivery: z.array(
		z.object({
			platform: z.string(),
			delivered: count,
			waiting: count,
			needs_reconnect: count,
			refused: count,
		}),
	),
	layering: z.object({
		fans: count,
		actions: count,
		actionsPerEntryFan: z.number(),
		entries: z.array(
			z.object({
				entry: z.string(),
				fans: count,
				actions: count,
				actionsPerFan: z.number(),
				layers: z.array(z.object({ layer: z.string(), fans: count, share: z.number() })),
			}),
		),
		graph: z.array(z.object({ from: z.string(), to: z.string(), count })),
	}),
	reachability: z.array(z.object({ channels: z.enum(['0', '1', '2', '3+']), fans: count })),
	nextRelease: z.array(
		z.object({
			from: z.string(),
			to: z.string(),
			fans: count,
			returned: count,
			share: z.number(),
			byLayer: z.array(z.object({ layer: z.string(), fans: count })),
		}),
	),
	daily: z.array(
		z.object({
			day: z.string(),
			views: count,
			reachable: count,
			layers: z.record(z.string(), count),
		}),
	),
});

const SUMMARY =
	'Funnel, release-day delivery, layering, reachability, next-release return and daily figures';

export function insightsRoutes(services: HubServices): Route[] {
	const insights = new Insights(services.ledger.store, services.ledger.pageCounters);
	return [
		route({
			method: 'GET',
			path: '/v1/campaigns/:idOrSlug/insights',
			summary: `${SUMMARY} of one campaign (also as CSV: …/insights.csv)`,
			tag: 'insights',
			params: z.object({ idOrSlug: z.string().min(1) }),
			query: insightsQuery,
			status: 200,
			response: insightsReport,
			handle: ({ params, query }) => insights.campaign(params.idOrSlug, filterOf(query)),
		}),
		route({
			method: 'GET',
			path: '/v1/artists/:id/insights',
			summary: `${SUMMARY} across an artist's campaigns (also as CSV: …/insights.csv)`,
			tag: 'insights',
			params: z.object({ id: z.string().min(1) }),
			query: insightsQuery,
			status: 200,
			response: insightsReport,
			handle: ({ params, query }) => insights.artist(params.id, filterOf(query)),
		}),
	];
}

/** The bearer token of a request, as the server's API routes read it. */
function bearer(request: FastifyRequest): string | undefined {
	const header = request.headers.authorization;
	return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/** The same reports as CSV, behind the same API key and query. */
export function registerInsightsCsv(app: FastifyInstance, services: HubServices): void {
	const insights = new Insights(services.ledger.store, services.ledger.pageCounters);
	const csv =
		(name: string, read: (id: string, filter: InsightsFilter) => Promise<InsightsReport>) =>
		async (request: FastifyRequest, reply: FastifyReply) => {
			await services.ledger.apiKeys.verify(bearer(request));
			const query = insightsQuery.safeParse(request.query ?? {});
			if (!query.success) {
				const problems = query.error.issues.map(
					(issue) => `${issue.path.join('.')}: ${issue.message}`,
				);
				throw new HubError('validation_failed', `Invalid query. ${problems.join('; ')}`);
			}
			const report = await read(
				Object.values(request.params as Record<string, string>)[0],
				filterOf(query.data),
			);
			return reply
				.headers({
					'content-type': 'text/csv; charset=utf-8',
					'content-disposition': `attachment; filename="${name}-insights.csv"`,
					'cache-control': 'no-store',
				})
				.send(insightsCsv(report));
		};
	app.get(
		'/v1/campaigns/:idOrSlug/insights.csv',
		csv('campaign', (id, filter) => insights.campaign(id, filter)),
	);
	app.get(
		'/v1/artists/:id/insights.csv',
		csv('artist', (id, filter) => insights.artist(id, filter)),
	);
}
