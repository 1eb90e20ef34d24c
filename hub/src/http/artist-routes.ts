import { z } from 'zod';
import type { HubServices } from '../services';
import { route, type Route } from './route';
import * as s from './schemas';

/** The artists campaigns belong to: the sender fans see, kept across releases. */
export function artistRoutes({ ledger }: HubServices): Route[] {
	return [
		route({
			method: 'POST',
			path: '/v1/artists',
			summary: 'Create an artist, or get the one with this name',
			tag: 'artists',
			body: s.artistBody,
			status: 200,
			response: z.object({ artist: s.artist, created: z.boolean() }),
			handle: ({ body }) => ledger.artists.ensure(body.name),
		}),
		route({
			method: 'GET',
			path: '/v1/artists',
			summary: 'Artists, page by page, oldest first',
			tag: 'artists',
			query: s.artistListQuery,
			status: 200,
			response: z.object({ artists: z.array(s.artist), nextCursor: z.string().nullable() }),
			handle: ({ query }) => ledger.artists.list(query),
		}),
		route({
			method: 'GET',
			path: '/v1/artists/:artistId',
			summary: 'An artist',
			tag: 'artists',
			params: s.artistParams,
			status: 200,
			response: s.artist,
			handle: ({ params }) => ledger.artists.get(params.artistId),
		}),
		route({
			method: 'GET',
			path: '/v1/artists/:artistId/future-saves',
			summary:
				'The fans who agreed to have every release of the artist saved, and why any of them gets nothing',
			tag: 'artists',
			params: s.artistParams,
			query: s.artistListQuery,
			status: 200,
			response: z.object({ futureSaves: z.array(s.futureSave), nextCursor: z.string().nullable() }),
			handle: async ({ params, query }) =>
				ledger.futureSaves.ofArtist((await ledger.artists.get(params.artistId)).id, query),
		}),
		route({
			method: 'POST',
			path: '/v1/artists/:artistId',
			summary: 'Rename an artist: their campaigns and every message from now on carry the new name',
			tag: 'artists',
			params: s.artistParams,
			body: s.artistBody,
			status: 200,
			response: s.artist,
			handle: ({ params, body }) => ledger.artists.update(params.artistId, body),
		}),
	];
}
