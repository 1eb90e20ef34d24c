import type { SqlStore } from '../../store/sql-store';
import type { PageCount } from './page-counters';
import { NOT_TAKEN, Params, type InsightsScope } from './scope';

export interface FunnelCounts {
	views: number;
	clicks: number;
	consents: number;
	presaves: number;
}

export interface Funnel extends FunnelCounts {
	byPlatform: ({ platform: string } & Omit<FunnelCounts, 'views'>)[];
	bySource: ({ source: string } & FunnelCounts)[];
}

const empty = (): FunnelCounts => ({ views: 0, clicks: 0, consents: 0, presaves: 0 });
const STEP_FIELD = { view: 'views', click: 'clicks', consent: 'consents' } as const;

/**
 * The pre-save funnel: page views, platform buttons pressed and consent screens
 * reached (page counters), then pre-saves completed (the ledger), per platform and
 * per source.
 */
export async function funnelOf(
	store: SqlStore,
	scope: InsightsScope,
	pageCounts: PageCount[],
): Promise<Funnel> {
	const total = empty();
	const platforms = new Map<string, FunnelCounts>();
	const sources = new Map<string, FunnelCounts>();
	const bucket = <K>(map: Map<K, FunnelCounts>, key: K) => {
		let counts = map.get(key);
		if (!counts) map.set(key, (counts = empty()));
		return counts;
	};
	const add = (field: keyof FunnelCounts, platform: string, source: string, count: number) => {
		total[field] += count;
		if (platform) bucket(platforms, platform)[field] += count;
		bucket(sources, source)[field] += count;
	};
	for (const row of pageCounts) add(STEP_FIELD[row.step], row.platform, row.source, row.count);
	for (const row of await presavesOf(store, scope))
		add('presaves', row.platform, row.source, row.count);
	return {
		...total,
		byPlatform: [...platforms].map(([platform, { views: _views, ...counts }]) => ({
			platform,
			...counts,
		})),
		bySource: [...sources].map(([source, counts]) => ({ source, ...counts })),
	};
}

async function presavesOf(
	store: SqlStore,
	scope: InsightsScope,
): Promise<{ platform: string; source: string; count: number }[]> {
	if (scope.campaignIds.length === 0) return [];
	const params = new Params();
	const where = [
		`kind = 'presave'`,
		`status NOT IN ${NOT_TAKEN}`,
		`campaign_id IN (${params.list(scope.campaignIds)})`,
		scope.fromMs === undefined ? undefined : `created_at >= ${params.add(scope.fromMs)}`,
		scope.toMs === undefined ? undefined : `created_at < ${params.add(scope.toMs)}`,
		scope.source === undefined ? undefined : `source = ${params.add(scope.source)}`,
	].filter(Boolean);
	return store.all(
		`SELECT platform, COALESCE(source, '') AS source, COUNT(*) AS count FROM actions WHERE ${where.join(' AND ')}
		 GROUP BY platform, source ORDER BY platform, source`,
		params.values,
	);
}
