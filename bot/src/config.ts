import { z } from 'zod';

/**
 * The bots' settings, parsed once. The hub builds them from its environment
 * (hub/src/config.ts); tests and the standalone command build them directly.
 */

/** Telegram: `<bot id>:<secret>` as BotFather gives it (the stand-in's tokens have the same shape). */
const telegramToken = z
	.string()
	.regex(/^\d+:[A-Za-z0-9_-]+$/, 'a Telegram bot token looks like 123456:ABC-def (from BotFather)');

/** Where the hub receives Telegram's webhook posts. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

/** How updates reach the bot: long polling (one process) or Telegram's webhook (several processes behind a balancer). */
export const telegramUpdates = z.discriminatedUnion('mode', [
	z.object({ mode: z.literal('polling') }),
	z.object({
		mode: z.literal('webhook'),
		/** Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; 1–256 of A-Za-z0-9_-. */
		secretToken: z
			.string()
			.regex(/^[A-Za-z0-9_-]{16,256}$/, 'the webhook secret is 16–256 letters, digits, "_" or "-"'),
		/** The public URL Telegram posts to; default `<hub public URL>/telegram/webhook`. */
		url: z.url({ protocol: /^https?$/ }).optional(),
	}),
]);
export type TelegramUpdates = z.infer<typeof telegramUpdates>;

/** Requests one fan may make in `windowMs` before the bot asks them to slow down. */
function perUserLimit(defaults: { requests: number; windowMs: number }) {
	return z
		.object({ requests: z.number().int().positive(), windowMs: z.number().int().positive() })
		.default(defaults);
}

export const telegramBotConfig = z.object({
	botToken: telegramToken,
	apiRoot: z.url({ protocol: /^https?$/ }).optional(),
	/** The artist's private channel (id like -1001234567890 or @name); the bot must be its admin. */
	channelId: z
		.string()
		.regex(/^(-?\d+|@[A-Za-z0-9_]{5,32})$/, 'a Telegram channel is a numeric chat id or @username')
		.optional(),
	/**
	 * The bot's overall budget, shared by its replies and broadcasts: Telegram's is about 30;
	 * more only for bots with paid broadcasts, or against a stand-in with its limits lifted.
	 */
	messagesPerSecond: z.number().positive().default(30),
	updates: telegramUpdates.default({ mode: 'polling' }),
	perUserLimit: perUserLimit({ requests: 5, windowMs: 10_000 }),
});
export type TelegramBotConfig = z.infer<typeof telegramBotConfig>;

const snowflake = (what: string) =>
	z.string().regex(/^\d{15,21}$/, `a Discord ${what} id is a number of 15–21 digits`);

export const discordBotConfig = z.object({
	botToken: z.string().min(20, 'the Discord bot token is missing or too short'),
	applicationId: snowflake('application'),
	guildId: snowflake('server (guild)'),
	releaseRoleId: snowflake('role'),
	announcementChannelId: snowflake('channel'),
	inviteChannelId: snowflake('channel').optional(),
	apiRoot: z.url({ protocol: /^https?$/ }).optional(),
	requestsPerSecond: z.number().positive().max(50).default(50),
	/** More than a person clicks, less than a script sends. */
	perUserLimit: perUserLimit({ requests: 10, windowMs: 10_000 }),
});
export type DiscordBotConfig = z.infer<typeof discordBotConfig>;

export const communityConfig = z.object({
	telegram: telegramBotConfig.optional(),
	discord: discordBotConfig.optional(),
	/** Whether the hub process runs the bots itself; off when they run on their own (`fanloop-hub bots`). */
	runBots: z.boolean().default(true),
});
export type CommunityConfig = z.infer<typeof communityConfig>;
/** What callers write: defaults filled in by parsing. */
export type CommunityConfigInput = z.input<typeof communityConfig>;
