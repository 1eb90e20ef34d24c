import type { CommunityConfig } from '../../../bot/src/config';
import type { CommunityPlatforms } from '../core/community/community';
import { messagePacerFor } from '../core/pacing';
import { SharedRollingPacer } from '../core/shared-rolling-pacer';
import type { SqlStore } from '../store/sql-store';
import { DiscordRestClient } from './discord';
import { TelegramClient } from './telegram';

/**
 * The hub's REST clients for the chat platforms this hub has a bot for; the others stay absent.
 * Each bot's budget is paced in the store: one budget for every hub process on a shared
 * database, the process's own on SQLite.
 */
export function communityPlatforms(config: CommunityConfig, store: SqlStore): CommunityPlatforms {
	// A Telegram token starts with the bot's id; a Discord bot is its application.
	const telegramBudget = config.telegram && `telegram:${config.telegram.botToken.split(':')[0]}`;
	const discordBudget = config.discord && `discord:${config.discord.applicationId}`;
	const telegram = config.telegram && new TelegramClient(config.telegram);
	const discord =
		config.discord &&
		new DiscordRestClient(
			config.discord,
			// In one process the client's rolling budget is the whole bot's; across processes they share one more.
			store.dialect.sharedByProcesses
				? (requestsPerSecond) =>
						new SharedRollingPacer(store, `${discordBudget}:requests`, requestsPerSecond)
				: undefined,
		);
	return {
		messengers: { ...(telegram ? { telegram } : {}), ...(discord ? { discord } : {}) },
		invites: {
			...(telegram
				? {
						telegramStartLink: (payload: string) => telegram.telegramStartLink(payload),
						telegramChannelInvite: (name: string) => telegram.telegramChannelInvite(name),
					}
				: {}),
			...(discord ? { discordInvite: () => discord.discordInvite() } : {}),
		},
		...(discord ? { releaseRole: discord } : {}),
		pacers: {
			...(telegram
				? { telegram: messagePacerFor(store, telegramBudget as string, telegram.messagesPerSecond) }
				: {}),
			...(discord
				? {
						discord: messagePacerFor(store, `${discordBudget}:messages`, discord.messagesPerSecond),
					}
				: {}),
		},
	};
}
