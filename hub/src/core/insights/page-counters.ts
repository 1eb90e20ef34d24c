import type { SqlStore } from '../../store/sql-store';
import { dayOf, Params, type InsightsScope } from './scope';

/** What a fan did on a campaign's page before the ledger knows them. */
export const PAGE_STEPS = ['view', 'click', 'consent'] as const;
export type PageStep = (typeof PAGE_STEPS)[number];

/** A page visit without a `src` or `utm_source`. */
export const DIRECT_SOURCE = 'direct';
const SOURCE_SHAPE = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

/** Keeps a link's source short and plain: anything else becomes 'other', so a counter key stays bounded. */
export function normalizeSource(raw: string | undefined): string {
	const trimmed = raw?.trim().toLowerCase();
	if (!trimmed) return DIRECT_SOURCE;
	return SOURCE_SHAPE.test(trimmed) ? trimmed : 'other';
}

export interface PageCount {
	day: string;
	source: string;
	/** Empty for a page view: the fan has not chosen a platform yet. */
	platform: string;
	step: PageStep;
	count: number;
}

/**
 * Daily counters per (campaign, source, platform, step): the top of the funnel,
 * counted on the server with no cookie and nothing about the visitor.
 */
export class PageCounters {
	constructor(
		private readonly store: SqlStore,
		private readonly clock: () => number,
	) {}

	async count(campaignId: string, step: PageStep, source: string, platform = ''): Promise<void> {
		await this.store.run(
			`INSERT INTO page_counters (day, campaign_id, source, platform, step, count) VALUES ($1, $2, $3, $4, $5, 1)
			 ON CONFLICT (campaign_id, day, source, platform, step) DO UPDATE SET count = page_counters.count + 1`,
			[dayOf(this.clock()), campaignId, source, platform, step],
		);
	}

	async read(scope: InsightsScope): Promise<PageCount[]> {
		if (scope.campaignIds.length === 0) return [];
		const params = new Params();
		const where = [
			`campaign_id IN (${params.list(scope.campaignIds)})`,
			scope.fromMs === undefined ? undefined : `day >= ${params.add(dayOf(scope.fromMs))}`,
			// `to` is exclusive: the day holding its last millisecond is the last day counted.
			scope.toMs === undefined ? undefined : `day <= ${params.add(dayOf(scope.toMs - 1))}`,
			scope.source === undefined ? undefined : `source = ${params.add(scope.source)}`,
		].filter(Boolean);
		const rows = await this.store.all<PageCount>(
			`SELECT day, source, platform, step, SUM(count) AS count FROM page_counters WHERE ${where.join(' AND ')}
			 GROUP BY day, source, platform, step ORDER BY day, source, platform, step`,
			params.values,
		);
		return rows.map((row) => ({ ...row, count: Number(row.count) }));
	}
}
