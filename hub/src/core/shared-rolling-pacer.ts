import type { SqlStore } from '../store/sql-store';
import { createBudgetRow, holdBudgetBack } from './budget-rows';
import type { Answered, Pacer } from './pacing';

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A platform counts a message in its rolling second when it arrives. */
const WINDOW_MS = 1000;
/**
 * How long a place stays taken when its message is never answered (the process died on the
 * way): past the 15 s timeout of a provider call and a window after it, so a live message
 * never loses its place, and a dead process's places come back soon after.
 */
const UNANSWERED_HOLD_MS = 20_000;
/** Another process took the place this one saw free: look again after a breath, not in a busy loop. */
const CONTENDED_RETRY_MS = 2;

/**
 * A chat bot's rolling second kept in the database, for hub processes sharing one: the
 * budget is `messagesPerSecond` places (`rate_places`), and a message holds one from before
 * it leaves until a second after its answer came back. Its arrival lies in between, so
 * however the way to the platform (a busy machine, a slow connection, a process stalled
 * between taking its turn and sending) bunches messages up, the platform never counts more
 * than the budget in a rolling second: spacing slots by when they are handed out cannot
 * promise that across processes.
 *
 * A 429 holds every process back through the budget's row in `rate_budgets`, which here
 * reads "nobody sends before". Waiters in one process take turns, so only one of them asks
 * the database at a time.
 */
export class SharedRollingPacer implements Pacer {
	private readonly places: number;
	private created: Promise<unknown> | undefined;
	private turns: Promise<unknown> = Promise.resolve();

	constructor(
		private readonly store: SqlStore,
		private readonly budget: string,
		messagesPerSecond: number,
		private readonly sleep: Sleep = realSleep,
	) {
		this.places = Math.max(1, Math.floor(messagesPerSecond));
	}

	async take(): Promise<Answered> {
		const turn = this.turns.then(() => this.waitForPlace());
		this.turns = turn.catch(() => undefined);
		const place = await turn;
		let answered = false;
		return () => {
			if (answered) return;
			answered = true;
			// Not awaited by the sender; should it fail, the place frees itself after UNANSWERED_HOLD_MS.
			this.store
				.run(
					`UPDATE rate_places SET free_at_ms = ${this.store.dialect.nowMsSql} + $3
					 WHERE budget = $1 AND place = $2`,
					[this.budget, place, WINDOW_MS],
				)
				.catch(() => undefined);
		};
	}

	async pauseFor(retryAfterMs: number): Promise<void> {
		await this.ensureRows();
		await holdBudgetBack(this.store, this.budget, retryAfterMs);
	}

	private async waitForPlace(): Promise<number> {
		await this.ensureRows();
		const now = this.store.dialect.nowMsSql;
		for (;;) {
			const taken = await this.store.get<{ place: number | string }>(
				`UPDATE rate_places SET free_at_ms = ${now} + $3
				 WHERE budget = $1 AND free_at_ms <= ${now} AND place = (
					SELECT place FROM rate_places
					WHERE budget = $1 AND place < $2 AND free_at_ms <= ${now}
					ORDER BY free_at_ms LIMIT 1${this.store.dialect.claimRowsSuffix}
				 )
				 AND NOT EXISTS (SELECT 1 FROM rate_budgets WHERE budget = $1 AND next_slot_ms > ${now})
				 RETURNING place`,
				[this.budget, this.places, UNANSWERED_HOLD_MS],
			);
			if (taken) return Number(taken.place);
			const free = await this.store.get<{
				free_at_ms: number | string | null;
				resume_at_ms: number | string | null;
				now_ms: number | string;
			}>(
				`SELECT
					(SELECT MIN(free_at_ms) FROM rate_places WHERE budget = $1 AND place < $2) AS free_at_ms,
					(SELECT next_slot_ms FROM rate_budgets WHERE budget = $1) AS resume_at_ms,
					${now} AS now_ms`,
				[this.budget, this.places],
			);
			const nowMs = Number(free?.now_ms ?? 0);
			const freeAtMs = Math.max(Number(free?.free_at_ms ?? 0), Number(free?.resume_at_ms ?? 0));
			// A place still held for an unanswered message frees a window after its answer at the
			// earliest, so looking again a window from now misses nothing.
			await this.sleep(Math.min(WINDOW_MS, Math.max(CONTENDED_RETRY_MS, freeAtMs - nowMs)));
		}
	}

	/** The budget's places and its pause row, made once per process (a larger budget later adds places). */
	private ensureRows(): Promise<unknown> {
		this.created ??= this.store
			.transaction(async (tx) => {
				await createBudgetRow(tx, this.budget);
				const rows = Array.from({ length: this.places }, (_, place) => `($1, ${place}, 0)`);
				await tx.run(
					`INSERT INTO rate_places (budget, place, free_at_ms) VALUES ${rows.join(', ')}
					 ON CONFLICT (budget, place) DO NOTHING`,
					[this.budget],
				);
			})
			.catch((error: unknown) => {
				this.created = undefined;
				throw error;
			});
		return this.created;
	}
}
