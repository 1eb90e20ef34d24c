import type { CommunityPlatforms } from '../../hub/src/core/community/community';
import type { Logger } from '../../hub/src/core/logger';
import type { CommunityConfig } from './config';
import { createDiscordBot, type DiscordBot } from './discord/bot';
import { withoutSecrets } from './log';
import type { CommunityDesk, Leases } from './port';
import { createTelegramBot, type TelegramBot } from './telegram/bot';

export interface BotsOptions {
	config: CommunityConfig;
	desk: CommunityDesk;
	logger: Logger;
	/** What each bot's gateway connection or poller is held under, one hub process at a time (the hub's `services.leases`). */
	leases: Leases;
	/** The process's pacers per platform (hub/src/providers/community.ts), shared with broadcasts. */
	pacers?: CommunityPlatforms['pacers'];
}

export interface Bots {
	readonly telegram?: TelegramBot;
	readonly discord?: DiscordBot;
	/** Set when the Telegram bot takes its updates by webhook: the hub's route hands them here. */
	readonly telegramWebhook?: TelegramBot['webhook'];
	/**
	 * Connects every configured bot whose lease this process holds (the others connect when they can
	 * take theirs); `publicUrl` is where Telegram's webhook reaches the hub.
	 */
	start(publicUrl: string): Promise<void>;
	stop(): Promise<void>;
}

/** The configured bots over one desk, built without side effects; `start` connects them. */
export function createBots({ config, desk, logger, leases, pacers }: BotsOptions): Bots {
	const telegram =
		config.telegram &&
		createTelegramBot({ config: config.telegram, desk, logger, leases, pacer: pacers?.telegram });
	const discord =
		config.discord &&
		createDiscordBot({
			botToken: config.discord.botToken,
			applicationId: config.discord.applicationId,
			guildId: config.discord.guildId,
			apiRoot: config.discord.apiRoot,
			perUserLimit: config.discord.perUserLimit,
			desk,
			leases,
			logger: withoutSecrets(logger, [config.discord.botToken]),
		});
	return {
		telegram,
		discord,
		telegramWebhook: telegram?.webhook,
		start: async (publicUrl) => {
			await telegram?.start(publicUrl);
			await discord?.start();
		},
		stop: async () => {
			await Promise.all([telegram?.stop(), discord?.stop()]);
		},
	};
}

export { communityConfig, type CommunityConfig, type CommunityConfigInput } from './config';
export type { CommunityDesk, Leases } from './port';
