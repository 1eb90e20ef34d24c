import type { GatewayState } from './discord-gateway';
import {
	INTENTS,
	guildCreatePayload,
	memberPayload,
	userPayload,
	type DiscordGuild,
} from './discord-model';
import type { DiscordState } from './discord-state';

/** GUILD_CREATE for one session: without the presence intent Discord sends only the bot's own member. */
export function guildCreateFor(
	state: DiscordState,
	guild: DiscordGuild,
	intents: number,
): Record<string, unknown> {
	const memberIds =
		(intents & INTENTS.guildPresences) !== 0 ? [...guild.members.keys()] : [state.botUser.id];
	return guildCreatePayload(guild, state.users, memberIds);
}

/** What the gateway reads from the stand-in's state: READY, GUILD_CREATEs and member chunks. */
export function gatewayStateOf(
	state: DiscordState,
	token: string,
	enabledPrivilegedIntents: number,
): GatewayState {
	return {
		token,
		enabledPrivilegedIntents,
		ready: (sessionId, resumeGatewayUrl) => ({
			v: 10,
			user_settings: {},
			user: { ...userPayload(state.botUser), verified: true, mfa_enabled: false, email: null },
			guilds: [...state.guilds.keys()].map((id) => ({ id, unavailable: true })),
			session_id: sessionId,
			session_type: 'normal',
			resume_gateway_url: resumeGatewayUrl,
			shard: [0, 1],
			application: { id: state.applicationId, flags: 0 },
			private_channels: [],
			relationships: [],
			presences: [],
			guild_join_requests: [],
			geo_ordered_rtc_regions: [],
		}),
		guildCreates: (intents) =>
			[...state.guilds.values()].map((guild) => guildCreateFor(state, guild, intents)),
		membersChunk: (request) => membersChunk(state, request),
	};
}

/** GUILD_MEMBERS_CHUNK for an op 8 request, by user ids or by username prefix, in one chunk. */
function membersChunk(
	state: DiscordState,
	request: Record<string, unknown>,
): Record<string, unknown> | undefined {
	const guild =
		typeof request.guild_id === 'string' ? state.guilds.get(request.guild_id) : undefined;
	if (!guild) return undefined;
	const userIds = Array.isArray(request.user_ids)
		? (request.user_ids as unknown[]).map(String)
		: typeof request.user_ids === 'string'
			? [request.user_ids]
			: undefined;
	const query = typeof request.query === 'string' ? request.query.toLowerCase() : '';
	const limit =
		typeof request.limit === 'number' && request.limit > 0
			? request.limit
			: Number.POSITIVE_INFINITY;
	const members = [...guild.members.values()]
		.filter((member) =>
			userIds
				? userIds.includes(member.userId)
				: state.users.get(member.userId)!.username.toLowerCase().startsWith(query),
		)
		.slice(0, limit);
	return {
		guild_id: guild.id,
		members: members.map((member) => memberPayload(member, state.users.get(member.userId)!)),
		chunk_index: 0,
		chunk_count: 1,
		not_found: userIds ? userIds.filter((id) => !guild.members.has(id)) : [],
		...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
	};
}
