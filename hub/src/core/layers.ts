import type { Campaigns } from './campaigns';
import type { Fans } from './fans';
import { LAYERS, type ActionKind, type Layer } from './model';
import { takenLayerSql } from './presave/lifecycle';
import type { SqlStore } from '../store/sql-store';

/** The actions that count as having taken a layer. A pre-save already commits the fan to the save. */
const TAKEN_BY: Record<Layer, ActionKind[]> = {
	sms: ['optin_sms'],
	email: ['optin_email'],
	telegram: ['join_telegram'],
	discord: ['join_discord'],
	follow: ['follow'],
	save: ['save', 'presave'],
};

/** Opt-ins and community joins belong to the fan; follows and saves to the release. */
const CAMPAIGN_SCOPED: ReadonlySet<Layer> = new Set(['follow', 'save']);

export interface NextLayers {
	fanId: string;
	campaignId: string | null;
	taken: Layer[];
	next: Layer[];
}

export class LayerPlanner {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly campaigns: Campaigns,
	) {}

	/**
	 * The layers still open to the fan, in the order asked for (else the campaign's
	 * order, else the default). A pending action counts as taken: the fan already said yes.
	 */
	async nextLayers(
		fanId: string,
		options: { campaignId?: string; layers?: Layer[] } = {},
	): Promise<NextLayers> {
		const fan = await this.fans.resolve(this.store, fanId);
		const campaign = options.campaignId ? await this.campaigns.get(options.campaignId) : undefined;
		const offered = options.layers ?? campaign?.layers ?? [...LAYERS];
		const rows = await this.store.all<{ kind: ActionKind; campaign_id: string | null }>(
			`SELECT DISTINCT a.kind, a.campaign_id FROM actions a WHERE a.fan_id = $1 AND ${takenLayerSql('a')}`,
			[fan.id],
		);
		const isTaken = (layer: Layer) =>
			rows.some(
				(row) =>
					TAKEN_BY[layer].includes(row.kind) &&
					(!campaign || !CAMPAIGN_SCOPED.has(layer) || row.campaign_id === campaign.id),
			);
		return {
			fanId: fan.id,
			campaignId: campaign?.id ?? null,
			taken: offered.filter(isTaken),
			next: offered.filter((layer) => !isTaken(layer)),
		};
	}
}
