import { rowsOf, type FigureRow } from './figures';
import type { PageCount } from './page-counters';
import { NOT_TAKEN } from './scope';

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
export function funnelOf(pageCounts: PageCount[], figures: readonly FigureRow[]): Funnel {
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
	for (const row of rowsOf(figures, 'presave')) add('presaves', row.d1, row.d2, row.total);
	return {
		...total,
		byPlatform: [...platforms].map(([platform, { views: _views, ...counts }]) => ({
			platform,
			...counts,
		})),
		bySource: [...sources].map(([source, counts]) => ({ source, ...counts })),
	};
}

/** Each fan's pre-saves completed, per platform and per the pre-save's own source. */
export const PRESAVE_SHARES = `SELECT s.fan_id, ef.entry_source, 'presave' AS measure, COALESCE(s.platform, '') AS d1,
		COALESCE(s.source, '') AS d2, COUNT(*) AS value
	FROM scoped s JOIN entry_fans ef ON ef.fan_id = s.fan_id
	WHERE s.kind = 'presave' AND s.status NOT IN ${NOT_TAKEN}
	GROUP BY 1, 2, 4, 5`;
