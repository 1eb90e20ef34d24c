import { z } from 'zod';
import type { HubServices } from '../services';
import type { Campaign } from '../core/model';
import { pageUrlOf } from './presave-paths';
import { route, type Route } from './route';
import * as s from './schemas';

export function ledgerRoutes({ ledger, program }: HubServices): Route[] {
	// program.publicUrl is read per request: with port 0 it is known only once the hub listens.
	const withPageUrl = (campaign: Campaign) => ({
		...campaign,
		pageUrl: pageUrlOf(program.publicUrl, campaign.slug),
	});
	return [
		route({
			method: 'GET',
			path: '/health',
			summary: 'Liveness and database check',
			tag: 'hub',
			public: true,
			status: 200,
			response: z.object({ status: z.literal('ok'), database: z.string() }),
			handle: async () => {
				await ledger.store.get('SELECT 1 AS ok');
				return { status: 'ok', database: ledger.store.dialect.name };
			},
		}),
		route({
			method: 'GET',
			path: '/v1/whoami',
			summary: 'The API key in use (the credential test)',
			tag: 'hub',
			status: 200,
			response: z.object({ apiKey: z.object({ id: z.string(), name: z.string() }) }),
			handle: async ({ caller }) => ({ apiKey: caller }),
		}),
		route({
			method: 'POST',
			path: '/v1/fans',
			summary:
				'Find a fan by any of their identities or create one; attach the identities not yet known',
			tag: 'fans',
			body: s.upsertFanBody,
			status: 200,
			response: z.object({ fan: s.fan, created: z.boolean() }),
			handle: ({ body }) => ledger.fans.upsert(body),
		}),
		route({
			method: 'GET',
			path: '/v1/fans',
			summary: 'A segment of fans, page by page',
			tag: 'fans',
			query: s.fanSegmentQuery,
			status: 200,
			response: z.object({ fans: z.array(s.fan), nextCursor: z.string().nullable() }),
			handle: ({ query }) => ledger.fans.list(query),
		}),
		route({
			method: 'GET',
			path: '/v1/fans/by-identity',
			summary: 'The fan who owns an identity',
			tag: 'fans',
			query: s.identityQuery,
			status: 200,
			response: s.fan,
			handle: ({ query }) => ledger.fans.getByIdentity(query.channel, query.value),
		}),
		route({
			method: 'GET',
			path: '/v1/fans/:fanId',
			summary: 'A fan (a merged id answers with the fan it was merged into)',
			tag: 'fans',
			params: s.fanIdParams,
			status: 200,
			response: s.fan,
			handle: ({ params }) => ledger.fans.get(params.fanId),
		}),
		route({
			method: 'POST',
			path: '/v1/fans/:fanId/merge',
			summary: 'Merge another fan into this one',
			tag: 'fans',
			params: s.fanIdParams,
			body: s.mergeBody,
			status: 200,
			response: z.object({ fan: s.fan }),
			handle: async ({ params, body }) => ({
				fan: await ledger.fans.merge(params.fanId, body.otherFanId),
			}),
		}),
		route({
			method: 'GET',
			path: '/v1/fans/:fanId/export',
			summary: 'Everything held about a fan, with consent proof (GDPR access)',
			tag: 'fans',
			params: s.fanIdParams,
			status: 200,
			response: z.object({
				fan: s.fan,
				consents: z.array(s.consent),
				actions: z.array(s.action),
				tokens: z.array(
					z.object({
						platform: z.string(),
						scopes: z.array(z.string()),
						status: z.string(),
						authorizedAt: z.string(),
						refreshExpiresAt: z.string().nullable(),
					}),
				),
			}),
			handle: ({ params }) => ledger.exportFan(params.fanId),
		}),
		route({
			method: 'DELETE',
			path: '/v1/fans/:fanId',
			summary: 'Erase a fan (GDPR): tokens and personal data go, a suppression entry stays',
			tag: 'fans',
			params: s.fanIdParams,
			status: 200,
			response: z.object({ fanId: z.string(), erasedAt: z.string(), suppressed: z.number() }),
			handle: ({ params }) => ledger.fans.erase(params.fanId),
		}),
		route({
			method: 'GET',
			path: '/v1/fans/:fanId/next-layers',
			summary: 'The layers the fan has not taken yet, in the order asked for',
			tag: 'fans',
			params: s.fanIdParams,
			query: s.nextLayersQuery,
			status: 200,
			response: z.object({
				fanId: z.string(),
				campaignId: z.string().nullable(),
				taken: z.array(s.layer),
				next: z.array(s.layer),
			}),
			handle: ({ params, query }) => ledger.layers.nextLayers(params.fanId, query),
		}),
		route({
			method: 'POST',
			path: '/v1/actions',
			summary: 'Record a fan action, layered on the action that led to it',
			tag: 'actions',
			body: s.recordActionBody,
			status: 201,
			response: z.object({ action: s.action, created: z.boolean() }),
			handle: ({ body }) => ledger.actions.record(body),
		}),
		route({
			method: 'GET',
			path: '/v1/actions/:id',
			summary: 'An action',
			tag: 'actions',
			params: s.idParams,
			status: 200,
			response: s.action,
			handle: ({ params }) => ledger.actions.get(params.id),
		}),
		route({
			method: 'POST',
			path: '/v1/campaigns',
			summary: 'Create a campaign, or update the one with this slug',
			tag: 'campaigns',
			body: s.campaignBody,
			status: 200,
			response: z.object({ campaign: s.campaign, created: z.boolean() }),
			handle: async ({ body }) => {
				const { campaign, created } = await ledger.campaigns.upsert(body);
				return { campaign: withPageUrl(campaign), created };
			},
		}),
		route({
			method: 'GET',
			path: '/v1/campaigns/:idOrSlug',
			summary: 'A campaign by id or slug',
			tag: 'campaigns',
			params: s.campaignParams,
			status: 200,
			response: s.campaign,
			handle: async ({ params }) => withPageUrl(await ledger.campaigns.get(params.idOrSlug)),
		}),
		route({
			method: 'POST',
			path: '/v1/webhooks',
			summary: 'Subscribe a URL to events; the answer carries the signing secret, once',
			tag: 'webhooks',
			body: s.createWebhookBody,
			status: 201,
			response: z.object({ webhook: s.webhook, secret: z.string() }),
			handle: ({ body }) => ledger.webhooks.create(body),
		}),
		route({
			method: 'GET',
			path: '/v1/webhooks',
			summary: 'Webhook subscriptions, optionally for one URL',
			tag: 'webhooks',
			query: s.webhookListQuery,
			status: 200,
			response: z.object({ webhooks: z.array(s.webhook) }),
			handle: async ({ query }) => ({ webhooks: await ledger.webhooks.list(query.url) }),
		}),
		route({
			method: 'GET',
			path: '/v1/webhooks/:id',
			summary: 'A webhook subscription',
			tag: 'webhooks',
			params: s.idParams,
			status: 200,
			response: s.webhook,
			handle: ({ params }) => ledger.webhooks.get(params.id),
		}),
		route({
			method: 'DELETE',
			path: '/v1/webhooks/:id',
			summary: 'Remove a webhook subscription and its pending deliveries',
			tag: 'webhooks',
			params: s.idParams,
			status: 204,
			handle: ({ params }) => ledger.webhooks.delete(params.id),
		}),
	];
}
