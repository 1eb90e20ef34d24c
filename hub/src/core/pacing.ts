import type { SqlStore } from '../store/sql-store';

/**
 * Spaces requests to one platform so the app stays inside its budget, and holds
 * everyone back when the platform says to (Retry-After).
 */
export interface Pacer {
	/** Resolves when this caller may send its request. */
	take(): Promise<void>;
	/** The platform answered 429: nobody sends before `retryAfterMs` has passed. */
	pauseFor(retryAfterMs: number): void | Promise<void>;
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The budget in this process: one pacer per platform per hub process, shared by every
 * job and request that calls it. Right where one process owns the ledger (SQLite).
 */
export class RatePacer implements Pacer {
	private nextSlotMs = 0;
	private readonly intervalMs: number;

	constructor(
		requestsPerSecond: number,
		private readonly now: () => number = Date.now,
		private readonly sleep: Sleep = realSleep,
	) {
		this.intervalMs = 1000 / requestsPerSecond;
	}

	async take(): Promise<void> {
		const now = this.now();
		const slot = Math.max(now, this.nextSlotMs);
		this.nextSlotMs = slot + this.intervalMs;
		if (slot > now) await this.sleep(slot - now);
	}

	pauseFor(retryAfterMs: number): void {
		this.nextSlotMs = Math.max(this.nextSlotMs, this.now() + retryAfterMs);
	}
}

/**
 * The same pacing with its next free slot kept in the database (`rate_budgets`), so every
 * hub process on it draws from one budget per platform app: N processes together send
 * at the platform's rate, not N times it, and one 429 holds them all back.
 *
 * A slot is taken by one single-row UPDATE (the row lock orders the processes), read
 * against the database's clock so the processes' own clocks need not agree. One round
 * trip per call: small beside the platform call it paces, at the tens to hundreds of
 * calls a second a platform allows.
 */
export class SharedRatePacer implements Pacer {
	private readonly intervalMs: number;
	private created: Promise<unknown> | undefined;

	constructor(
		private readonly store: SqlStore,
		private readonly budget: string,
		requestsPerSecond: number,
		private readonly sleep: Sleep = realSleep,
	) {
		this.intervalMs = 1000 / requestsPerSecond;
	}

	async take(): Promise<void> {
		await this.ensureRow();
		const slot = await this.store.get<{ slot_ms: number | string; now_ms: number | string }>(
			`WITH clock AS (SELECT ${this.store.dialect.nowMsSql} AS now_ms)
			 UPDATE rate_budgets SET next_slot_ms =
				CASE WHEN next_slot_ms > clock.now_ms THEN next_slot_ms ELSE clock.now_ms END + $2
			 FROM clock WHERE budget = $1
			 RETURNING next_slot_ms - $2 AS slot_ms, clock.now_ms AS now_ms`,
			[this.budget, this.intervalMs],
		);
		const waitMs = slot ? Number(slot.slot_ms) - Number(slot.now_ms) : 0;
		if (waitMs > 0) await this.sleep(waitMs);
	}

	async pauseFor(retryAfterMs: number): Promise<void> {
		await this.ensureRow();
		const now = this.store.dialect.nowMsSql;
		await this.store.run(
			`UPDATE rate_budgets SET next_slot_ms = CASE WHEN next_slot_ms > ${now} + $2 THEN next_slot_ms ELSE ${now} + $2 END
			 WHERE budget = $1`,
			[this.budget, Math.ceil(retryAfterMs)],
		);
	}

	private ensureRow(): Promise<unknown> {
		this.created ??= this.store
			.run(
				`INSERT INTO rate_budgets (budget, next_slot_ms) VALUES ($1, 0) ON CONFLICT (budget) DO NOTHING`,
				[this.budget],
			)
			.catch((error: unknown) => {
				this.created = undefined;
				throw error;
			});
		return this.created;
	}
}

/**
 * The pacer for one platform app's budget: in the database where several hub processes
 * share it, in the process where one owns it. The store decides, not the caller.
 */
export function pacerFor(
	store: SqlStore,
	budget: string,
	requestsPerSecond: number,
	sleep: Sleep = realSleep,
): Pacer {
	return store.dialect.sharedByProcesses
		? new SharedRatePacer(store, budget, requestsPerSecond, sleep)
		: new RatePacer(requestsPerSecond, Date.now, sleep);
}
