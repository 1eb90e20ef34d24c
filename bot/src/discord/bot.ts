import { Events, type Client } from 'discord.js';
import type { Logger } from '../../../hub/src/core/logger';
import type { CommunityDesk, HeldLease, Leases } from '../port';
import { createDiscordClient } from './client';
import { answerInteractions } from './interactions';
import { followMembers } from './member-events';
import { UserRateLimit } from '../user-rate-limit';

export interface DiscordBotOptions {
	botToken: string;
	/** Names the bot's gateway lease: one connection per application across hub processes. */
	applicationId: string;
	/** The artist's server: joins there are attributed, the role lives there. */
	guildId: string;
	desk: CommunityDesk;
	logger: Logger;
	/** What the gateway connection is held under (the hub's `services.leases`). */
	leases: Leases;
	/** discord.js's `rest.api`; default https://discord.com/api. */
	apiRoot?: string;
	/** Requests one fan may make in `windowMs` (the config's `perUserLimit`). */
	perUserLimit: { requests: number; windowMs: number };
}

export interface DiscordBot {
	/**
	 * Connects to the gateway once this process holds the bot's lease: at once when it is free
	 * (resolving once the gateway says the bot is ready), or later, when its holder stops or dies.
	 */
	start(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * The Discord bot, wired and not yet connected. Every connection the gateway has for a bot
 * receives every interaction and member event, so a second hub process connected would answer
 * each one again: the connection is held under a lease, one process at a time.
 */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
	const rateLimit = new UserRateLimit(options.perUserLimit.requests, options.perUserLimit.windowMs);
	let client: Client | undefined;
	let lease: HeldLease | undefined;

	// A fresh client per connection: one destroyed when the lease was lost keeps nothing a new login needs.
	const connect = async (): Promise<void> => {
		const connecting = createDiscordClient({ apiRoot: options.apiRoot });
		answerInteractions(connecting, {
			guildId: options.guildId,
			desk: options.desk,
			logger: options.logger,
			rateLimit,
		});
		followMembers(connecting, {
			guildId: options.guildId,
			desk: options.desk,
			logger: options.logger,
		});
		connecting.on(Events.Error, (error) =>
			options.logger.error('discord: client error', { error: error.message }),
		);
		const ready = new Promise<void>((resolve) =>
			connecting.once(Events.ClientReady, () => resolve()),
		);
		await connecting.login(options.botToken);
		await ready;
		client = connecting;
		options.logger.info('discord bot ready', { user: connecting.user?.tag });
	};
	const disconnect = async (): Promise<void> => {
		const connected = client;
		client = undefined;
		await connected?.destroy();
	};

	return {
		start: async () => {
			lease = await options.leases.hold(`discord-gateway:${options.applicationId}`, {
				start: connect,
				stop: disconnect,
			});
		},
		stop: async () => {
			await lease?.release();
			lease = undefined;
		},
	};
}
