import type { InsightsAggregates } from './aggregates';
import type { CampaignRef } from './artists';
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
	aggregates: InsightsAggregates,
	campaigns: CampaignRef[],
): Promise<ReleaseReturn[]> {
	const returns: ReleaseReturn[] = [];
	for (let i = 1; i < campaigns.length; i++) {
		const [previous, next] = [campaigns[i - 1], campaigns[i]];
		const { fans, byLayer } = await aggregates.returnBetween(previous.id, next.id);
		const returned = byLayer.reduce((sum, row) => sum + row.fans, 0);
		returns.push({
			from: previous.slug,
			to: next.slug,
			fans,
			returned,
			share: fans === 0 ? 0 : Math.round((returned / fans) * 1000) / 1000,
			byLayer,
		});
	}
	return returns;
}
