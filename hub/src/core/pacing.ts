import type { SqlStore } from '../store/sql-store';
import { createBudgetRow, holdBudgetBack } from './budget-rows';
import { RollingBudget } from './rolling-budget';
import { SharedRollingPacer } from './shared-rolling-pacer';

/**
 * Spaces requests to one platform so the app stays inside its budget, and holds
 * everyone back when the platform says to (Retry-After).
 */
export interface Pacer {
	/** Resolves when this caller may send its request; call the function it gives once the request is answered (or failed). */
	take(): Promise<Answered>;
	/** The platform answered 429: nobody sends before `retryAfterMs` has passed. */
	pauseFor(retryAfterMs: number): void | Promise<void>;
}

/** Tells the pacer a request it let through was answered. */
export type Answered = () => void;
/** For pacers that space requests by when they leave: the answer changes nothing. */
const noticeNothing: Answered = () => undefined;

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

	async take(): Promise<Answered> {
		const now = this.now();
		const slot = Math.max(now, this.nextSlotMs);
		this.nextSlotMs = slot + this.intervalMs;
		if (slot > now) await this.sleep(slot - now);
		return noticeNothing;
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

	async take(): Promise<Answered> {
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
		return noticeNothing;
	}

	async pauseFor(retryAfterMs: number): Promise<void> {
		await this.ensureRow();
		await holdBudgetBack(this.store, this.budget, retryAfterMs);
	}

	private ensureRow(): Promise<unknown> {
		this.created ??= createBudgetRow(this.store, this.budget).catch((error: unknown) => {
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

/**
 * A chat bot's messages in one process: at most `messagesPerSecond` in any rolling second,
 * each holding its place from when it leaves until a second after its answer, so however
 * the way bunches them up, the platform never counts more (a platform counts arrivals).
 */
export class RollingPacer implements Pacer {
	private readonly budget: RollingBudget;

	constructor(messagesPerSecond: number) {
		this.budget = new RollingBudget(Math.max(1, Math.floor(messagesPerSecond)), 1000);
	}

	take(): Promise<Answered> {
		return this.budget.take();
	}

	pauseFor(retryAfterMs: number): void {
		this.budget.pauseFor(retryAfterMs);
	}
}

/** The pacer for one chat bot's messages (budget named by the bot): its rolling second in the database or in the process, as the store decides. */
export function messagePacerFor(store: SqlStore, budget: string, messagesPerSecond: number): Pacer {
	return store.dialect.sharedByProcesses
		? new SharedRollingPacer(store, budget, messagesPerSecond)
		: new RollingPacer(messagesPerSecond);
}
