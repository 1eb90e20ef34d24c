import { rowsOf, type FigureRow } from './figures';
import { layerOf, NOT_TAKEN } from './scope';

export interface EntryLayering {
	/** The layer of the fans' first action in scope: how they came in. */
	entry: string;
	fans: number;
	actions: number;
	/** The layering multiplier: actions per fan who came in this way. */
	actionsPerFan: number;
	/** Of these fans, how many took each layer (their entry layer included), and what share. */
	layers: { layer: string; fans: number; share: number }[];
}

export interface LayerEdge {
	from: string;
	to: string;
	count: number;
}

export interface Layering {
	fans: number;
	actions: number;
	actionsPerEntryFan: number;
	entries: EntryLayering[];
	/** Parent step → child step over `parent_action_id`: what each action led to. */
	graph: LayerEdge[];
}

const ratio = (part: number, whole: number) =>
	whole === 0 ? 0 : Math.round((part / whole) * 1000) / 1000;

/** A step of the layer graph: an action's kind, with a bot start named after its platform. */
function stepOf(alias: string): string {
	return `CASE WHEN ${alias}.kind = 'click' AND ${alias}.platform IS NOT NULL THEN ${alias}.platform || '_start' ELSE ${alias}.kind END`;
}

/** Each fan's actions per layer, beside the layer they came in by. */
export const TAKEN_SHARES = `SELECT s.fan_id, ef.entry_source, 'taken' AS measure, ef.entry_layer AS d1, ${layerOf('s')} AS d2,
		COUNT(*) AS value
	FROM entry_fans ef JOIN scoped s ON s.fan_id = ef.fan_id
	WHERE s.status NOT IN ${NOT_TAKEN}
	GROUP BY 1, 2, 4, 5`;

/** Each fan's actions per step of the layer graph: what they were layered on, what they were. */
export const EDGE_SHARES = `SELECT c.fan_id, ef.entry_source, 'edge' AS measure, ${stepOf('p')} AS d1, ${stepOf('c')} AS d2,
		COUNT(*) AS value
	FROM scoped c JOIN entry_fans ef ON ef.fan_id = c.fan_id JOIN actions p ON p.id = c.parent_action_id
	WHERE c.status NOT IN ${NOT_TAKEN}
	GROUP BY 1, 2, 4, 5`;

export function layeringOf(figures: readonly FigureRow[]): Layering {
	// Every fan took their own entry layer, so that row counts the entry's fans.
	const takenRows = rowsOf(figures, 'taken').map((row) => ({
		entry: row.d1,
		layer: row.d2,
		fans: row.fans,
		actions: row.total,
	}));
	// Most actions first; rows arrive ordered by step, which breaks ties as the database orders text.
	const graph = rowsOf(figures, 'edge')
		.map((row): LayerEdge => ({ from: row.d1, to: row.d2, count: row.total }))
		.sort((a, b) => b.count - a.count);
	const entryNames = [...new Set(takenRows.map((row) => row.entry))];
	const entries = entryNames
		.map((entry): EntryLayering => {
			const rows = takenRows.filter((row) => row.entry === entry);
			const fans = rows.find((row) => row.layer === entry)?.fans ?? 0;
			const actions = rows.reduce((sum, row) => sum + row.actions, 0);
			return {
				entry,
				fans,
				actions,
				actionsPerFan: ratio(actions, fans),
				layers: rows
					.map((row) => ({ layer: row.layer, fans: row.fans, share: ratio(row.fans, fans) }))
					.sort((a, b) => b.fans - a.fans || a.layer.localeCompare(b.layer)),
			};
		})
		.sort((a, b) => b.fans - a.fans || a.entry.localeCompare(b.entry));
	const fans = entries.reduce((sum, entry) => sum + entry.fans, 0);
	const actions = entries.reduce((sum, entry) => sum + entry.actions, 0);
	return {
		fans,
		actions,
		actionsPerEntryFan: ratio(actions, fans),
		entries,
		graph,
	};
}
