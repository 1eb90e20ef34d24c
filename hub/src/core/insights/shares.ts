import type { SqlExecutor } from '../../store/sql-store';
import { DAILY_SHARES } from './daily';
import { DELIVERY_SHARES } from './delivery';
import { figureRow, SHARE_SOURCE, type FanShare, type FigureRow } from './figures';
import { PRESAVE_SHARES } from './funnel';
import { EDGE_SHARES, TAKEN_SHARES } from './layering';
import { CHANNEL_SHARES, REACH_SPANS, reachChangeShares, type ReachSpan } from './reachability';
import { Params, scopedCtes, type InsightsScope } from './scope';

const SHARE_SELECTS = [
	PRESAVE_SHARES,
	DELIVERY_SHARES,
	TAKEN_SHARES,
	EDGE_SHARES,
	DAILY_SHARES,
	CHANNEL_SHARES,
];

/**
 * One query giving each fan's shares of every figure of a scope but reach over time
 * (columns: fan_id, entry_source, measure, d1, d2, value); `fanIds` narrows it to some fans.
 */
export function sharesSql(
	scope: InsightsScope,
	params: Params,
	fanIds?: readonly string[],
): string {
	return `${scopedCtes(scope, params, fanIds)}
	${SHARE_SELECTS.join('\n\tUNION ALL\n\t')}`;
}

/** Each fan's share of reach over time, worked out from the spans their owned channels reached them. */
export async function reachSharesOf(
	tx: SqlExecutor,
	scope: InsightsScope,
	fanIds?: readonly string[],
): Promise<FanShare[]> {
	const params = new Params();
	const spans = await tx.all<ReachSpan>(
		`${scopedCtes(scope, params, fanIds)} ${REACH_SPANS}`,
		params.values,
	);
	return reachChangeShares(spans);
}

/**
 * A report's figures summed straight from the ledger. Kept figures hold whole campaigns,
 * and a fan's entry depends on the window, so a report over a window of time reads these.
 */
export async function ledgerFigures(tx: SqlExecutor, scope: InsightsScope): Promise<FigureRow[]> {
	const params = new Params();
	const shares = sharesSql(scope, params);
	const bySource =
		scope.source === undefined ? '' : `WHERE ${SHARE_SOURCE} = ${params.add(scope.source)}`;
	const rows = await tx.all<FigureRow>(
		`SELECT measure, d1, d2, COUNT(*) AS fans, SUM(value) AS total FROM (${shares}) x ${bySource}
		 GROUP BY measure, d1, d2 ORDER BY measure, d1, d2`,
		params.values,
	);
	const reach = new Map<string, FigureRow>();
	for (const share of await reachSharesOf(tx, scope)) {
		if (scope.source !== undefined && share.entry_source !== scope.source) continue;
		let row = reach.get(share.d1);
		if (!row)
			reach.set(
				share.d1,
				(row = { measure: 'reach_change', d1: share.d1, d2: '', fans: 0, total: 0 }),
			);
		row.fans += 1;
		row.total += share.value;
	}
	return [...rows.map(figureRow), ...reach.values()];
}
