import type { StandInRequest, StandInResponse } from '../core/http-stand-in';
import type { CommandRegistry } from './discord-command-registry';
import { commandPayload, parseCommand, parseCommandList } from './discord-commands';
import { DiscordApiError, invalidFormBody, missingPermissions, unknown } from './discord-errors';
import type { DiscordInteractions } from './discord-interactions';
import type { DiscordMessages } from './discord-messages';
import {
	INTENTS,
	PERMISSIONS,
	channelPayload,
	guildPayload,
	memberPayload,
	randomToken,
	rolePayload,
	userPayload,
	type DiscordInvite,
} from './discord-model';
import { RouteTable, arrayBodyOf, bodyOf } from './discord-routes';
import type { DiscordState } from './discord-state';

export interface DiscordRestParts {
	state: DiscordState;
	messages: DiscordMessages;
	interactions: DiscordInteractions;
	commands: CommandRegistry;
	/** `ws://127.0.0.1:PORT/gateway`, known once the server listens. */
	gatewayUrl(): string;
	/** IDENTIFYs accepted so far, for session_start_limit. */
	identifyCount(): number;
}

const DAILY_SESSION_STARTS = 1000;

const ok = (body: unknown): StandInResponse => ({ status: 200, body });
const noContent: StandInResponse = { status: 204 };

