import type { JobContext } from './jobs';
import type { SqlStore } from '../store/sql-store';

/**
 * A long job split into pieces where several hub processes share the store: each piece is
 * a job of its own (leased, taken over when its process dies), one share of the rows the
 * job works on. The job queues its pieces, works on them itself while the other processes
 * claim the rest, and sums what they report.
 */

/** Ids end in one of their random base-32 digits (ids.ts): a piece takes the ids ending in its share of them. */
const ID_DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** How often a job waiting on pieces other processes run looks at them again. */
const PIECE_POLL_MS = 250;
/** How often a job waiting on its pieces reports their sum. */
const REPORT_EVERY_MS = 2_000;

/** One share of a job's rows: the ids whose last digit falls in part `part` of `parts`. */
export interface IdShare {
	part: number;
	parts: number;
}

export interface PieceRow {
	id: string;
	status: 'queued' | 'running' | 'done' | 'failed';
	progress: string | null;
}

/**
 * The SQL condition (`AND …`) keeping the rows whose `column` id is in `share`, its digits
 * bound from `$firstParam`; empty and unbound for the whole (no share).
 */
export function idShareFilter(
	column: string,
	share: IdShare | undefined,
	firstParam: number,
): { sql: string; params: string[] } {
	if (!share) return { sql: '', params: [] };
	const digits = [...ID_DIGITS].filter((_, index) => index % share.parts === share.part);
	const placeholders = digits.map((_, index) => `$${firstParam + index}`).join(', ');
	return {
		sql: `AND substr(${column}, length(${column}), 1) IN (${placeholders})`,
		params: digits,
	};
}

/** Queues pieces as jobs of `kind`; pieces already there are kept, so a pass cut short is carried on with the same ones. */
export async function queuePieces(
	store: SqlStore,
	kind: string,
	pieces: { id: string; payload: Record<string, unknown> }[],
	nowMs: number,
): Promise<void> {
	await store.transaction(async (tx) => {
		for (const piece of pieces) {
			await tx.run(
				`INSERT INTO jobs (id, kind, status, payload, run_at, attempts, created_at, updated_at)
				 VALUES ($1, $2, 'queued', $3, $4, 0, $4, $4) ON CONFLICT (id) DO NOTHING`,
				[piece.id, kind, JSON.stringify(piece.payload), nowMs],
			);
		}
	});
}

export function piecesOf(store: SqlStore, ids: readonly string[]): Promise<PieceRow[]> {
	if (ids.length === 0) return Promise.resolve([]);
	return store.all<PieceRow>(
		`SELECT id, status, progress FROM jobs WHERE id IN (${ids.map((_, index) => `$${index + 1}`).join(', ')})`,
		[...ids],
	);
}

/** Whether any of the pieces is still to run: the pass they belong to was cut short. */
export async function anyUnfinished(store: SqlStore, ids: readonly string[]): Promise<boolean> {
	return (await piecesOf(store, ids)).some(
		(row) => row.status === 'queued' || row.status === 'running',
	);
}

/** What one piece reported, as the piece handler wrote it with `reportProgress`. */
export function pieceProgress<T>(row: PieceRow): Partial<T> {
	return row.progress ? (JSON.parse(row.progress) as Partial<T>) : {};
}

/**
 * Works on the pieces beside the other processes until every one is done or failed, and
 * hands their rows to `report` every few seconds meanwhile; answers their final rows.
 */
export async function workOnPieces(
	store: SqlStore,
	job: JobContext,
	ids: readonly string[],
	report: (rows: PieceRow[]) => Promise<void>,
): Promise<PieceRow[]> {
	let reportedMs = Date.now();
	for (;;) {
		const ran = await job.runOneOf(ids);
		const rows = await piecesOf(store, ids);
		if (rows.every((row) => row.status === 'done' || row.status === 'failed')) return rows;
		if (Date.now() - reportedMs >= REPORT_EVERY_MS) {
			await report(rows);
			reportedMs = Date.now();
		}
		if (!ran) await new Promise((resolve) => setTimeout(resolve, PIECE_POLL_MS));
	}
}
