import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { COMMUNITY_PLATFORMS, CommunityPlatformError } from '../core/community/ports';
import { HubError } from '../core/errors';
import type { Logger } from '../core/logger';
import { ACTION_KINDS } from '../core/model';
import type { HubServices } from '../services';
import { sendPage } from './html';
import { route, type Route } from './route';
import * as s from './schemas';
import { TELEGRAM_WEBHOOK_PATH } from '../../../bot/src/config';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const platform = z.enum(COMMUNITY_PLATFORMS, {
	error: (issue) =>
		`"${String(issue.input)}" is not a community platform. Use telegram or discord.`,
});
const actionKind = z.enum(ACTION_KINDS, {
	error: (issue) =>
		`"${String(issue.input)}" is not a valid action kind. Use one of: ${ACTION_KINDS.join(', ')}.`,
});
/** What a chat message may be: Telegram's limit, which is also under Discord's. */
const messageText = z
	.string()
	.trim()
	.min(1, 'The message is empty.')
	.max(2000, 'A message is at most 2000 characters.');

const linkBody = z.object({
	platform,
	fanId: z.string().min(1).optional(),
	actionId: z
		.string()
		.min(1)
		.optional()
		.describe('The action the fan comes from (e.g. their pre-save): the join is layered on it'),
	campaignId: s.campaignRef.optional(),
	source: z
		.string()
		.min(1)
		.max(64)
		.optional()
		.describe('Attribution kept on fans the link brings in, when no fan is named'),
});

const roleBody = z.object({ fanId: z.string().min(1), action: z.enum(['grant', 'revoke']) });

const announcementBody = z.object({
	platform,
	text: messageText,
	campaignId: s.campaignRef.optional(),
});

const broadcastBody = z.object({
	platform,
	text: messageText,
	messageKey: z
		.string()
		.regex(
			/^[A-Za-z0-9._:-]{1,100}$/,
			'messageKey is 1–100 letters, digits, ".", "_", ":" or "-" (e.g. "release-2026-11-27")',
		),
	campaignId: s.campaignRef.optional(),
	segment: z
		.object({
			campaignId: s.campaignRef.optional(),
			hasAction: actionKind.optional(),
			lacksAction: actionKind.optional(),
		})
		.optional(),
});

const platformStatus = z.object({ userId: z.string(), releaseUpdates: z.boolean() });

export function communityRoutes({ community }: HubServices): Route[] {
	return [
		route({
			method: 'POST',
			path: '/v1/community/links',
			summary:
				'An attributed way into the chats: a Telegram deep link or a Discord invite link that remembers the fan',
			tag: 'community',
			body: linkBody,
			status: 200,
			response: z.object({ platform, url: z.string(), reference: z.string() }),
			handle: ({ body }) => community.links.create(body),
		}),
		route({
			method: 'POST',
			path: '/v1/community/roles',
			summary: 'Grant or revoke the Discord release-updates role of a fan',
			tag: 'community',
			body: roleBody,
			status: 200,
			response: z.object({
				fanId: z.string(),
				platform: z.literal('discord'),
				hasRole: z.boolean(),
			}),
			handle: ({ body }) => community.admin.setRole(body.fanId, body.action),
		}),
		route({
			method: 'POST',
			path: '/v1/community/announcements',
			summary: 'One post in the artist’s channel; on Discord it pings the release-updates role',
			tag: 'community',
			body: announcementBody,
			status: 200,
			response: z.object({ platform, messageId: z.string() }),
			handle: ({ body }) => community.admin.announce(body.platform, body.text, body.campaignId),
		}),
		route({
			method: 'POST',
			path: '/v1/community/broadcasts',
			summary:
				'Direct-message every opted-in fan of a segment, paced to the platform, at most once per fan and messageKey (a hub job)',
			tag: 'community',
			body: broadcastBody,
			status: 202,
			response: z.object({ jobId: z.string() }),
			handle: async ({ body }) => ({ jobId: await community.broadcasts.start(body) }),
		}),
		route({
			method: 'GET',
			path: '/v1/community/status',
			summary: 'Which chats a fan is in and whether they get release updates there',
			tag: 'community',
			query: z.object({ fanId: z.string().min(1) }),
			status: 200,
			response: z.object({
				fanId: z.string(),
				telegram: platformStatus.optional(),
				discord: platformStatus.optional(),
			}),
			handle: ({ query }) => community.admin.status(query.fanId),
		}),
	];
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
	if (typeof given !== 'string' || given.length !== expected.length) return false;
	return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

const BROKEN_LINK =
	'<p>This link does not work. It may have been copied incompletely: please use the link from the page you came from.</p>';
const UNAVAILABLE = '<p>This chat is not open right now. Please try again later.</p>';

/**
 * The fan-facing hops into the chats (the layers page links here) and Telegram's
 * webhook. Not in the API document: fans and Telegram call them, not n8n.
 */
export function registerCommunityRoutes(
	app: FastifyInstance,
	{ community, telegramWebhook }: HubServices,
	logger: Logger,
): void {
	/** A fan gets a page, never an API error: a forged link, a chat not set up, a fan who asked to be forgotten. */
	const hop =
		(chatUrl: (reference: string) => Promise<string | undefined>) =>
		async (request: FastifyRequest<{ Params: { ref: string } }>, reply: FastifyReply) => {
			let url: string | undefined;
			try {
				url = await chatUrl(request.params.ref);
			} catch (error) {
				if (error instanceof HubError) {
					logger.warn('community link not followed', { code: error.code });
					return sendPage(reply, error.httpStatus, 'Not available', UNAVAILABLE);
				}
				if (error instanceof CommunityPlatformError) {
					logger.warn('community link not followed', {
						platform: error.platform,
						kind: error.kind,
						error: error.message,
					});
					return sendPage(reply, 503, 'Not available', UNAVAILABLE);
				}
				throw error;
			}
			if (!url) return sendPage(reply, 400, 'Link not recognised', BROKEN_LINK);
			return reply.redirect(url, 302);
		};

	app.get(
		'/l/telegram/:ref',
		hop((reference) => community.links.telegramLinkFor(reference)),
	);
	app.get(
		'/l/discord/:ref',
		hop((reference) => community.links.discordInviteFor(reference)),
	);

	app.post(TELEGRAM_WEBHOOK_PATH, async (request, reply) => {
		if (!telegramWebhook) {
			return reply.code(404).send({
				error: {
					code: 'not_found',
					message: 'The Telegram bot is not running in webhook mode here.',
				},
			});
		}
		if (!sameSecret(request.headers[SECRET_HEADER], telegramWebhook.secretToken)) {
			logger.warn('telegram webhook refused: wrong or missing secret header', { ip: request.ip });
			return reply
				.code(401)
				.send({ error: { code: 'unauthorized', message: 'Missing or wrong secret token.' } });
		}
		await telegramWebhook.handle(request.body);
		return reply.code(200).send({ ok: true });
	});
}
