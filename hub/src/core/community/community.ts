import type {
	CampaignSummary,
	ChannelInviteResult,
	CommunityDesk,
	FutureSavesOffer,
	FutureSavesResult,
	JoinResult,
	Refused,
	StartResult,
	StatusResult,
	StopResult,
} from './desk';
import { HubError } from '../errors';
import { newEvent } from '../events';
import type { FanReferenceTarget, FanReferences } from '../fan-references';
import { chatFutureSavesWording } from '../future-saves';
import { normalizeIdentity, suppressionHash, type Identity } from '../identities';
import type { Ledger } from '../ledger';
import type { Campaign } from '../model';
import type { Pacer } from '../pacing';
import type { StreamingPlatformName } from '../streaming/platform';
import type { SqlExecutor } from '../../store/sql-store';
import {
	CommunityPlatformError,
	DISCORD_INVITE_LIFETIME_MS,
	type ChatUser,
	type CommunityInvites,
	type CommunityMessenger,
	type CommunityPlatform,
	type DiscordReleaseRole,
} from './ports';

/** The consent purpose of a fan's opt-in to release updates in a chat. */
export const RELEASE_UPDATES = 'release_updates';

/** A signed fan reference is 43 characters starting with its kind letter; anything else is plain attribution. */
const REFERENCE_SHAPE = /^[af][0-9A-Za-z_-]{42}$/;
/** What Telegram allows in a start payload; other text is not kept. */
const ATTRIBUTION = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * Where a fan arrives before opting in, so the opt-in is layered on that arrival: the
 * private chat with the Telegram bot (/start), the artist's Discord server (the join).
 */
const ARRIVAL: Record<CommunityPlatform, 'chat' | 'guild'> = { telegram: 'chat', discord: 'guild' };

/** What every arrival's idempotency key in a place starts with. */
function arrivalKeyPrefix(platform: CommunityPlatform, what: 'chat' | 'channel' | 'guild'): string {
	return `community:${platform}:${what}:`;
}

/** Once per fan, place and parent: a second /start or rejoin through the same link records nothing new. */
function arrivalKey(
	platform: CommunityPlatform,
	what: 'chat' | 'channel' | 'guild',
	fanId: string,
	parentActionId: string | undefined,
): string {
	return `${arrivalKeyPrefix(platform, what)}${fanId}:${parentActionId ?? '-'}`;
}

/** What the community reaches the platforms through; each part is absent when that platform is not configured. */
export interface CommunityPlatforms {
	messengers: Partial<Record<CommunityPlatform, CommunityMessenger>>;
	invites: CommunityInvites;
	releaseRole?: DiscordReleaseRole;
	/**
	 * One pacer per bot at the messenger's budget, shared by the broadcast job and the bot's
	 * own replies so together they stay inside it; on a database several hub processes share,
	 * shared by all of them too.
	 */
	pacers: Partial<Record<CommunityPlatform, Pacer>>;
}

export interface CommunityOptions {
	ledger: Ledger;
	references: FanReferences;
	platforms: CommunityPlatforms;
	/** Read on each use: the hub learns its public URL only once it listens. */
	program: { readonly name: string; readonly publicUrl: string };
	/** The platforms whose library can hold a release: what "save every release" can save to. */
	libraryPlatforms: () => StreamingPlatformName[];
	clock: () => number;
	/** An event was queued for delivery. */
	onQueued: () => void;
}

interface ActionRef {
	id: string;
	fan_id: string;
	campaign_id: string | null;
}

function refused(refusal: Refused['refusal'], reason?: string): Refused {
	return reason === undefined
		? { outcome: 'refused', refusal }
		: { outcome: 'refused', refusal, reason };
}

/** The ledger errors that mean "this person asked to be forgotten". */
function isErasure(error: unknown): boolean {
	return (
		error instanceof HubError &&
		(error.code === 'fan_erased' || error.code === 'identity_suppressed')
	);
}

/**
 * Telegram and Discord as layers of the same fan: a chat is linked to the fan a signed
 * reference names (or to a new fan, keeping the payload as attribution), opting in to
 * release updates is a consent with its wording plus a join action layered on the action
 * the fan came from, and each change reaches n8n through the outbox in the same
 * transaction. The bots call it through `CommunityDesk`; the HTTP API through the rest.
 */