/** Every REST route the stand-in answers under /api/v10, and what each does. */
export function discordRoutes(parts: DiscordRestParts): RouteTable {
	const { state, messages, interactions, commands } = parts;
	const table = new RouteTable();

	table
		.add('GET', '/gateway', () => ok({ url: parts.gatewayUrl() }), false)
		.add('GET', '/gateway/bot', () =>
			ok({
				url: parts.gatewayUrl(),
				shards: 1,
				session_start_limit: {
					total: DAILY_SESSION_STARTS,
					remaining: Math.max(DAILY_SESSION_STARTS - parts.identifyCount(), 0),
					reset_after: 86_400_000,
					max_concurrency: 1,
				},
			}),
		)
		.add('GET', '/users/@me', () => ok(userPayload(state.botUser)))
		.add('GET', '/users/:userId', ({ params }) => ok(userPayload(state.userOr404(params.userId))))
		.add('GET', '/applications/@me', () => ok(applicationPayload(state)));

	for (const scope of ['', '/guilds/:guildId'] as const) {
		const base = `/applications/:applicationId${scope}/commands`;
		table
			.add('GET', base, ({ params }) =>
				ok(commands.list(params.applicationId, params.guildId).map(commandPayload)),
			)
			.add('PUT', base, ({ params, request }) => {
				const definitions = parseCommandList(arrayBodyOf(request));
				return ok(
					commands.replace(params.applicationId, params.guildId, definitions).map(commandPayload),
				);
			})
			.add('POST', base, ({ params, request }) => {
				const definition = parseCommand(bodyOf(request), '_');
				const { command, created } = commands.upsert(
					params.applicationId,
					params.guildId,
					definition,
				);
				// 201 for a new command, 200 when one with that name was overwritten.
				return { status: created ? 201 : 200, body: commandPayload(command) };
			})
			.add('DELETE', `${base}/:commandId`, ({ params }) => {
				commands.delete(params.applicationId, params.guildId, params.commandId);
				return noContent;
			});
	}

	// Interaction answers carry their token in the URL and need no bot token.
	const webhookMessage = '/webhooks/:webhookId/:token/messages/:messageId';
	table
		.add(
			'POST',
			'/interactions/:interactionId/:token/callback',
			({ params, request }) => interactions.callback(params, request),
			false,
		)
		.add(
			'GET',
			webhookMessage,
			({ params }) => ok(state.messageWire(interactions.webhookMessage(params))),
			false,
		)
		.add(
			'PATCH',
			webhookMessage,
			({ params, request }) => {
				const message = interactions.webhookMessage(params);
				messages.edit(message, bodyOf(request));
				return ok(state.messageWire(message));
			},
			false,
		)
		.add(
			'DELETE',
			webhookMessage,
			({ params }) => {
				interactions.webhookMessage(params).deleted = true;
				return noContent;
			},
			false,
		)
		.add(
			'POST',
			'/webhooks/:webhookId/:token',
			({ params, request }) => interactions.followUp(params, request),
			false,
		);

	table
		.add('GET', '/guilds/:guildId', ({ params }) =>
			ok(guildPayload(state.guildOr404(params.guildId))),
		)
		.add('GET', '/guilds/:guildId/roles', ({ params }) =>
			ok([...state.guildOr404(params.guildId).roles.values()].map(rolePayload)),
		)
		.add('GET', '/guilds/:guildId/channels', ({ params }) =>
			ok(
				[...state.guildOr404(params.guildId).channels.values()].map((channel, index) =>
					channelPayload(channel, index),
				),
			),
		)
		.add('GET', '/guilds/:guildId/members', ({ params, request }) =>
			ok(listMembers(state, params.guildId, request)),
		)
		.add('GET', '/guilds/:guildId/members/:userId', ({ params }) => {
			const member = state.guildOr404(params.guildId).members.get(params.userId);
			if (!member) throw unknown('Member');
			return ok(memberPayload(member, state.users.get(member.userId)!));
		})
		.add('PUT', '/guilds/:guildId/members/:userId/roles/:roleId', ({ params }) => {
			changeRole(state, params, 'grant');
			return noContent;
		})
		.add('DELETE', '/guilds/:guildId/members/:userId/roles/:roleId', ({ params }) => {
			changeRole(state, params, 'revoke');
			return noContent;
		})
		.add('GET', '/guilds/:guildId/invites', ({ params }) => {
			const guild = state.guildOr404(params.guildId);
			// Listing a server's invites takes Manage Server.
			state.requireBotPermission(guild, PERMISSIONS.manageGuild);
			return ok(liveInvites(state, (invite) => invite.guildId === guild.id));
		});

	table
		.add('POST', '/users/@me/channels', ({ request }) => {
			const recipientId = bodyOf(request).recipient_id;
			if (
				typeof recipientId !== 'string' ||
				!state.users.has(recipientId) ||
				recipientId === state.botUser.id
			) {
				throw new DiscordApiError(400, 50033, 'Invalid Recipient(s)');
			}
			return ok(state.channelWire(state.dmChannelWith(recipientId)));
		})
		.add('GET', '/channels/:channelId', ({ params }) =>
			ok(state.channelWire(state.channelOr404(params.channelId))),
		)
		.add('POST', '/channels/:channelId/messages', ({ params, request }) =>
			ok(state.messageWire(messages.post(params.channelId, bodyOf(request)))),
		)
		.add('GET', '/channels/:channelId/messages/:messageId', ({ params }) => {
			const message = state.messages.get(params.messageId);
			const visible =
				message &&
				!message.deleted &&
				message.channelId === params.channelId &&
				!message.visibleOnlyTo;
			if (!visible) throw unknown('Message');
			return ok(state.messageWire(message));
		})
		.add('POST', '/channels/:channelId/invites', ({ params, request }) =>
			ok(state.inviteWire(createInvite(state, params.channelId, bodyOf(request)))),
		)
		.add('GET', '/channels/:channelId/invites', ({ params }) => {
			const channel = state.channelOr404(params.channelId);
			return ok(liveInvites(state, (invite) => invite.channelId === channel.id));
		})
		.add('GET', '/invites/:code', ({ params }) => {
			const invite = state.liveInvite(params.code);
			if (!invite) throw unknown('Invite');
			return ok(state.inviteWire(invite));
		})
		.add('DELETE', '/invites/:code', ({ params }) => {
			const invite = state.liveInvite(params.code);
			if (!invite) throw unknown('Invite');
			state.deleteInvite(invite);
			return ok(state.inviteWire(invite));
		});

	return table;
}

/**
 * Grants or removes a role as Discord allows it: the bot needs Manage Roles and its
 * highest role strictly above the role, and the bot's own managed role is never
 * assignable; anything else is 50013. A change that changes nothing is still 204.
 */
function changeRole(
	state: DiscordState,
	params: Record<string, string>,
	change: 'grant' | 'revoke',
): void {
	const guild = state.guildOr404(params.guildId);
	const role = guild.roles.get(params.roleId);
	if (!role) throw unknown('Role');
	const member = guild.members.get(params.userId);
	if (!member) throw unknown('Member');
	state.requireBotPermission(guild, PERMISSIONS.manageRoles);
	if (state.highestPosition(guild, state.botUser.id) <= role.position || role.botId) {
		throw missingPermissions();
	}
	const has = member.roleIds.includes(role.id);
	if (change === 'grant' ? has : !has) return;
	member.roleIds =
		change === 'grant'
			? [...member.roleIds, role.id]
			: member.roleIds.filter((id) => id !== role.id);
	state.dispatch(
		'GUILD_MEMBER_UPDATE',
		{ ...memberPayload(member, state.users.get(member.userId)!), guild_id: guild.id },
		INTENTS.guildMembers,
	);
}

