import type { CommandRegistry } from './discord-command-registry';
import type { DiscordInteractions } from './discord-interactions';
import type { DiscordInvites } from './discord-invites';
import type { DiscordMembers } from './discord-members';
import type { DiscordMessages } from './discord-messages';
import { userPayload } from './discord-model';
import { addChannelRoutes } from './discord-rest-channels';
import { addCommandRoutes } from './discord-rest-commands';
import { addGuildRoutes } from './discord-rest-guilds';
import { addInteractionRoutes } from './discord-rest-interactions';
import { addInviteRoutes } from './discord-rest-invites';
import { RouteTable, ok } from './discord-routes';
import type { DiscordState } from './discord-state';

export interface DiscordRestParts {
	state: DiscordState;
	messages: DiscordMessages;
	interactions: DiscordInteractions;
	commands: CommandRegistry;
	members: DiscordMembers;
	invites: DiscordInvites;
	/** `ws://127.0.0.1:PORT/gateway`, known once the server listens. */
	gatewayUrl(): string;
	/** IDENTIFYs accepted so far, for session_start_limit. */
	identifyCount(): number;
}

const DAILY_SESSION_STARTS = 1000;

/**
 * Every REST route the stand-in answers under /api/v10: the gateway, the bot's own user
 * and application here, each other resource's routes in its own discord-rest-*.ts.
 */
export function discordRoutes(parts: DiscordRestParts): RouteTable {
	const { state } = parts;
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
	addCommandRoutes(table, parts.commands);
	addInteractionRoutes(table, state, parts.messages, parts.interactions);
	addGuildRoutes(table, state, parts.members);
	addChannelRoutes(table, state, parts.messages);
	addInviteRoutes(table, state, parts.invites);
	return table;
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
