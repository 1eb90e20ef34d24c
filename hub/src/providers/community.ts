import type { CommunityConfig } from '../../../bot/src/config';
import type { CommunityPlatforms } from '../core/community/community';
import { RatePacer } from '../core/streaming/pacer';
import { DiscordRestClient } from './discord';
import { TelegramClient } from './telegram';

/** The hub's REST clients for the chat platforms this hub has a bot for; the others stay absent. */
export function communityPlatforms(config: CommunityConfig): CommunityPlatforms {
	const telegram = config.telegram && new TelegramClient(config.telegram);
	const discord = config.discord && new DiscordRestClient(config.discord);
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
			...(telegram ? { telegram: new RatePacer(telegram.messagesPerSecond) } : {}),
			...(discord ? { discord: new RatePacer(discord.messagesPerSecond) } : {}),
		},
	};
}
