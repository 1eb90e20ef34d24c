import type { SqlStore } from '../../store/sql-store';
import { InsightsAggregates } from './aggregates';
import {
	allCampaigns,
	artistCampaigns,
	artistIdOf,
	campaignRef,
	type CampaignRef,
} from './artists';
import { dailyOf, type DayFigures } from './daily';
import { deliveryOf, type PlatformDelivery } from './delivery';
import { funnelOf, type Funnel } from './funnel';
import { layeringOf, type Layering } from './layering';
import { nextReleaseOf, type ReleaseReturn } from './next-release';
import type { PageCounters } from './page-counters';
import { reachabilityOf, type Reachability } from './reachability';
import type { InsightsFilter, InsightsScope } from './scope';
import { ledgerFigures } from './shares';

export interface InsightsReport {
	scope: {
		artist: { id: string; name: string };
		campaigns: { slug: string; title: string; releaseAtUtc: string }[];
		from: string | null;
		to: string | null;
		source: string | null;
	};
	funnel: Funnel;
	delivery: PlatformDelivery[];
	layering: Layering;
	reachability: Reachability;
	nextRelease: ReleaseReturn[];
	daily: DayFigures[];
}

/** What layering earned, read from the ledger and the page counters: aggregates only, never a fan. */
export class Insights {
	readonly aggregates: InsightsAggregates;

	constructor(
		private readonly store: SqlStore,
		readonly pageCounters: PageCounters,
	) {
		this.aggregates = new InsightsAggregates(store);
	}

	async campaign(slugOrId: string, filter: InsightsFilter = {}): Promise<InsightsReport> {
		const campaign = await campaignRef(this.store, slugOrId);
		const artist = await artistCampaigns(this.store, artistIdOf(campaign));
		const at = artist.campaigns.findIndex((candidate) => candidate.id === campaign.id);
		// The return into this release from the one before, and from this one into the next.
		const neighbours = artist.campaigns.slice(Math.max(at - 1, 0), at + 2);
		return this.report(campaign.id, [campaign], artist, neighbours, filter);
	}

	async artist(artistId: string, filter: InsightsFilter = {}): Promise<InsightsReport> {
		const artist = await artistCampaigns(this.store, artistId);
		return this.report(artist.id, artist.campaigns, artist, artist.campaigns, filter);
	}

	campaigns(): Promise<CampaignRef[]> {
		return allCampaigns(this.store);
	}

	/** `scopeId` names the kept figures of the campaign or the artist the report is about. */
	private async report(
		scopeId: string,
		campaigns: CampaignRef[],
		artist: { id: string; name: string },
		releases: CampaignRef[],
		filter: InsightsFilter,
	): Promise<InsightsReport> {
		const scope: InsightsScope = {
			...filter,
			campaignIds: campaigns.map((campaign) => campaign.id),
		};
		const pageCounts = await this.pageCounters.read(scope);
		await this.aggregates.fold();
		// Kept figures hold whole campaigns; a fan's entry moves with a window of time, so a window reads the ledger.
		const figures =
			filter.fromMs === undefined && filter.toMs === undefined
				? await this.aggregates.figures(scopeId, filter.source)
				: await ledgerFigures(this.store, scope);
		return {
			scope: {
				artist: { id: artist.id, name: artist.name },
				campaigns: campaigns.map((campaign) => ({
					slug: campaign.slug,
					title: campaign.title,
					releaseAtUtc: new Date(campaign.releaseAtMs).toISOString(),
				})),
				from: filter.fromMs === undefined ? null : new Date(filter.fromMs).toISOString(),
				to: filter.toMs === undefined ? null : new Date(filter.toMs).toISOString(),
				source: filter.source ?? null,
			},
			funnel: funnelOf(pageCounts, figures),
			delivery: deliveryOf(figures),
			layering: layeringOf(figures),
			reachability: reachabilityOf(figures),
			nextRelease: await nextReleaseOf(this.aggregates, releases),
			daily: dailyOf(pageCounts, figures),
		};
	}
}
