import type { SandboxClock } from '../core/clock';
import { CHANNEL_TYPES } from './discord-model';
import type { RouteBudget } from './discord-rate-limits';
import { DiscordStandIn } from './discord';

/**
 * Sandbox-only Discord identity: the token opens nothing but the loopback stand-in. Ids
 * are fixed so a hub configured once keeps working across restarts of the sandbox.
 */
export const SANDBOX_DISCORD = {
	token: 'MTMwMTAwMDAwMDAwMDAwMDAwMQ.GsAndb.fanloop-sandbox-discord-bot-token-not-real',
	applicationId: '1301000000000000001',
	guildId: '1301000000000000100',
	/** The artist's opt-in role, below the bot's role so the bot may grant it. */
	releaseRoleId: '1301000000000000101',
	/** The role Discord made for the bot when it joined (position 2). */
	botRoleId: '1301000000000000102',
	announceChannelId: '1301000000000000200',
	inviteChannelId: '1301000000000000201',
} as const;

export interface DiscordSandboxOptions {
	clock?: SandboxClock;
	port?: number;
	/** The bot's global budget (default 50 requests per second). */
	globalRequestsPerSecond?: number;
	routeBudgets?: Record<string, RouteBudget>;
	heartbeatIntervalMs?: number;
	/** Privileged intents switched on for the sandbox application (default all). */
	enabledPrivilegedIntents?: number;
}

/**
 * Starts the Discord stand-in on 127.0.0.1 with the sandbox artist's server: the bot's
 * role above a mentionable "Release updates" role, an announcements channel and a
 * welcome channel for invites. Tests add fans with `addUser` + `addMember`.
 */
export async function startDiscordStandIn(
	options: DiscordSandboxOptions = {},
): Promise<DiscordStandIn> {
	const discord = new DiscordStandIn({
		token: SANDBOX_DISCORD.token,
		applicationId: SANDBOX_DISCORD.applicationId,
		botUsername: 'Fanloop',
		clock: options.clock,
		globalRequestsPerSecond: options.globalRequestsPerSecond,
		routeBudgets: options.routeBudgets,
		heartbeatIntervalMs: options.heartbeatIntervalMs,
		enabledPrivilegedIntents: options.enabledPrivilegedIntents,
	});
	discord.addGuild({
		id: SANDBOX_DISCORD.guildId,
		name: 'Fanloop Sandbox',
		botRoleId: SANDBOX_DISCORD.botRoleId,
		botRolePosition: 2,
	});
	discord.addRole({
		id: SANDBOX_DISCORD.releaseRoleId,
		name: 'Release updates',
		position: 1,
		mentionable: true,
	});
	// The first text channel is where `runCommand` puts fans unless told otherwise.
	discord.addChannel({ id: SANDBOX_DISCORD.inviteChannelId, name: 'welcome' });
	discord.addChannel({
		id: SANDBOX_DISCORD.announceChannelId,
		name: 'announcements',
		type: CHANNEL_TYPES.guildText,
	});
	await discord.start(options.port);
	return discord;
}
