import type { FaultAnswers, StandInRequest, StandInResponse } from '../core/http-stand-in';
import { TelegramChannelMethods } from './telegram-api-channels';
import { TelegramCommandMethods } from './telegram-api-commands';
import { TelegramMessageMethods, type TelegramRateLimits } from './telegram-api-messages';
import { TelegramUpdateMethods } from './telegram-api-updates';
import { Described, type BotApiMethod } from './telegram-method';
import { TelegramApiError, TelegramParams, tooManyRequests } from './telegram-params';
import { WebhookDelivery, type WebhookAttempt } from './telegram-webhook';
import type { TelegramWorld } from './telegram-world';

const BOT_PATH = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/;

export interface TelegramBotApiOptions {
	/** The one token this Bot API answers to. */
	token: string;
	limits: TelegramRateLimits;
	webhookRetryMs: number;
	webhookTimeoutMs: number;
}

function errorResponse(error: TelegramApiError): StandInResponse {
	return {
		status: error.errorCode,
		body: {
			ok: false,
			error_code: error.errorCode,
			description: error.description,
			...(error.parameters ? { parameters: error.parameters } : {}),
		},
	};
}

/** Injected faults in the Bot API's own words, since grammY parses every answer's body. */
export const TELEGRAM_FAULT_ANSWERS: FaultAnswers = {
	rateLimited: (retryAfterSeconds) => errorResponse(tooManyRequests(retryAfterSeconds)),
	unavailable: () => errorResponse(new TelegramApiError(502, 'Bad Gateway')),
};

/**
 * The bot's side of Telegram: the token, the method by name (case-insensitive, as Telegram
 * takes it) and the `{ok, result}` envelope; each group of methods, with its documented
 * checks and refusals, lives in its own telegram-api-*.ts.
 */
export class TelegramBotApi {
	private readonly methods = new Map<string, { name: string; run: BotApiMethod }>();
	private readonly counts = new Map<string, number>();
	private readonly webhook: WebhookDelivery;
	private readonly updates: TelegramUpdateMethods;

	constructor(
		world: TelegramWorld,
		private readonly options: TelegramBotApiOptions,
	) {
		this.webhook = new WebhookDelivery(world.updates, {
			clock: world.clock,
			retryMs: options.webhookRetryMs,
			timeoutMs: options.webhookTimeoutMs,
			runReply: async (method, params) => {
				const known = this.methods.get(method.toLowerCase());
				if (known) await known.run(TelegramParams.of(params));
			},
		});
		this.updates = new TelegramUpdateMethods(world, this.webhook);
		const methods = {
			getMe: () => world.me,
			...this.updates.methods(),
			...new TelegramMessageMethods(world, options.limits).methods(),
			...new TelegramChannelMethods(world).methods(),
			...new TelegramCommandMethods().methods(),
		};
		for (const [name, run] of Object.entries(methods)) {
			// Bot API method names are case-insensitive.
			this.methods.set(name.toLowerCase(), { name, run });
		}
	}

	/** Authorized calls per Bot API method, by the method's documented name. */
	requestCounts(): Record<string, number> {
		return Object.fromEntries(this.counts);
	}

	/** Long polls a newer getUpdates ended with 409 Conflict: each one means a second poller. */
	get conflictingPolls(): number {
		return this.updates.conflictingPolls;
	}

	/** Every POST to the bot's webhook, in order. */
	webhookAttempts(): WebhookAttempt[] {
		return this.webhook.attempts.map((attempt) => ({ ...attempt }));
	}

	/** Ends a waiting long poll and stops webhook deliveries. */
	close(): void {
		this.updates.close();
		this.webhook.remove();
	}

	/** One Bot API call: the token, the method (named in any case), its parameters, then its answer or refusal. */
	async handle(request: StandInRequest): Promise<StandInResponse> {
		const match = BOT_PATH.exec(request.path);
		if (!match) return errorResponse(new TelegramApiError(404, 'Not Found'));
		if (decodeURIComponent(match[1]) !== this.options.token) {
			return errorResponse(new TelegramApiError(401, 'Unauthorized'));
		}
		const method = this.methods.get(match[2].toLowerCase());
		if (!method) return errorResponse(new TelegramApiError(404, 'Not Found: method not found'));
		this.counts.set(method.name, (this.counts.get(method.name) ?? 0) + 1);
		try {
			const answer = await method.run(TelegramParams.from(request), request.callerGone);
			return answer instanceof Described
				? {
						status: 200,
						body: { ok: true, result: answer.result, description: answer.description },
					}
				: { status: 200, body: { ok: true, result: answer } };
		} catch (error) {
			if (error instanceof TelegramApiError) return errorResponse(error);
			throw error;
		}
	}
}
