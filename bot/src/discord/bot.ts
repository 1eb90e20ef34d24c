import { Events, type Client } from 'discord.js';
import type { Logger } from '../../../hub/src/core/logger';
import type { CommunityDesk } from '../port';
import { createDiscordClient } from './client';
import { answerInteractions } from './interactions';
import { followMembers } from './member-events';
import { UserRateLimit } from '../user-rate-limit';

export interface DiscordBotOptions {
	botToken: string;
	/** The artist's server: joins there are attributed, the role lives there. */
	guildId: string;
	desk: CommunityDesk;
	logger: Logger;
	/** discord.js's `rest.api`; default https://discord.com/api. */
	apiRoot?: string;
	/** Requests one fan may make in `windowMs` (the config's `perUserLimit`). */
	perUserLimit: { requests: number; windowMs: number };
}

export interface DiscordBot {
	readonly client: Client;
	/** Logs in and resolves once the gateway says the bot is ready. */
	start(): Promise<void>;
	stop(): Promise<void>;
}

/** The Discord bot, wired and not yet connected. */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
	const client = createDiscordClient({ apiRoot: options.apiRoot });
	answerInteractions(client, {
		guildId: options.guildId,
		desk: options.desk,
		logger: options.logger,
		rateLimit: new UserRateLimit(options.perUserLimit.requests, options.perUserLimit.windowMs),
	});
	followMembers(client, { guildId: options.guildId, desk: options.desk, logger: options.logger });
	client.on(Events.Error, (error) =>
		options.logger.error('discord: client error', { error: error.message }),
	);
	return {
		client,
		start: async () => {
			const ready = new Promise<void>((resolve) =>
				client.once(Events.ClientReady, () => resolve()),
			);
			await client.login(options.botToken);
			await ready;
			options.logger.info('discord bot ready', { user: client.user?.tag });
		},
		stop: () => client.destroy(),
	};
}
