import type { CommunityPlatforms } from '../../hub/src/core/community/community';
import type { Logger } from '../../hub/src/core/logger';
import type { CommunityConfig } from './config';
import { createDiscordBot, type DiscordBot } from './discord/bot';
import { withoutSecrets } from './log';
import type { CommunityDesk } from './port';
import { createTelegramBot, type TelegramBot } from './telegram/bot';

export interface BotsOptions {
	config: CommunityConfig;
	desk: CommunityDesk;
	logger: Logger;
	/** The process's pacers per platform (hub/src/providers/community.ts), shared with broadcasts. */
	pacers?: CommunityPlatforms['pacers'];
}

export interface Bots {
	readonly telegram?: TelegramBot;
	readonly discord?: DiscordBot;
	/** Set when the Telegram bot takes its updates by webhook: the hub's route hands them here. */
	readonly telegramWebhook?: TelegramBot['webhook'];
	/** Connects every configured bot; `publicUrl` is where Telegram's webhook reaches the hub. */
	start(publicUrl: string): Promise<void>;
	stop(): Promise<void>;
}

/** The configured bots over one desk, built without side effects; `start` connects them. */
export function createBots({ config, desk, logger, pacers }: BotsOptions): Bots {
	const telegram =
		config.telegram &&
		createTelegramBot({ config: config.telegram, desk, logger, pacer: pacers?.telegram });
	const discord =
		config.discord &&
		createDiscordBot({
			botToken: config.discord.botToken,
			guildId: config.discord.guildId,
			apiRoot: config.discord.apiRoot,
			perUserLimit: config.discord.perUserLimit,
			desk,
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
export type { CommunityDesk } from './port';
