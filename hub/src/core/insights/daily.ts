import type { SqlStore } from '../../store/sql-store';
import type { PageCount } from './page-counters';
import { reachableByDay } from './reachability';
import {
	dayOf,
	layerOf,
	MS_PER_DAY,
	NOT_TAKEN,
	Params,
	scopedCtes,
	type InsightsScope,
} from './scope';

export interface DayFigures {
	day: string;
	views: number;
	/** Fans an owned channel reached at the day's end. */
	reachable: number;
	/** Actions taken that day, by layer. */
	layers: Record<string, number>;
}

/** Page views, actions and reachable fans per UTC day, oldest first; days with nothing are left out. */
export async function dailyOf(
	store: SqlStore,
	scope: InsightsScope,
	pageCounts: PageCount[],
): Promise<DayFigures[]> {
	const params = new Params();
	// Whole days since the epoch: integer division reads the same on both databases.
	const rows = await store.all<{ day_number: number; layer: string; count: number }>(
		`${scopedCtes(scope, params)}
		SELECT s.created_at / ${MS_PER_DAY} AS day_number, ${layerOf('s')} AS layer, COUNT(*) AS count
		FROM scoped s JOIN entry_fans ef ON ef.fan_id = s.fan_id
		WHERE s.status NOT IN ${NOT_TAKEN}
		GROUP BY 1, 2`,
		params.values,
	);
	const days = new Map<string, DayFigures>();
	const dayFigures = (day: string) => {
		let figures = days.get(day);
		if (!figures) days.set(day, (figures = { day, views: 0, reachable: 0, layers: {} }));
		return figures;
	};
	for (const row of pageCounts) if (row.step === 'view') dayFigures(row.day).views += row.count;
	for (const row of rows) {
		const figures = dayFigures(dayOf(Math.floor(Number(row.day_number)) * MS_PER_DAY));
		figures.layers[row.layer] = (figures.layers[row.layer] ?? 0) + Number(row.count);
	}
	const sorted = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
	const reachable = await reachableByDay(
		store,
		scope,
		sorted.map((figures) => figures.day),
	);
	for (const figures of sorted) figures.reachable = reachable.get(figures.day) ?? 0;
	return sorted;
}
