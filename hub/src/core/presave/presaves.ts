import type { Actions } from '../actions';
import type { Campaigns } from '../campaigns';
import { HubError } from '../errors';
import type { Fans } from '../fans';
import { normalizeIdentity } from '../identities';
import type { Action, ActionKind, Campaign } from '../model';
import type { OptInResult, OptIns } from '../optins/optins';
import type { StreamingPlatformName } from '../streaming/platform';
import type { Streaming, StreamingOutcome } from '../streaming/streaming';
import type { Tokens } from '../tokens';
import type { SqlStore } from '../../store/sql-store';
import type { PlatformConnection } from './authorization';

/** Where the ledger says the layers taken on the pre-save page came from. */
export const PRESAVE_PAGE_SOURCE = 'presave_page';

/** Proof of an opt-in, as the layers page saw it. */
export interface OptInProof {
	ip: string | null;
	userAgent: string | null;
}

export interface CompletedPresave {
	presave: Action;
	/** Present when the fan ticked follow and the platform can follow the campaign's artist. */
	follow?: StreamingOutcome | { status: 'failed'; error: string };
}

/**
 * What happens after a fan consents on a pre-save page: the fan (found by their platform
 * account, or new), their sealed grant, the pending pre-save, the follow they asked for
 * layered on it; later the layers they accept on the layers page, each with the pre-save
 * as parent.
 */
export class Presaves {
	constructor(
		private readonly fans: Fans,
		private readonly tokens: Tokens,
		private readonly actions: Actions,
		private readonly campaigns: Campaigns,
		private readonly streaming: Streaming,
		private readonly optIns: OptIns,
		private readonly store: SqlStore,
		/** Wakes event delivery after a transaction here queued an event. */
		private readonly onQueued: () => void,
	) {}

	async complete(input: {
		campaign: Campaign;
		platform: StreamingPlatformName;
		connection: PlatformConnection;
		follow: boolean;
		locale: string;
		/** The page link's source, so the funnel counts this pre-save where the fan came from. */
		source: string;
	}): Promise<CompletedPresave> {
		const { campaign, platform, connection } = input;
		// One transaction: a failure after the fan or their grant is written leaves neither behind.
		const { fanId, presave, created } = await this.fans.transactionClaimingIdentities(
			async (tx) => {
				// The fan is known by their platform account: the same account always lands on the same fan.
				const { fanId: linkedFanId } = await this.fans.linkWithin(
					tx,
					normalizeIdentity(platform, connection.accountId),
					{
						profile: { locale: input.locale },
					},
				);
				await this.tokens.saveWithin(tx, linkedFanId, platform, connection.grant);
				const recorded = await this.actions.recordWithin(tx, {
					fanId: linkedFanId,
					campaignId: campaign.id,
					kind: 'presave',
					platform,
					status: 'pending',
					verification: 'soft',
					source: input.source,
					idempotencyKey: `presave:${campaign.id}:${linkedFanId}:${platform}`,
				});
				return { fanId: linkedFanId, presave: recorded.action, created: recorded.created };
			},
		);
		if (created) this.onQueued();
		const artistId = campaign.platforms[platform]?.artistId;
		if (!input.follow || !this.canFollow(campaign, platform) || !artistId) return { presave };
		try {
			const follow = await this.streaming.follow({
				fanId,
				platform,
				artistId,
				campaignId: campaign.id,
				parentActionId: presave.id,
			});
			return { presave, follow };
		} catch (error) {
			// The pre-save stands; a follow the platform would not take now is not worth losing it over.
			return { presave, follow: { status: 'failed', error: (error as Error).message } };
		}
	}

	/** Whether the page may offer the follow box for this platform. */
	canFollow(campaign: Campaign, platform: StreamingPlatformName): boolean {
		return (
			campaign.layers.includes('follow') &&
			Boolean(campaign.platforms[platform]?.artistId) &&
			this.streaming.withFollow().includes(platform)
		);
	}

	/** The pre-save a layers page session names, with its campaign. */
	async presaveOf(actionId: string): Promise<{ presave: Action; campaign: Campaign }> {
		const presave = await this.actions.get(actionId);
		if (presave.kind !== 'presave' || !presave.campaignId) {
			throw new HubError('action_not_found', `Action ${actionId} is not a pre-save.`);
		}
		return { presave, campaign: await this.campaigns.get(presave.campaignId) };
	}

	/** The kinds of action layered on this pre-save that did not fail (a follow, an SMS or email opt-in…). */
	async layersTaken(presave: Action): Promise<Set<ActionKind>> {
		const rows = await this.store.all<{ kind: ActionKind }>(
			"SELECT DISTINCT kind FROM actions WHERE parent_action_id = $1 AND status <> 'failed'",
			[presave.id],
		);
		return new Set(rows.map((row) => row.kind));
	}

	/** Starts the hub's double opt-in, with the campaign's exact wording, layered on the pre-save. */
	async optIn(
		presave: Action,
		campaign: Campaign,
		channel: 'sms' | 'email',
		address: string,
		proof: OptInProof,
	): Promise<OptInResult> {
		const wording = campaign.consentWordings[channel];
		if (!campaign.layers.includes(channel) || !wording) {
			throw new HubError('validation_failed', `This campaign does not offer ${channel} updates.`);
		}
		return this.optIns.request({
			channel,
			address,
			fanId: presave.fanId,
			campaignId: campaign.id,
			parentActionId: presave.id,
			wording,
			source: PRESAVE_PAGE_SOURCE,
			ip: proof.ip,
			userAgent: proof.userAgent,
		});
	}
}
