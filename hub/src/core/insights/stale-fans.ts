import type { SqlExecutor } from '../../store/sql-store';

/*
 * Every ledger write that can change a figure marks the fan it touched, inside its own
 * transaction; insights fold the marked fans into the kept aggregates before they read
 * them, so a report never misses a committed write. On a marked fan already held by a
 * fold (PostgreSQL), the update waits for that fold to commit and the mark then stays.
 * A mark already there is only locked (PostgreSQL locks every conflicting row, whatever
 * the WHERE says), not rewritten: a fan's writes between two folds dirty no page for it.
 */
const MARK = 'ON CONFLICT (fan_id) DO UPDATE SET fan_id = excluded.fan_id WHERE FALSE';

export async function markFanStale(tx: SqlExecutor, fanId: string): Promise<void> {
	await tx.run(`INSERT INTO insights_stale_fans (fan_id) VALUES ($1) ${MARK}`, [fanId]);
}

/** The fan of one action, when only the action's id is at hand. */
export async function markActionFanStale(tx: SqlExecutor, actionId: string): Promise<void> {
	await tx.run(
		`INSERT INTO insights_stale_fans (fan_id) SELECT fan_id FROM actions WHERE id = $1 ${MARK}`,
		[actionId],
	);
}

/** Every fan of a campaign: its artist changed, so which artist's figures they count in did too. */
export async function markCampaignFansStale(tx: SqlExecutor, campaignId: string): Promise<void> {
	await tx.run(
		`INSERT INTO insights_stale_fans (fan_id) SELECT DISTINCT fan_id FROM actions WHERE campaign_id = $1 ${MARK}`,
		[campaignId],
	);
}
