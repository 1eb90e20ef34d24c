import type { RecordActionInput } from '../actions';
import type { Platform } from '../model';
import type { SqlExecutor } from '../../store/sql-store';
import { markActionFanStale } from '../insights/stale-fans';

/**
 * A pre-save's status tells a marketer where it stands, and only this file moves it:
 * - `pending`: waiting for release day; with an `error`, waiting for the fan to reconnect.
 * - `done` + `hard`: converted; its child `save` is done and `presave.converted` was announced once.
 * - `failed`: the platform refused the save for good; `error` says why.
 * - `skipped`: nothing to convert (a platform without a library, the fan erased); `error` says why.
 * Page and API pre-saves start here alike, and release day settles each exactly once.
 */

/** YouTube has no library to save a release to: its pre-save is the channel subscription offered at consent. */
const WITHOUT_LIBRARY: readonly Platform[] = ['youtube'];

export const NO_LIBRARY_REASON =
	'YouTube has no library to save a release to: there is nothing to convert on release day (the channel subscription at consent is what a YouTube pre-save can do).';
export const NO_PLATFORM_REASON =
	'No streaming platform was named, so there is nothing to save on release day.';
export const ERASED_REASON = 'The fan asked to be erased; nothing is saved for them.';

/**
 * SQL over `actions`: whether an action says the fan took its layer. A pending action counts
 * (the fan already said yes), and so does a pre-save with nothing to convert: the fan pre-saved.
 */
export function takenLayerSql(alias: string): string {
	return `(${alias}.status IN ('done', 'pending') OR (${alias}.kind = 'presave' AND ${alias}.status = 'skipped'))`;
}

export function waitingForReconnectReason(platform: string, cause: string): string {
	return `Waiting for the fan to reconnect ${platform}: ${cause}`;
}

/**
 * How a new pre-save enters the ledger, whoever records it: `pending` until release day,
 * or `skipped` at once when there is nothing to convert. A marketer may record one the
 * platform already refused (`failed`) or that has nothing to convert (`skipped`); "done"
 * is for release day alone to say.
 */
export function startOfPresave(input: RecordActionInput): RecordActionInput {
	if (input.status === 'failed' || input.status === 'skipped') return input;
	if (!input.platform)
		return { ...input, status: 'skipped', error: input.error ?? NO_PLATFORM_REASON };
	if (WITHOUT_LIBRARY.includes(input.platform)) {
		return { ...input, status: 'skipped', error: input.error ?? NO_LIBRARY_REASON };
	}
	return { ...input, status: 'pending', verification: 'soft', error: null };
}

export type PresaveSettlement =
	| { status: 'done' }
	| { status: 'failed'; error: string }
	| { status: 'skipped'; error: string }
	| { status: 'pending'; error: string };

/**
 * Moves a still-pending pre-save on, inside the caller's transaction (the one that records
 * its save, so the two never disagree). Returns whether it moved: a settled one stays settled.
 */
export async function settlePresaveWithin(
	tx: SqlExecutor,
	presaveId: string,
	settlement: PresaveSettlement,
	nowMs: number,
): Promise<boolean> {
	const verification = settlement.status === 'done' ? 'hard' : 'soft';
	const error = settlement.status === 'done' ? null : settlement.error;
	const { changes } = await tx.run(
		`UPDATE actions SET status = $2, verification = $3, error = $4, updated_at = $5
		 WHERE id = $1 AND kind = 'presave' AND status = 'pending'`,
		[presaveId, settlement.status, verification, error, nowMs],
	);
	if (changes > 0) await markActionFanStale(tx, presaveId);
	return changes > 0;
}

/** The fan reconnected the platform: their pre-saves waiting on it wait only for release day again. */
export async function clearReconnectWaitWithin(
	tx: SqlExecutor,
	fanId: string,
	platform: string,
	nowMs: number,
): Promise<void> {
	await tx.run(
		`UPDATE actions SET error = NULL, updated_at = $3
		 WHERE fan_id = $1 AND platform = $2 AND kind = 'presave' AND status = 'pending' AND error IS NOT NULL`,
		[fanId, platform, nowMs],
	);
}
