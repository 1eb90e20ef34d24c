import { rowsOf, type FigureRow } from './figures';
import type { PageCount } from './page-counters';
import { reachableOn } from './reachability';
import { dayOf, layerOf, MS_PER_DAY, NOT_TAKEN } from './scope';

export interface DayFigures {
	day: string;
	views: number;
	/** Fans an owned channel reached at the day's end. */
	reachable: number;
	/** Actions taken that day, by layer. */
	layers: Record<string, number>;
}

/** Each fan's actions per UTC day (whole days since the epoch: integer division reads the same on both databases) and layer. */
export const DAILY_SHARES = `SELECT s.fan_id, ef.entry_source, 'daily' AS measure, CAST(s.created_at / ${MS_PER_DAY} AS TEXT) AS d1,
		${layerOf('s')} AS d2, COUNT(*) AS value
	FROM scoped s JOIN entry_fans ef ON ef.fan_id = s.fan_id
	WHERE s.status NOT IN ${NOT_TAKEN}
	GROUP BY 1, 2, 4, 5`;

/** Page views, actions and reachable fans per UTC day, oldest first; days with nothing are left out. */
export function dailyOf(pageCounts: PageCount[], figures: readonly FigureRow[]): DayFigures[] {
	const days = new Map<string, DayFigures>();
	const dayFigures = (day: string) => {
		let figures = days.get(day);
		if (!figures) days.set(day, (figures = { day, views: 0, reachable: 0, layers: {} }));
		return figures;
	};
	for (const row of pageCounts) if (row.step === 'view') dayFigures(row.day).views += row.count;
	for (const row of rowsOf(figures, 'daily')) {
		const day = dayFigures(dayOf(Number(row.d1) * MS_PER_DAY));
		day.layers[row.d2] = (day.layers[row.d2] ?? 0) + row.total;
	}
	const sorted = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
	const reachable = reachableOn(
		figures,
		sorted.map((figures) => figures.day),
	);
	for (const figures of sorted) figures.reachable = reachable.get(figures.day) ?? 0;
	return sorted;
}