export class Community implements CommunityDesk {
	private readonly ledger: Ledger;
	private readonly references: FanReferences;
	private readonly platforms: CommunityPlatforms;
	private readonly program: CommunityOptions['program'];
	private readonly libraryPlatforms: () => StreamingPlatformName[];
	private readonly clock: () => number;
	private readonly onQueued: () => void;

	constructor(options: CommunityOptions) {
		({
			ledger: this.ledger,
			references: this.references,
			platforms: this.platforms,
			program: this.program,
			libraryPlatforms: this.libraryPlatforms,
			clock: this.clock,
			onQueued: this.onQueued,
		} = options);
	}

	async futureSavesOffer(user: ChatUser): Promise<FutureSavesOffer> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return refused('erased');
		const plan = await this.futureSavesPlan(await this.ownerOf(this.ledger.store, identity));
		if (!plan) return { outcome: 'not_connected' };
		if (plan.open.length === 0) return { outcome: 'already_saving' };
		return { outcome: 'offer', wording: plan.wording };
	}

	async saveEveryRelease(user: ChatUser): Promise<FutureSavesResult> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return refused('erased');
		const fanId = await this.ownerOf(this.ledger.store, identity);
		const plan = await this.futureSavesPlan(fanId);
		if (!fanId || !plan) return { outcome: 'not_connected' };
		if (plan.open.length === 0) return { outcome: 'already_saving' };
		const start = await this.lastStart(this.ledger.store, fanId, user.platform);
		for (const platform of plan.open) {
			await this.ledger.futureSaves.agree({
				fanId,
				campaignId: plan.campaign.id,
				platform,
				wording: plan.wording,
				parentActionId: start?.id ?? null,
				source: `${user.platform}:saveall`,
			});
		}
		return { outcome: 'saving' };
	}

	/**
	 * For the artist of the campaign the fan came from: the libraries the fan connected that
	 * do not save that artist's releases yet, and the wording naming them; undefined when the
	 * fan has no library connected (or there is no campaign).
	 */
	private async futureSavesPlan(fanId: string | undefined) {
		const campaign = fanId ? await this.campaignFor(fanId) : undefined;
		if (!fanId || !campaign) return undefined;
		const tokens = await this.ledger.store.all<{ platform: StreamingPlatformName }>(
			`SELECT platform FROM tokens WHERE fan_id = $1 AND status = 'valid' ORDER BY platform`,
			[fanId],
		);
		const connected = tokens
			.map((token) => token.platform)
			.filter((platform) => this.libraryPlatforms().includes(platform));
		if (connected.length === 0) return undefined;
		const open: StreamingPlatformName[] = [];
		for (const platform of connected) {
			if (!(await this.ledger.futureSaves.isActive(fanId, campaign.id, platform)))
				open.push(platform);
		}
		return { campaign, open, wording: chatFutureSavesWording(campaign.artist, open) };
	}

	async start(user: ChatUser, payload?: string): Promise<StartResult> {
		let target: FanReferenceTarget | undefined;
		let source = `${user.platform}:start`;
		if (payload && REFERENCE_SHAPE.test(payload)) {
			target = this.references.read(payload);
			if (!target) return refused('invalid_reference');
		} else if (payload && ATTRIBUTION.test(payload)) {
			source = `${user.platform}:start:${payload}`;
		}
		return this.link(user, target, source, 'chat');
	}

	async releaseUpdatesWording(user: ChatUser): Promise<string> {
		const identity = this.identityOf(user);
		const fanId = await this.ownerOf(this.ledger.store, identity);
		return this.wordingFor(await this.campaignFor(fanId), user.platform);
	}

	private wordingFor(campaign: Campaign | undefined, platform: CommunityPlatform): string {
		const custom = campaign?.consentWordings[platform];
		if (custom) return custom;
		const who = campaign?.artist ?? this.program.name;
		return platform === 'discord'
			? `Yes, give me the release-updates role so ${who} can ping me here about new releases. I can run /stop at any time to drop it.`
			: `Yes, ${who} may message me here on Telegram about new releases. I can send /stop at any time to stop these messages.`;
	}

	async join(user: ChatUser): Promise<JoinResult> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return refused('erased');
		const wording = await this.releaseUpdatesWording(user);
		if (user.platform === 'discord' && this.platforms.releaseRole) {
			const refusal = await this.roleChange(() => this.platforms.releaseRole!.grant(user.userId));
			if (refusal) return refusal;
		}
		try {
			const result = await this.ledger.fans.transactionClaimingIdentities(
				async (tx): Promise<JoinResult> => {
					const { fanId } = await this.ledger.fans.linkWithin(tx, identity, {
						profile: { locale: user.locale ?? null },
					});
					if (await this.getsReleaseUpdates(tx, fanId, user.platform))
						return { outcome: 'already_joined', fanId };
					const start = await this.lastStart(tx, fanId, user.platform);
					const source = `${user.platform}:join`;
					const { action } = await this.ledger.actions.recordWithin(
						tx,
						{
							fanId,
							campaignId: start?.campaign_id ?? null,
							kind: user.platform === 'telegram' ? 'join_telegram' : 'join_discord',
							platform: user.platform,
							// The platform itself told us who pressed the button: nothing is merely claimed.
							verification: 'hard',
							source,
							parentActionId: start?.id ?? null,
							data: { what: 'release_updates' },
						},
						'community.joined',
						{ community: { platform: user.platform, what: 'release_updates' } },
					);
					await this.ledger.consents.request(
						fanId,
						{
							channel: identity.channel,
							purpose: RELEASE_UPDATES,
							wording,
							status: 'granted',
							source,
							actionId: action.id,
						},
						tx,
					);
					return { outcome: 'joined', fanId };
				},
			);
			if (result.outcome === 'joined') this.onQueued();
			return result;
		} catch (error) {
			if (isErasure(error)) return refused('erased');
			throw error;
		}
	}

	async stop(user: ChatUser): Promise<StopResult> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return refused('erased');
		const fanId = await this.ownerOf(this.ledger.store, identity);
		if (!fanId) return { outcome: 'not_joined' };
		if (user.platform === 'discord' && this.platforms.releaseRole) {
			const refusal = await this.roleChange(() => this.platforms.releaseRole!.revoke(user.userId));
			if (refusal) return refusal;
		}
		const stopped = await this.revokeReleaseUpdates(fanId, user.platform, `${user.platform}:stop`);
		// /stop ends "save every release" too: the fan asked for nothing more in their name.
		const ended = await this.ledger.store.transaction((tx) =>
			this.ledger.futureSaves.endWithin(tx, fanId, `${user.platform}:stop`),
		);
		return { outcome: stopped || ended > 0 ? 'stopped' : 'not_joined' };
	}

	async status(user: ChatUser): Promise<StatusResult> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return refused('erased');
		const fanId = await this.ownerOf(this.ledger.store, identity);
		const campaign = await this.campaignFor(fanId);
		if (!fanId) {
			return {
				outcome: 'status',
				fanId: null,
				releaseUpdates: false,
				taken: [],
				next: campaign?.layers ?? [],
			};
		}
		try {
			const layers = await this.ledger.layers.nextLayers(fanId, { campaignId: campaign?.id });
			return {
				outcome: 'status',
				fanId: layers.fanId,
				releaseUpdates: await this.getsReleaseUpdates(
					this.ledger.store,
					layers.fanId,
					user.platform,
				),
				taken: layers.taken,
				next: layers.next,
			};
		} catch (error) {
			if (isErasure(error)) return refused('erased');
			throw error;
		}
	}

	async presaveLink(user: ChatUser): Promise<CampaignSummary | undefined> {
		const identity = this.identityOf(user);
		if (await this.isSuppressed(identity)) return undefined;
		const campaign = await this.campaignFor(await this.ownerOf(this.ledger.store, identity));
		return campaign && this.summaryOf(campaign);
	}

	async channelInvite(user: ChatUser): Promise<ChannelInviteResult> {
		const invite = this.platforms.invites.telegramChannelInvite;
		if (user.platform !== 'telegram' || !invite) return { outcome: 'unavailable' };
		const linked = await this.link(user, undefined, 'telegram:channel', 'chat');
		if (linked.outcome === 'refused') return linked;
		try {
			// Named after the fan, so the channel's admins (and the join update) can tell whose link it was.
			return { outcome: 'invite', url: await invite.call(this.platforms.invites, linked.fanId) };
		} catch (error) {
			if (error instanceof CommunityPlatformError && error.kind === 'not_allowed')
				return { outcome: 'unavailable' };
			throw error;
		}
	}

	async joined(
		user: ChatUser,
		where: { what: 'channel' | 'guild'; inviteCode?: string },
	): Promise<StartResult> {
		let target: FanReferenceTarget | undefined;
		if (where.inviteCode) {
			target = await this.claimInvite(user.platform, where.inviteCode);
		}
		return this.link(user, target, `${user.platform}:${where.what}`, where.what);
	}

	async left(user: ChatUser, where: { what: 'chat' | 'channel' | 'guild' }): Promise<void> {
		const identity = this.identityOf(user);
		const fanId = await this.ownerOf(this.ledger.store, identity);
		if (!fanId) return;
		try {
			if (where.what === 'chat') {
				await this.recordBlocked(
					fanId,
					user.platform,
					`chat:${this.clock()}`,
					'The fan blocked the bot.',
				);
				return;
			}
			const fan = await this.ledger.fans.get(fanId);
			const event = newEvent('community.left', this.clock(), null, {
				fan: { id: fan.id },
				community: { platform: user.platform, what: where.what },
			});
			await this.ledger.store.transaction((tx) => this.ledger.webhooks.enqueue(tx, event));
			this.onQueued();
		} catch (error) {
			if (!isErasure(error)) throw error;
		}
	}

	async openInviteCodes(): Promise<string[]> {
		// An invite past its lifetime is gone from Discord too: it can no longer be the one a member used.
		const rows = await this.ledger.store.all<{ code: string }>(
			`SELECT code FROM community_invites WHERE platform = 'discord' AND used_at IS NULL AND created_at > $1
			 ORDER BY created_at`,
			[this.clock() - DISCORD_INVITE_LIFETIME_MS],
		);
		return rows.map((row) => row.code);
	}

	async invitesSpent(codes: string[]): Promise<void> {
		const spentAtMs = this.clock();
		await this.ledger.store.transaction(async (tx) => {
			for (const code of codes) {
				await tx.run(
					`UPDATE community_invites SET used_at = $2 WHERE platform = 'discord' AND code = $1 AND used_at IS NULL`,
					[code, spentAtMs],
				);
			}
		});
	}

	/**
	 * Revokes the fan's release-updates consent on a platform and tells n8n the fan left;
	 * false when there was nothing to revoke.
	 */
	async revokeReleaseUpdates(
		fanId: string,
		platform: CommunityPlatform,
		method: string,
	): Promise<boolean> {
		const revoked = await this.ledger.store.transaction(async (tx) => {
			if (!(await this.revokeWithin(tx, fanId, platform, method))) return false;
			const start = await this.lastStart(tx, fanId, platform);
			await this.ledger.webhooks.enqueue(
				tx,
				newEvent('community.left', this.clock(), start?.campaign_id ?? null, {
					fan: { id: fanId },
					community: { platform, what: 'release_updates' },
				}),
			);
			return true;
		});
		if (revoked) this.onQueued();
		return revoked;
	}

	/**
	 * A fan who blocked the bot (found out by a message that bounced): a failed join action,
	 * announced as `community.left` from the chat, and the opt-in revoked so nothing more is sent.
	 * Once per `occasion` (the broadcast's message key).
	 */
	async recordBlocked(
		fanId: string,
		platform: CommunityPlatform,
		occasion: string,
		reason: string,
	): Promise<void> {
		const { created } = await this.ledger.store.transaction(async (tx) => {
			const start = await this.lastStart(tx, fanId, platform);
			const recorded = await this.ledger.actions.recordWithin(
				tx,
				{
					fanId,
					campaignId: start?.campaign_id ?? null,
					kind: platform === 'telegram' ? 'join_telegram' : 'join_discord',
					platform,
					status: 'failed',
					verification: 'hard',
					source: `${platform}:blocked`,
					parentActionId: start?.id ?? null,
					idempotencyKey: `community:${platform}:blocked:${fanId}:${occasion}`,
					error: reason,
					data: { what: 'chat', occasion },
				},
				'community.left',
				{ community: { platform, what: 'chat' } },
			);
			if (recorded.created) await this.revokeWithin(tx, fanId, platform, 'blocked');
			return recorded;
		});
		if (created) this.onQueued();
	}

	/** Whether the fan's release-updates consent on the platform is granted. */
	async getsReleaseUpdates(
		tx: SqlExecutor,
		fanId: string,
		platform: CommunityPlatform,
	): Promise<boolean> {
		const open = await this.ledger.consents.open(fanId, platform, tx);
		return open.some(
			(consent) => consent.purpose === RELEASE_UPDATES && consent.status === 'granted',
		);
	}

	/** The campaign a fan came from (their latest action's), else the newest campaign. */
	private async campaignFor(fanId: string | undefined): Promise<Campaign | undefined> {
		const row = fanId
			? await this.ledger.store.get<{ campaign_id: string }>(
					`SELECT campaign_id FROM actions WHERE fan_id = $1 AND campaign_id IS NOT NULL ORDER BY id DESC LIMIT 1`,
					[fanId],
				)
			: undefined;
		const newest =
			row ??
			(await this.ledger.store.get<{ campaign_id: string }>(
				`SELECT id AS campaign_id FROM campaigns ORDER BY id DESC LIMIT 1`,
			));
		return newest && this.ledger.campaigns.get(newest.campaign_id);
	}

	private summaryOf(campaign: Campaign): CampaignSummary {
		return {
			id: campaign.id,
			artist: campaign.artist,
			title: campaign.title,
			pageUrl: `${this.program.publicUrl}/c/${encodeURIComponent(campaign.slug)}`,
		};
	}

	private identityOf(user: ChatUser): Identity {
		return normalizeIdentity(user.platform, user.userId);
	}

	private async ownerOf(tx: SqlExecutor, identity: Identity): Promise<string | undefined> {
		const row = await tx.get<{ fan_id: string }>(
			'SELECT fan_id FROM identities WHERE channel = $1 AND external_id = $2',
			[identity.channel, identity.value],
		);
		return row?.fan_id;
	}

	private async isSuppressed(identity: Identity): Promise<boolean> {
		const row = await this.ledger.store.get(
			'SELECT 1 AS hit FROM suppressions WHERE channel = $1 AND identity_hash = $2',
			[identity.channel, suppressionHash(identity)],
		);
		return row !== undefined;
	}

	/**
	 * Links the chat to the fan the reference names (or keeps the fan it already belongs
	 * to, or creates one), and records where the fan arrived, layered on the referenced
	 * action. A chat-only fan made by an earlier plain /start is folded into the named fan.
	 */
	private async link(
		user: ChatUser,
		target: FanReferenceTarget | undefined,
		source: string,
		what: 'chat' | 'channel' | 'guild',
	): Promise<StartResult> {
		const identity = this.identityOf(user);
		// A reference is not even read for an erased chat. Without one, linkWithin's own check in the
		// transaction refuses it (identity_suppressed, caught below): no second look on every /start.
		if (target && (await this.isSuppressed(identity))) return refused('erased');
		try {
			const parent = target?.kind === 'action' ? await this.actionRef(target.actionId) : undefined;
			if (target?.kind === 'action' && !parent) return refused('invalid_reference');
			const named =
				target &&
				(await this.ledger.fans.get(target.kind === 'fan' ? target.fanId : parent!.fan_id));
			const owner = named ? await this.ownerOf(this.ledger.store, identity) : undefined;
			if (named && owner && owner !== named.id) {
				const ownerIdentities = await this.ledger.fans.identitiesOf(this.ledger.store, owner);
				if (ownerIdentities.length === 1) await this.ledger.fans.merge(named.id, owner);
			}
			const result = await this.ledger.fans.transactionClaimingIdentities(async (tx) => {
				// The chat keeps the fan it already belongs to; else it joins the named fan, else a new one.
				const linked = await this.ledger.fans.linkWithin(tx, identity, {
					fanId: named?.id,
					profile: { locale: user.locale ?? null },
					whenOwnedByAnother: 'keep',
				});
				const { fanId } = linked;
				const newFan = linked.created;
				const current = linked.alreadyLinked ? fanId : undefined;
				// A parent belongs to the fan it names; a chat that stays with another fan is not layered on it.
				const parentAction =
					parent && (await this.ledger.fans.resolve(tx, parent.fan_id)).id === fanId
						? parent
						: undefined;
				const { created } = await this.ledger.actions.recordWithin(
					tx,
					{
						fanId,
						campaignId: parentAction?.campaign_id ?? null,
						kind:
							what === 'chat'
								? 'click'
								: user.platform === 'telegram'
									? 'join_telegram'
									: 'join_discord',
						platform: user.platform,
						verification: 'hard',
						source,
						parentActionId: parentAction?.id ?? null,
						idempotencyKey: arrivalKey(user.platform, what, fanId, parentAction?.id),
						data: { what },
					},
					'community.joined',
					{ community: { platform: user.platform, what } },
				);
				return {
					fanId,
					newFan,
					alreadyLinked: current !== undefined,
					created,
					// A fan made in this transaction has no consent yet.
					releaseUpdates: !newFan && (await this.getsReleaseUpdates(tx, fanId, user.platform)),
					campaignId: parentAction?.campaign_id,
				};
			});
			if (result.created) this.onQueued();
			// A new fan's one action is the arrival just recorded, without a campaign: the newest campaign it is.
			const campaign = result.campaignId
				? await this.ledger.campaigns.get(result.campaignId)
				: await this.campaignFor(result.newFan ? undefined : result.fanId);
			return {
				outcome: 'linked',
				fanId: result.fanId,
				newFan: result.newFan,
				alreadyLinked: result.alreadyLinked,
				releaseUpdates: result.releaseUpdates,
				releaseUpdatesWording: this.wordingFor(campaign, user.platform),
				...(campaign ? { campaign: this.summaryOf(campaign) } : {}),
			};
		} catch (error) {
			if (isErasure(error)) return refused('erased');
			if (error instanceof HubError && error.code === 'fan_not_found')
				return refused('invalid_reference');
			throw error;
		}
	}

	private async actionRef(actionId: string): Promise<ActionRef | undefined> {
		return this.ledger.store.get<ActionRef>(
			'SELECT id, fan_id, campaign_id FROM actions WHERE id = $1',
			[actionId],
		);
	}

	/** The fan's latest arrival on the platform (`ARRIVAL`): what a join is layered on. */
	private async lastStart(
		tx: SqlExecutor,
		fanId: string,
		platform: CommunityPlatform,
	): Promise<ActionRef | undefined> {
		// Arrivals are told apart by their key: the opt-in and a block share the arrival's kind on Discord.
		return tx.get<ActionRef>(
			`SELECT id, fan_id, campaign_id FROM actions WHERE fan_id = $1 AND platform = $2
			 AND idempotency_key LIKE $3 AND status = 'done' ORDER BY id DESC LIMIT 1`,
			[fanId, platform, `${arrivalKeyPrefix(platform, ARRIVAL[platform])}%`],
		);
	}

	private async revokeWithin(
		tx: SqlExecutor,
		fanId: string,
		platform: CommunityPlatform,
		method: string,
	): Promise<boolean> {
		const open = await this.ledger.consents.open(fanId, platform, tx);
		const releaseUpdates = open.filter((consent) => consent.purpose === RELEASE_UPDATES);
		for (const consent of releaseUpdates) await this.ledger.consents.revoke(consent.id, method, tx);
		return releaseUpdates.length > 0;
	}

	/** Marks a Discord invite used and returns the fan it was made for; unknown or reused codes attribute nothing. */
	private async claimInvite(
		platform: CommunityPlatform,
		code: string,
	): Promise<FanReferenceTarget | undefined> {
		return this.ledger.store.transaction(async (tx) => {
			const row = await tx.get<{ fan_id: string; parent_action_id: string | null }>(
				'SELECT fan_id, parent_action_id FROM community_invites WHERE platform = $1 AND code = $2 AND used_at IS NULL',
				[platform, code],
			);
			if (!row) return undefined;
			await tx.run('UPDATE community_invites SET used_at = $3 WHERE platform = $1 AND code = $2', [
				platform,
				code,
				this.clock(),
			]);
			return row.parent_action_id
				? { kind: 'action' as const, actionId: row.parent_action_id }
				: { kind: 'fan' as const, fanId: row.fan_id };
		});
	}

	/** Runs a Discord role change; a hierarchy or permission refusal becomes a sentence for the fan. */
	private async roleChange(change: () => Promise<void>): Promise<Refused | undefined> {
		try {
			await change();
			return undefined;
		} catch (error) {
			if (error instanceof CommunityPlatformError && error.kind === 'not_allowed')
				return refused('not_allowed', error.message);
			throw error;
		}
	}
}
