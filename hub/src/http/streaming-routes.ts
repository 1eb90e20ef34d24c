import { z } from 'zod';
import { HubError } from '../core/errors';
import type { StreamingPlatformName } from '../core/streaming/platform';
import type { HubServices } from '../services';
import { route, type Route } from './route';
import * as s from './schemas';

const DAY_MS = 24 * 3_600_000;
/** A full date and time with its offset: nothing a reader could take for another instant. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function streamingRoutes({
	ledger,
	streaming,
	conversion,
	jobs,
	clock,
	presave,
	program,
}: HubServices): Route[] {
	return [
		route({
			method: 'POST',
			path: '/v1/fans/:fanId/connections/:platform',
			summary:
				'Store (sealed) a fan’s authorization on a streaming platform, e.g. imported from another pre-save tool',
			tag: 'streaming',
			params: s.connectionParams,
			body: s.connectionBody,
			status: 204,
			handle: async ({ params, body }) => {
				const at = (value: string | null | undefined) => {
					if (!value) return null;
					const ms = Date.parse(value);
					if (!ISO_DATE_TIME.test(value) || !Number.isFinite(ms)) {
						throw new HubError(
							'validation_failed',
							`"${value}" is not an ISO 8601 date and time such as 2026-12-04T00:00:00Z.`,
						);
					}
					return ms;
				};
				await ledger.tokens.save(params.fanId, params.platform, {
					accessToken: body.accessToken,
					refreshToken: body.refreshToken ?? null,
					scopes: body.scopes,
					authorizedAtMs: at(body.authorizedAt) ?? clock(),
					accessExpiresAtMs: at(body.accessExpiresAt),
					refreshExpiresAtMs: at(body.refreshExpiresAt),
				});
			},
		}),
		route({
			method: 'GET',
			path: '/v1/connections/expiring',
			summary:
				'Fans whose platform authorization expires within N days or already needs re-consent, each with a signed reconnect link: the re-consent layer',
			tag: 'streaming',
			query: s.expiringQuery,
			status: 200,
			response: z.object({
				connections: z.array(
					z.object({
						fanId: z.string(),
						platform: z.string(),
						refreshExpiresAt: z.string().nullable(),
						status: z.enum(['valid', 'needs_reconsent', 'revoked']),
						reconnectUrl: z.string(),
						reconnectExpiresAt: z.string(),
					}),
				),
			}),
			handle: async ({ query }) => {
				const expiring = await ledger.tokens.expiring(
					clock() + query.withinDays * DAY_MS,
					query.platform,
				);
				return {
					connections: expiring.map((connection) => {
						const link = presave.reconnects.linkFor(
							connection.fanId,
							connection.platform as StreamingPlatformName,
						);
						return {
							...connection,
							reconnectUrl: `${program.publicUrl}${link.path}`,
							reconnectExpiresAt: new Date(link.expiresAtMs).toISOString(),
						};
					}),
				};
			},
		}),
		route({
			method: 'POST',
			path: '/v1/streaming/save',
			summary:
				'Save the campaign’s release to the fan’s library (once per fan, campaign and platform)',
			tag: 'streaming',
			body: s.saveBody,
			status: 200,
			response: s.streamingOutcome,
			handle: ({ body }) => streaming.saveRelease(body),
		}),
		route({
			method: 'POST',
			path: '/v1/streaming/follow',
			summary: 'Follow an artist or a playlist on the fan’s behalf',
			tag: 'streaming',
			body: s.followBody,
			status: 200,
			response: s.streamingOutcome,
			handle: ({ body }) => streaming.follow(body),
		}),
		route({
			method: 'GET',
			path: '/v1/streaming/saved',
			summary: 'Whether the release is in the fan’s library (null while the release is not live)',
			tag: 'streaming',
			query: s.savedQuery,
			status: 200,
			response: z.object({ saved: z.boolean().nullable() }),
			handle: async ({ query }) => ({
				saved: await streaming.isSaved(query.fanId, query.campaignId, query.platform),
			}),
		}),
		route({
			method: 'POST',
			path: '/v1/campaigns/:idOrSlug/conversions',
			summary: 'Start release-day conversion: every pending pre-save becomes a save, as a hub job',
			tag: 'streaming',
			params: s.campaignParams,
			body: s.conversionBody,
			status: 202,
			response: z.object({ jobId: z.string() }),
			handle: async ({ params, body }) => ({
				jobId: await conversion.start(params.idOrSlug, body.platforms),
			}),
		}),
		route({
			method: 'GET',
			path: '/v1/jobs/:id',
			summary: 'A hub job and its progress',
			tag: 'jobs',
			params: s.idParams,
			status: 200,
			response: s.job,
			handle: ({ params }) => jobs.get(params.id),
		}),
	];
}
