import type { SqlStore } from '../../store/sql-store';
import { layerOf, NOT_TAKEN, Params, scopedCtes, type InsightsScope } from './scope';

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

export async function layeringOf(store: SqlStore, scope: InsightsScope): Promise<Layering> {
	const taken = new Params();
	// One pass gives both: every fan took their own entry layer, so that row counts the entry's fans.
	const takenRows = await store.all<{
		entry: string;
		layer: string;
		fans: number;
		actions: number;
	}>(
		`${scopedCtes(scope, taken)}
		SELECT ef.entry_layer AS entry, ${layerOf('s')} AS layer, COUNT(DISTINCT s.fan_id) AS fans, COUNT(*) AS actions
		FROM entry_fans ef JOIN scoped s ON s.fan_id = ef.fan_id
		WHERE s.status NOT IN ${NOT_TAKEN}
		GROUP BY 1, 2`,
		taken.values,
	);
	const edges = new Params();
	const graph = await store.all<LayerEdge>(
		`${scopedCtes(scope, edges)}
		SELECT ${stepOf('p')} AS "from", ${stepOf('c')} AS "to", COUNT(*) AS count
		FROM scoped c JOIN entry_fans ef ON ef.fan_id = c.fan_id JOIN actions p ON p.id = c.parent_action_id
		WHERE c.status NOT IN ${NOT_TAKEN}
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
		edges.values,
	);
	const entryNames = [...new Set(takenRows.map((row) => row.entry))];
	const entries = entryNames
		.map((entry): EntryLayering => {
			const rows = takenRows.filter((row) => row.entry === entry);
			const fans = Number(rows.find((row) => row.layer === entry)?.fans ?? 0);
			const actions = rows.reduce((sum, row) => sum + Number(row.actions), 0);
			return {
				entry,
				fans,
				actions,
				actionsPerFan: ratio(actions, fans),
				layers: rows
					.map((row) => ({
						layer: row.layer,
						fans: Number(row.fans),
						share: ratio(Number(row.fans), fans),
					}))
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
		graph: graph.map((edge) => ({ ...edge, count: Number(edge.count) })),
	};
}
