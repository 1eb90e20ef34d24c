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

/** Counts a process keeps before one transaction adds them all: one write a second, not one per page view. */
const FLUSH_AFTER_MS = 1_000;

interface PendingCount {
	day: string;
	campaignId: string;
	source: string;
	platform: string;
	step: PageStep;
	count: number;
}

/**
 * Daily counters per (campaign, source, platform, step): the top of the funnel,
 * counted on the server with no cookie and nothing about the visitor.
 *
 * A page view is the hub's busiest request, and one write per view was its largest cost:
 * counts are kept in the process for up to a second and added together. A reader in this
 * process first writes what is kept; another process's counts show up within the second,
 * and a process killed outright loses at most its last second of views.
 */
export class PageCounters {
	private pending = new Map<string, PendingCount>();
	private flushTimer: NodeJS.Timeout | undefined;
	private writing: Promise<void> = Promise.resolve();

	constructor(
		private readonly store: SqlStore,
		private readonly clock: () => number,
	) {}

	count(campaignId: string, step: PageStep, source: string, platform = ''): void {
		this.keep({ day: dayOf(this.clock()), campaignId, source, platform, step, count: 1 });
		this.flushTimer ??= setTimeout(() => {
			this.flushTimer = undefined;
			// A write that fails keeps its counts; the next count schedules the next try.
			this.flush().catch(() => undefined);
		}, FLUSH_AFTER_MS).unref();
	}

	/** Adds the counts kept so far to the database, one write at a time; a failed write keeps them. */
	flush(): Promise<void> {
		this.writing = this.writing.catch(() => undefined).then(() => this.write());
		return this.writing;
	}

	private async write(): Promise<void> {
		if (this.pending.size === 0) return;
		const batch = [...this.pending.values()];
		this.pending = new Map();
		try {
			await this.store.transaction(async (tx) => {
				for (const kept of batch)
					await tx.run(
						`INSERT INTO page_counters (day, campaign_id, source, platform, step, count) VALUES ($1, $2, $3, $4, $5, $6)
						 ON CONFLICT (campaign_id, day, source, platform, step) DO UPDATE SET count = page_counters.count + $6`,
						[kept.day, kept.campaignId, kept.source, kept.platform, kept.step, kept.count],
					);
			});
		} catch (error) {
			for (const kept of batch) this.keep(kept);
			throw error;
		}
	}

	private keep(counted: PendingCount): void {
		const key = JSON.stringify([
			counted.campaignId,
			counted.day,
			counted.source,
			counted.platform,
			counted.step,
		]);
		const kept = this.pending.get(key);
		if (kept) kept.count += counted.count;
		else this.pending.set(key, { ...counted });
	}

	async read(scope: InsightsScope): Promise<PageCount[]> {
		if (scope.campaignIds.length === 0) return [];
		await this.flush();
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
