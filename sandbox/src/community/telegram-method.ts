import type { TelegramParams } from './telegram-params';

/**
 * One Bot API method: its parameters in, its `result` out, or a TelegramApiError thrown;
 * `callerGone` ends a method that waits (a long poll) when its caller went away.
 */
export type BotApiMethod = (params: TelegramParams, callerGone?: AbortSignal) => unknown;

/** Methods by their documented names. */
export type BotApiMethods = Record<string, BotApiMethod>;

/** A method answer that carries Telegram's `description` beside the result (setWebhook does). */
export class Described {
	constructor(
		readonly result: unknown,
		readonly description: string,
	) {}
}
