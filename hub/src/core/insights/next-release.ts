import type { SqlStore } from '../../store/sql-store';
import type { CampaignRef } from './artists';
import { layerOf, NOT_TAKEN } from './scope';

export interface ReleaseReturn {
	from: string;
	to: string;
	/** Fans who acted on the earlier release. */
	fans: number;
	/** Of them, fans who acted on the next one. */
	returned: number;
	share: number;
	/** Returning fans by the layer of their first action on the next release. */
	byLayer: { layer: string; fans: number }[];
}

/** For each release after the first, what share of the previous release's fans came back, and how. */
export async function nextReleaseOf(
	store: SqlStore,
	campaigns: CampaignRef[],
): Promise<ReleaseReturn[]> {
	const returns: ReleaseReturn[] = [];
	for (let i = 1; i < campaigns.length; i++)
		returns.push(await returnBetween(store, campaigns[i - 1], campaigns[i]));
	return returns;
}

async function returnBetween(
	store: SqlStore,
	previous: CampaignRef,
	next: CampaignRef,
): Promise<ReleaseReturn> {
	const earlier = await store.get<{ fans: number }>(
		`SELECT COUNT(DISTINCT fan_id) AS fans FROM actions WHERE campaign_id = $1 AND status NOT IN ${NOT_TAKEN}`,
		[previous.id],
	);
	const rows = await store.all<{ layer: string; fans: number }>(
		`WITH firsts AS (
			SELECT n.fan_id, MIN(n.id) AS first_id FROM actions n
			WHERE n.campaign_id = $2 AND n.status NOT IN ${NOT_TAKEN}
			AND n.fan_id IN (SELECT p.fan_id FROM actions p WHERE p.campaign_id = $1 AND p.status NOT IN ${NOT_TAKEN})
			GROUP BY n.fan_id
		)
		SELECT ${layerOf('a')} AS layer, COUNT(*) AS fans FROM firsts f JOIN actions a ON a.id = f.first_id
		GROUP BY 1 ORDER BY 2 DESC, 1`,
		[previous.id, next.id],
	);
	const fans = Number(earlier?.fans ?? 0);
	const byLayer = rows.map((row) => ({ layer: row.layer, fans: Number(row.fans) }));
	const returned = byLayer.reduce((sum, row) => sum + row.fans, 0);
	return {
		from: previous.slug,
		to: next.slug,
		fans,
		returned,
		share: fans === 0 ? 0 : Math.round((returned / fans) * 1000) / 1000,
		byLayer,
	};
}
