import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signing';
import type { Logger } from './logger';
import { PollingLoop } from './polling-loop';
import type { Webhooks } from './webhooks';
import type { SqlStore } from '../store/sql-store';

/** POSTs one signed event; resolves with the HTTP status, rejects when nothing answered. */
export type EventPoster = (
	url: string,
	body: string,
	headers: Record<string, string>,
) => Promise<number>;

export interface DeliveryOptions {
	pollMs?: number;
	/** POSTs in flight at once; a finished one makes room for the next at once. */
	maxInFlight?: number;
	/** Retries back off exponentially from 1 s up to this. */
	maxBackoffMs?: number;
	/** After this long an undelivered event is marked failed. */
	giveUpAfterMs?: number;
	/** How long a claimed delivery stays claimed if its process dies mid-POST. */
	leaseMs?: number;
	requestTimeoutMs?: number;
	/**
	 * The time a signature carries, which the receiver checks against its own wall clock (five
	 * minutes either way). Defaults to the hub's clock; a hub on a sandbox clock moved away
	 * from real time (tests, demos) passes `Date.now` so n8n does not refuse its events as stale.
	 */
	signingClock?: () => number;
}

interface ClaimedDelivery {
	event_id: string;
	subscription_id: string;
	attempts: number;
}

interface DeliveryWork extends ClaimedDelivery {
	payload: string;
	url: string;
	created_at: number;
}

const DEFAULTS: Required<Omit<DeliveryOptions, 'signingClock'>> = {
	pollMs: 500,
	maxInFlight: 32,
	maxBackoffMs: 10 * 60_000,
	giveUpAfterMs: 72 * 3_600_000,
	leaseMs: 60_000,
	requestTimeoutMs: 10_000,
};

export function fetchPoster(timeoutMs: number): EventPoster {
	return async (url, body, headers) => {
		const response = await fetch(url, {
			method: 'POST',
			body,
			headers: { 'content-type': 'application/json', ...headers },
			signal: AbortSignal.timeout(timeoutMs),
		});
		await response.arrayBuffer();
		return response.status;
	};
}

/**
 * Delivers the outbox to webhook subscriptions at least once, keeping a window of POSTs
 * in flight that is refilled as each one finishes. Deliveries are claimed
 * with a lease (row locks on PostgreSQL), so several hub processes share the work and
 * a crashed process's claims come back after the lease.
 */
export class DeliveryLoop extends PollingLoop {
	private readonly options: Required<Omit<DeliveryOptions, 'signingClock'>> & DeliveryOptions;
	private readonly post: EventPoster;
	private readonly secrets = new Map<string, string>();
	private readonly inFlight = new Set<Promise<void>>();
	private roomMade: (() => void) | undefined;

	constructor(
		private readonly store: SqlStore,
		private readonly webhooks: Webhooks,
		logger: Logger,
		private readonly clock: () => number = Date.now,
		options: DeliveryOptions = {},
		post?: EventPoster,
	) {
		const settings = { ...DEFAULTS, ...options };
		super('event delivery', settings.pollMs, logger);
		this.options = settings;
		this.post = post ?? fetchPoster(this.options.requestTimeoutMs);
	}

	/**
	 * Claims as many due deliveries as the window has room for and starts them without
	 * waiting: one slow receiver holds up one slot, not everything claimed with it.
	 */
	protected async pass(): Promise<boolean> {
		await this.roomInWindow();
		const room = this.options.maxInFlight - this.inFlight.size;
		const claimed = await this.claim(room);
		for (const delivery of claimed) {
			const posted: Promise<void> = this.deliver(delivery).finally(() => {
				this.inFlight.delete(posted);
				this.roomMade?.();
			});
			this.inFlight.add(posted);
		}
		return claimed.length === room;
	}

	/** Stops claiming, then lets the POSTs already started finish. */
	override async stop(): Promise<void> {
		await super.stop();
		await Promise.allSettled([...this.inFlight]);
	}

	/** Claims and delivers what is due, up to the window, and waits for it; returns how many it attempted. */
	async deliverDue(): Promise<number> {
		const claimed = await this.claim(this.options.maxInFlight);
		await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
		return claimed.length;
	}

