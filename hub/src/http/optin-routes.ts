import { z } from 'zod';
import { HubError } from '../core/errors';
import type { HubServices } from '../services';
import { route, type Route } from './route';
import * as s from './schemas';

export function optInRoutes({ optIns, messages }: HubServices): Route[] {
	return [
		route({
			method: 'POST',
			path: '/v1/optins',
			summary:
				'Request a double opt-in: store the pending consent with its proof and send the confirmation request',
			tag: 'opt-ins',
			body: s.optInRequestBody,
			status: 201,
			response: z.object({
				fan: s.fan,
				consent: s.consent,
				action: s.action.nullable(),
				created: z.boolean(),
			}),
			handle: ({ body }) => optIns.request(body),
		}),
		route({
			method: 'POST',
			path: '/v1/optins/confirm',
			summary: 'Confirm an email opt-in with the token from its confirmation link',
			tag: 'opt-ins',
			body: s.confirmTokenBody,
			status: 200,
			response: z.object({ outcome: z.string() }),
			handle: async ({ body }) => {
				const outcome = await optIns.confirmByLink(body.token);
				// A token the hub never signed (or for a consent gone) is the caller's mistake, not an outcome.
				if (outcome === 'invalid') {
					throw new HubError(
						'invalid_token',
						'This confirmation token is not one the hub issued, or it was cut short; pass the whole ?token= value from the link.',
					);
				}
				return { outcome };
			},
		}),
		route({
			method: 'POST',
			path: '/v1/optins/opt-out',
			summary: 'Revoke a fan’s consents on these channels (and the ones STOP covers)',
			tag: 'opt-ins',
			body: s.optOutBody,
			status: 200,
			response: z.object({ revoked: z.array(s.consent) }),
			handle: async ({ body }) => ({
				revoked: await optIns.optOut(body.fanId, body.channels, body.method),
			}),
		}),
		route({
			method: 'GET',
			path: '/v1/optins/status',
			summary: 'A fan’s consent on a channel',
			tag: 'opt-ins',
			query: s.optInStatusQuery,
			status: 200,
			response: z.object({
				status: z.enum(['pending', 'granted', 'revoked', 'none']),
				consent: s.consent.nullable(),
			}),
			handle: ({ query }) => optIns.status(query.fanId, query.channel),
		}),
		route({
			method: 'POST',
			path: '/v1/messages',
			summary:
				'Send a message: only with consent, outside quiet hours (else scheduled), within the frequency cap',
			tag: 'messages',
			body: s.sendMessageBody,
			status: 200,
			response: s.message,
			handle: ({ body }) => messages.send(body),
		}),
		route({
			method: 'GET',
			path: '/v1/messages/:id',
			summary: 'A message and its delivery state',
			tag: 'messages',
			params: s.idParams,
			status: 200,
			response: s.message,
			handle: ({ params }) => messages.get(params.id),
		}),
	];
}
