import { setTimeout as sleep } from 'node:timers/promises';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { Bot, BotError, type Context } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from '../../../hub/src/core/logger';
import { RollingPacer, type Pacer } from '../../../hub/src/core/pacing';
import { TELEGRAM_WEBHOOK_PATH, type TelegramBotConfig } from '../config';
import { UserRateLimit } from '../user-rate-limit';
import { describeError, withoutSecrets } from '../log';
import type { CommunityDesk, HeldLease, Leases } from '../port';
import { memberships } from './memberships';
import { fanCommands } from './fan-commands';
import { COMMANDS, SLOW_DOWN } from './replies';

/** chat_member must be asked for by name; the bot reads nothing else. */
const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member', 'chat_member'] as const;

/** Waits longer than this are not worth holding a fan's reply for. */
const MAX_REPLY_WAIT_SECONDS = 10;
const MAX_REPLY_ATTEMPTS = 6;
/** The calls that put a message in a chat: they count toward Telegram's ~30 per second. */
const PACED_METHODS = /^(send|edit|copy|forward)/;

const SORRY = 'Something went wrong on our side. Please try again in a minute.';

export interface TelegramBotOptions {
	config: TelegramBotConfig;
	desk: CommunityDesk;
	logger: Logger;
	/** What polling is held under (the hub's `services.leases`): Telegram answers a second poller with 409. */
	leases: Leases;
	/** The process's Telegram pacer, shared with broadcasts; by default the bot's own at `messagesPerSecond`. */
	pacer?: Pacer;
}

export interface TelegramBot {
	readonly bot: Bot;
	/** In webhook mode: what the hub's webhook route hands each (secret-checked) update to. */
	readonly webhook?: { secretToken: string; handle(update: unknown): Promise<void> };
	/**
	 * Registers the webhook at `<publicUrl>/telegram/webhook` (or the configured URL), or polls once
	 * this process holds the bot's polling lease: at once when it is free, or when its holder stops or dies.
	 */
	start(publicUrl: string): Promise<void>;
	stop(): Promise<void>;
}

/**
 * The Telegram bot, wired and not yet started: per-fan ordering and rate limiting,
 * the fan commands and buttons, channel joins, and an error boundary whose logs never
 * carry the token.
 */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
	const { config, desk } = options;
	const updates = config.updates;
	const logger = withoutSecrets(options.logger, [
		config.botToken,
		updates.mode === 'webhook' ? updates.secretToken : '',
	]);
	const bot = new Bot(
		config.botToken,
		config.apiRoot ? { client: { apiRoot: config.apiRoot } } : {},
	);

	const pacer = options.pacer ?? new RollingPacer(config.messagesPerSecond);
	// The runner stays silent (it would print raw errors, token and all); failed calls are logged here instead.
	// Messages go out at the bot's overall pace; one refused for flooding waits as long as Telegram asks.
	bot.api.config.use(async (previous, method, payload, signal) => {
		const paced = PACED_METHODS.test(method);
		for (let attempt = 1; ; attempt++) {
			const answered = paced ? await pacer.take() : undefined;
			let answer: Awaited<ReturnType<typeof previous>>;
			try {
				answer = await previous(method, payload, signal).finally(answered);
			} catch (error) {
				if (!signal?.aborted)
					logger.warn('telegram: call failed', { method, error: describeError(error) });
				throw error;
			}
			const retryAfterSeconds = answer.ok ? undefined : answer.parameters?.retry_after;
			if (
				retryAfterSeconds !== undefined &&
				retryAfterSeconds <= MAX_REPLY_WAIT_SECONDS &&
				attempt < MAX_REPLY_ATTEMPTS
			) {
				// Most likely one chat's limit (the pacer keeps the overall one): only this call waits.
				await sleep(retryAfterSeconds * 1000);
				continue;
			}
			if (!answer.ok)
				logger.warn('telegram: call refused', {
					method,
					code: answer.error_code,
					description: answer.description,
				});
			return answer;
		}
	});

	// One fan's updates are handled in order; different fans' run side by side.
	bot.use(sequentialize((ctx: Context) => ctx.from?.id.toString()));
	bot.use(floodGuard(config.perUserLimit));
	bot.use(fanCommands(desk));
	bot.use(memberships(desk, config.channelId));

	bot.catch(async (error) => {
		logger.error('telegram: update failed', {
			updateId: error.ctx.update.update_id,
			error: describeError(error.error),
		});
		if (error.ctx.chat?.type === 'private') await error.ctx.reply(SORRY).catch(() => undefined);
	});

	let runner: RunnerHandle | undefined;
	let pollingLease: HeldLease | undefined;
	const poll = {
		start: async () => {
			await bot.api.deleteWebhook();
			runner = run(bot, {
				runner: { fetch: { allowed_updates: ALLOWED_UPDATES }, silent: true },
			});
			logger.info('telegram polling', { username: bot.botInfo.username });
		},
		stop: async () => {
			if (runner?.isRunning()) await runner.stop();
			runner = undefined;
		},
	};
	const webhook =
		updates.mode === 'webhook'
			? {
					secretToken: updates.secretToken,
					// handleUpdate rethrows what the middleware threw; bot.catch only serves polling. An update
					// the bot could not answer is logged here and acknowledged: a webhook that fails is redelivered
					// by Telegram again and again.
					handle: async (update: unknown) => {
						try {
							await bot.handleUpdate(update as Update);
						} catch (error) {
							if (!(error instanceof BotError)) throw error;
							await bot.errorHandler(error);
						}
					},
				}
			: undefined;

	return {
		bot,
		webhook,
		start: async (publicUrl) => {
			await bot.init();
			await bot.api.setMyCommands(COMMANDS);
			if (updates.mode === 'webhook') {
				await bot.api.setWebhook(updates.url ?? `${publicUrl}${TELEGRAM_WEBHOOK_PATH}`, {
					secret_token: updates.secretToken,
					allowed_updates: ALLOWED_UPDATES,
				});
			} else {
				// The bot's id (the token's public half, as getMe gives it) names its lease.
				pollingLease = await options.leases.hold(`telegram-polling:${bot.botInfo.id}`, poll);
			}
			logger.info('telegram bot started', { username: bot.botInfo.username, mode: updates.mode });
		},
		stop: async () => {
			await pollingLease?.release();
			pollingLease = undefined;
		},
	};
}

/** At most `requests` updates per fan per `windowMs`; past that, one polite "slow down" and silence. */
function floodGuard(limit: { requests: number; windowMs: number }) {
	const updates = new UserRateLimit(limit.requests, limit.windowMs);
	const warnings = new UserRateLimit(1, limit.windowMs);
	return async (ctx: Context, next: () => Promise<void>) => {
		const fan = ctx.from?.id.toString();
		if (!fan || updates.allow(fan)) return next();
		if (ctx.callbackQuery) await ctx.answerCallbackQuery();
		if (warnings.allow(fan) && ctx.chat?.type === 'private') await ctx.reply(SLOW_DOWN);
	};
}
