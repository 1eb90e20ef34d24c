import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Update, WebhookInfo } from '@grammyjs/types';
import type { SandboxClock } from '../core/clock';
import type { UpdateQueue } from './telegram-updates';

export interface WebhookConfig {
	url: string;
	/** Sent back in `X-Telegram-Bot-Api-Secret-Token` with every delivery. */
	secretToken?: string;
	maxConnections: number;
}

/** One POST of an update to the bot's webhook, for tests to read back. */
export interface WebhookAttempt {
	updateId: number;
	url: string;
	/** The webhook's HTTP status, or undefined when no answer came (refused, reset, timed out). */
	status?: number;
	/** The secret header as sent, so a test can prove the bot checks it. */
	secretToken?: string;
}

export interface WebhookDeliveryOptions {
	clock: SandboxClock;
	/** Wait before posting a refused update again. */
	retryMs: number;
	/** How long Telegram waits for the webhook's answer. */
	timeoutMs: number;
	/** A webhook may answer a 2xx with one Bot API call as its JSON body; Telegram runs it. */
	runReply(method: string, params: Record<string, unknown>): Promise<void>;
}

/**
 * Pushes the bot's pending updates to its webhook, oldest first over up to `max_connections`
 * connections at once (so a bot sees updates concurrently and possibly out of order, as from
 * Telegram), until each is answered 2xx: refused updates are retried, never dropped.
 */
export class WebhookDelivery {
	readonly attempts: WebhookAttempt[] = [];
	private config: WebhookConfig | undefined;
	private lastError: { dateSeconds: number; message: string } | undefined;
	private running: AbortController | undefined;

	constructor(
		private readonly queue: UpdateQueue,
		private readonly options: WebhookDeliveryOptions,
	) {}

	get current(): WebhookConfig | undefined {
		return this.config;
	}

	set(config: WebhookConfig): void {
		this.config = config;
		this.lastError = undefined;
		this.running?.abort();
		const running = new AbortController();
		this.running = running;
		void this.run(running.signal);
	}

	remove(): void {
		this.config = undefined;
		this.lastError = undefined;
		this.running?.abort();
		this.running = undefined;
	}

	info(): WebhookInfo {
		const config = this.config;
		const allowed = this.queue.allowedUpdates;
		return {
			url: config?.url ?? '',
			has_custom_certificate: false,
			pending_update_count: this.queue.size,
			...(config ? { max_connections: config.maxConnections, ip_address: '127.0.0.1' } : {}),
			...(config && allowed ? { allowed_updates: [...allowed] } : {}),
			...(this.lastError
				? {
						last_error_date: this.lastError.dateSeconds,
						last_error_message: this.lastError.message,
					}
				: {}),
		};
	}

	private async run(signal: AbortSignal): Promise<void> {
		const connections = this.config?.maxConnections ?? 0;
		const busy = new Set<number>();
		await Promise.all(Array.from({ length: connections }, () => this.connection(signal, busy)));
	}

	/** One connection to the webhook: carries the oldest update nobody else is carrying, again and again. */
	private async connection(signal: AbortSignal, busy: Set<number>): Promise<void> {
		while (!signal.aborted) {
			const config = this.config;
			if (!config) return;
			const update = this.queue.oldestExcept(busy);
			if (!update) {
				await this.queue.nextArrival(signal);
				continue;
			}
			busy.add(update.update_id);
			const delivered = await this.deliver(config, update, signal);
			if (delivered && !signal.aborted) this.queue.remove(update.update_id);
			// A refused update stays with this connection until its retry is due.
			if (!delivered)
				await sleep(this.options.retryMs, undefined, { signal }).catch(() => undefined);
			busy.delete(update.update_id);
		}
	}

	private async deliver(
		config: WebhookConfig,
		update: Update,
		signal: AbortSignal,
	): Promise<boolean> {
		const attempt: WebhookAttempt = {
			updateId: update.update_id,
			url: config.url,
			secretToken: config.secretToken,
		};
		this.attempts.push(attempt);
		let response: Response;
		try {
			response = await fetch(config.url, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					...(config.secretToken ? { 'x-telegram-bot-api-secret-token': config.secretToken } : {}),
				},
				body: JSON.stringify(update),
				signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
			});
		} catch (error) {
			if (!signal.aborted) {
				this.recordError(
					(error as Error).name === 'TimeoutError' ? 'Read timeout expired' : 'Connection refused',
				);
			}
			return false;
		}
		attempt.status = response.status;
		const body = await response.text().catch(() => '');
		if (response.status < 200 || response.status > 299) {
			this.recordError(
				`Wrong response from the webhook: ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim(),
			);
			return false;
		}
		await this.runReply(body);
		return true;
	}

	private async runReply(body: string): Promise<void> {
		let reply: unknown;
		try {
			reply = JSON.parse(body);
		} catch {
			return;
		}
		if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return;
		const { method, ...params } = reply as Record<string, unknown>;
		// Telegram reports nothing back about a webhook reply, so its refusals go nowhere either.
		if (typeof method === 'string') {
			await this.options.runReply(method, params).catch(() => undefined);
		}
	}

	private recordError(message: string): void {
		this.lastError = { dateSeconds: Math.floor(this.options.clock.now() / 1000), message };
	}
}