	private async roomInWindow(): Promise<void> {
		while (this.inFlight.size >= this.options.maxInFlight) {
			await new Promise<void>((resolve) => (this.roomMade = resolve));
			this.roomMade = undefined;
		}
	}

	/** Claims up to `limit` due deliveries and reads what to send for all of them in one query. */
	private async claim(limit: number): Promise<DeliveryWork[]> {
		const now = this.clock();
		const claimed = await this.store.all<ClaimedDelivery>(
			`UPDATE deliveries SET locked_until = $1, attempts = attempts + 1
			 WHERE (event_id, subscription_id) IN (
				SELECT event_id, subscription_id FROM deliveries
				WHERE status = 'pending' AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until < $2)
				ORDER BY next_attempt_at LIMIT $3${this.store.dialect.claimRowsSuffix})
			 RETURNING event_id, subscription_id, attempts`,
			[now + this.options.leaseMs, now, limit],
		);
		if (claimed.length === 0) return [];
		const params: string[] = [];
		const placeholders = (ids: Iterable<string>) =>
			[...new Set(ids)].map((id) => `$${params.push(id)}`).join(', ');
		const events = placeholders(claimed.map((delivery) => delivery.event_id));
		const subscriptions = placeholders(claimed.map((delivery) => delivery.subscription_id));
		const rows = await this.store.all<{
			event_id: string;
			subscription_id: string;
			payload: string;
			url: string;
			created_at: number;
		}>(
			`SELECT d.event_id, d.subscription_id, o.payload, s.url, o.created_at
			 FROM deliveries d JOIN outbox o ON o.id = d.event_id JOIN webhook_subscriptions s ON s.id = d.subscription_id
			 WHERE d.event_id IN (${events}) AND d.subscription_id IN (${subscriptions})`,
			params,
		);
		const toSend = new Map(rows.map((row) => [`${row.event_id} ${row.subscription_id}`, row]));
		const work: DeliveryWork[] = [];
		for (const delivery of claimed) {
			const row = toSend.get(`${delivery.event_id} ${delivery.subscription_id}`);
			if (row) work.push({ ...delivery, ...row, attempts: Number(delivery.attempts) });
		}
		return work;
	}

	private async secretOf(subscriptionId: string): Promise<string | undefined> {
		let secret = this.secrets.get(subscriptionId);
		if (secret === undefined) {
			secret = await this.webhooks.secretOf(subscriptionId);
			if (secret !== undefined) this.secrets.set(subscriptionId, secret);
		}
		return secret;
	}

	private async deliver(delivery: DeliveryWork): Promise<void> {
		const key = [delivery.event_id, delivery.subscription_id];
		let failure: string;
		try {
			const secret = await this.secretOf(delivery.subscription_id);
			if (secret === undefined) return;
			const status = await this.post(delivery.url, delivery.payload, {
				[SIGNATURE_HEADER]: signatureHeader(
					secret,
					delivery.payload,
					(this.options.signingClock ?? this.clock)(),
				),
				[EVENT_ID_HEADER]: delivery.event_id,
			});
			if (status >= 200 && status < 300) {
				await this.store.run(
					`UPDATE deliveries SET status = 'delivered', delivered_at = $3, locked_until = NULL, last_error = NULL
					 WHERE event_id = $1 AND subscription_id = $2`,
					[...key, this.clock()],
				);
				return;
			}
			failure = `HTTP ${status}`;
		} catch (error) {
			failure = (error as Error).cause
				? String((error as Error & { cause: Error }).cause.message)
				: (error as Error).message;
		}
		const now = this.clock();
		const givingUp = now - Number(delivery.created_at) > this.options.giveUpAfterMs;
		const backoffMs = Math.min(1000 * 2 ** (delivery.attempts - 1), this.options.maxBackoffMs);
		await this.store.run(
			`UPDATE deliveries SET status = $3, next_attempt_at = $4, locked_until = NULL, last_error = $5
			 WHERE event_id = $1 AND subscription_id = $2`,
			[...key, givingUp ? 'failed' : 'pending', now + backoffMs, failure],
		);
		this.logger.warn('event delivery failed', {
			eventId: delivery.event_id,
			subscriptionId: delivery.subscription_id,
			attempt: delivery.attempts,
			retryInMs: givingUp ? null : backoffMs,
			reason: failure,
		});
	}
}
