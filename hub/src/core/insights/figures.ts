/**
 * Every ledger figure of a report is a sum over fans: each fan's share of it is a row
 * (measure, d1, d2, value) computed from that fan's actions, consents and tokens alone.
 * The kept aggregates store those shares per fan and their sums per scope; a report over
 * a time window sums the same shares straight from the ledger. Either way the report is
 * composed from the same summed rows, so both read the same figures.
 */
export const MEASURES = [
	'presave',
	'delivery',
	'taken',
	'edge',
	'daily',
	'channels',
	'reach_change',
] as const;
export type Measure = (typeof MEASURES)[number];

/** A fan's share of one figure, before summing. */
export interface FanShare {
	fan_id: string;
	/** The source of the action the fan came in by, '' when it had none. */
	entry_source: string;
	measure: Measure;
	d1: string;
	d2: string;
	value: number;
}

/** A figure summed over fans: `fans` gave a share, adding up to `total`. Rows come ordered by measure, d1, d2. */
export interface FigureRow {
	measure: Measure;
	d1: string;
	d2: string;
	fans: number;
	total: number;
}

export function rowsOf(rows: readonly FigureRow[], measure: Measure): FigureRow[] {
	return rows.filter((row) => row.measure === measure);
}

/**
 * The source filter over shares: pre-saves by the action's own source, as the funnel
 * counts them; everything else by the source the fan came in through.
 */
export const SHARE_SOURCE = `CASE WHEN measure = 'presave' THEN d2 ELSE entry_source END`;

/** Database numbers (PostgreSQL's BIGINT arrives as a string) as JavaScript numbers. */
export function figureRow(row: FigureRow): FigureRow {
	return { ...row, fans: Number(row.fans), total: Number(row.total) };
}
