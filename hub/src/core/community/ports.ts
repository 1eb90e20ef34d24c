/**
 * What the community layer needs from Telegram and Discord, as the core sees it. The hub's
 * REST clients (hub/src/providers/telegram.ts, discord.ts) implement these; the core never
 * imports a bot library, and the bots (bot/) reach the ledger only through `CommunityDesk`.
 */
export const COMMUNITY_PLATFORMS = ['telegram', 'discord'] as const;
export type CommunityPlatform = (typeof COMMUNITY_PLATFORMS)[number];

/**
 * blocked: the fan blocked the bot or closed DMs (Telegram 403, Discord 50007) — drop and record;
 * rate_limited: wait `retryAfterMs`, then retry; transient: 5xx or network, retry later;
 * not_allowed: the bot lacks a right it needs (role above its own, not a channel admin) — tell the marketer;
 * permanent: anything else the platform refused.
 */
export type CommunityErrorKind =
	'blocked' | 'rate_limited' | 'transient' | 'not_allowed' | 'permanent';

export class CommunityPlatformError extends Error {
	constructor(
		readonly platform: CommunityPlatform,
		readonly kind: CommunityErrorKind,
		message: string,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'CommunityPlatformError';
	}
}

/** Outbound messages; every call throws CommunityPlatformError on refusal. */
export interface CommunityMessenger {
	readonly platform: CommunityPlatform;
	/** Messages per second the platform allows this bot overall (the broadcast pacer's budget). */
	readonly messagesPerSecond: number;
	/** A direct message to a fan who has started the bot (Telegram chat id / Discord user id). */
	sendDirect(userId: string, text: string): Promise<{ messageId: string }>;
	/** One post in the artist's announcement channel; on Discord it pings the release-updates role. */
	announce(text: string): Promise<{ messageId: string }>;
}

/** The Discord "release updates" role: granting checks the bot's place in the role hierarchy. */
export interface DiscordReleaseRole {
	grant(userId: string): Promise<void>;
	revoke(userId: string): Promise<void>;
}

/** How long a Discord invite the hub makes stays open (Discord's longest `max_age`, 7 days). */
export const DISCORD_INVITE_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/** Where a Discord invite code takes a fan. */
export function discordInviteUrl(code: string): string {
	return `https://discord.gg/${code}`;
}

/** Invites that can be traced back to the fan they were made for. */
export interface CommunityInvites {
	/** Telegram: the deep link `https://t.me/<bot username>?start=<payload>` that opens the bot with `/start <payload>`. */
	telegramStartLink?(payload: string): Promise<string>;
	/** Telegram: an invite link to the private channel (the bot must be its admin). */
	telegramChannelInvite?(name: string): Promise<string>;
	/** Discord: a single-use invite; joins are attributed by which invite was used up. */
	discordInvite?(): Promise<{ code: string; url: string }>;
}

/** A chat user as the bots see them. */
export interface ChatUser {
	platform: CommunityPlatform;
	/** Telegram user/chat id or Discord user id, as a string. */
	userId: string;
	username?: string;
	/** The language the chat client reports (Telegram language_code, Discord locale). */
	locale?: string;
}
