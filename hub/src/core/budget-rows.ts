import type { SqlExecutor, SqlStore } from '../store/sql-store';

/**
 * A platform app's row in `rate_budgets`, which hub processes sharing a database read
 * against its clock: no call of the budget leaves before `next_slot_ms`.
 */
export async function createBudgetRow(executor: SqlExecutor, budget: string): Promise<void> {
	await executor.run(
		`INSERT INTO rate_budgets (budget, next_slot_ms) VALUES ($1, 0) ON CONFLICT (budget) DO NOTHING`,
		[budget],
	);
}

/** The platform answered 429: no process sends on this budget before `retryAfterMs` has passed. */
export async function holdBudgetBack(
	store: SqlStore,
	budget: string,
	retryAfterMs: number,
): Promise<void> {
	const now = store.dialect.nowMsSql;
	await store.run(
		`UPDATE rate_budgets SET next_slot_ms = CASE WHEN next_slot_ms > ${now} + $2 THEN next_slot_ms ELSE ${now} + $2 END
		 WHERE budget = $1`,
		[budget, Math.ceil(retryAfterMs)],
	);
}