function createInvite(
	state: DiscordState,
	channelId: string,
	body: Record<string, unknown>,
): DiscordInvite {
	const channel = state.channelOr404(channelId);
	if (!channel.guildId)
		throw new DiscordApiError(400, 50003, 'Cannot execute action on a DM channel');
	const guild = state.guilds.get(channel.guildId)!;
	state.requireBotPermission(guild, PERMISSIONS.createInstantInvite);
	const maxAgeSeconds = integerIn(body.max_age, 86_400, 0, 604_800, 'max_age');
	const maxUses = integerIn(body.max_uses, 0, 0, 100, 'max_uses');
	const temporary = body.temporary === true;
	if (body.unique !== true) {
		// Without `unique`, Discord hands back a live invite with the same settings.
		const same = [...state.invitesByCode.values()].find(
			(invite) =>
				invite.channelId === channel.id &&
				invite.inviterId === state.botUser.id &&
				invite.maxAgeSeconds === maxAgeSeconds &&
				invite.maxUses === maxUses &&
				invite.temporary === temporary &&
				state.liveInvite(invite.code),
		);
		if (same) return same;
	}
	const invite: DiscordInvite = {
		code: randomToken(6).replace(/[-_]/g, 'x'),
		guildId: guild.id,
		channelId: channel.id,
		inviterId: state.botUser.id,
		maxAgeSeconds,
		maxUses,
		uses: 0,
		temporary,
		createdAtMs: state.clock.now(),
	};
	state.invitesByCode.set(invite.code, invite);
	state.dispatch(
		'INVITE_CREATE',
		{
			channel_id: invite.channelId,
			code: invite.code,
			created_at: new Date(invite.createdAtMs).toISOString(),
			guild_id: invite.guildId,
			inviter: userPayload(state.botUser),
			max_age: invite.maxAgeSeconds,
			max_uses: invite.maxUses,
			temporary: invite.temporary,
			uses: 0,
		},
		INTENTS.guildInvites,
	);
	return invite;
}

function liveInvites(
	state: DiscordState,
	belongs: (invite: DiscordInvite) => boolean,
): Array<Record<string, unknown>> {
	return [...state.invitesByCode.values()]
		.filter((invite) => belongs(invite) && state.liveInvite(invite.code))
		.map((invite) => state.inviteWire(invite));
}

/** GET /guilds/{id}/members: ordered by user id, paged with `limit` (1–1000) and `after`. */
function listMembers(
	state: DiscordState,
	guildId: string,
	request: StandInRequest,
): Array<Record<string, unknown>> {
	const guild = state.guildOr404(guildId);
	const limit = integerIn(request.query.get('limit') ?? undefined, 1, 1, 1000, 'limit');
	const after = request.query.get('after') ?? '0';
	if (!/^\d+$/.test(after))
		throw invalidFormBody('after', 'NUMBER_TYPE_COERCE', 'Value is not snowflake.');
	return [...guild.members.values()]
		.filter((member) => BigInt(member.userId) > BigInt(after))
		.sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
		.slice(0, limit)
		.map((member) => memberPayload(member, state.users.get(member.userId)!));
}

function applicationPayload(state: DiscordState): Record<string, unknown> {
	return {
		id: state.applicationId,
		name: state.botUser.username,
		icon: null,
		description: '',
		bot_public: true,
		bot_require_code_grant: false,
		bot: userPayload(state.botUser),
		flags: 0,
		verify_key: '0'.repeat(64),
		team: null,
		owner: userPayload(state.botUser),
		approximate_guild_count: state.guilds.size,
	};
}

function integerIn(
	value: unknown,
	fallback: number,
	min: number,
	max: number,
	field: string,
): number {
	if (value === undefined || value === null) return fallback;
	const number = Number(value);
	if (!Number.isInteger(number) || number < min || number > max) {
		throw invalidFormBody(
			field,
			'NUMBER_TYPE_MAX',
			`Must be an integer between ${min} and ${max}.`,
		);
	}
	return number;
}
