import type { Actions } from '../actions';
import type { Campaigns } from '../campaigns';
import { HubError } from '../errors';
import type { Fans } from '../fans';
import type { Action, Campaign } from '../model';
import {
	settlePresaveWithin,
	waitingForReconnectReason,
	type PresaveSettlement,
} from '../presave/lifecycle';
import type { Tokens } from '../tokens';
import type { SqlExecutor, SqlStore } from '../../store/sql-store';
import { pacerFor, type Pacer } from '../pacing';
import {
	PlatformError,
	type PlatformGrant,
	type PlatformLibrary,
	type PlatformRelease,
	type StreamingOperation,
	type StreamingPlatform,
	type StreamingPlatformName,
} from './platform';

/** Refresh an access token this long before it expires, so a call never starts with a dying token. */
const REFRESH_MARGIN_MS = 60_000;
const MAX_TRANSIENT_ATTEMPTS = 6;
/** A 429 storm is waited out, not given up on: only a platform that never lets up ends the call. */
const MAX_RATE_LIMITED_WAITS = 200;
const TRANSIENT_BACKOFF_MS = 500;

const OPERATION_TEXT: Record<StreamingOperation, string> = {
	save: 'saving to their library',
	checkSaved: 'reading their library',
	followArtist: 'following an artist',
	followPlaylist: 'following a playlist',
};

export type StreamingOutcome =
	| { status: 'done'; action: Action }
	| { status: 'reconsent'; action: Action }
	| { status: 'failed'; action: Action }
	/**
	 * The fan's consent does not cover the call, so the platform was not asked: a failed
	 * attempt is recorded without its key, so the operation counts once the fan grants it.
	 */
	| { status: 'missing_scope'; action: Action }
	| { status: 'not_released' }
	/** The fan never connected the platform: nothing is recorded, so a follow after they connect still counts. */
	| { status: 'not_connected' };

/**
 * Saves and follows on a fan's behalf: opens (and refreshes, and re-seals) the fan's
 * grant, paces every call to the platform's budget, waits out 429s, retries transient
 * failures, and records the outcome in the ledger — a revoked grant marks the fan for
 * re-consent and records a failed action rather than failing anything else.
 */
export class Streaming {
	private readonly pacers = new Map<StreamingPlatformName, Pacer>();

	constructor(
		private readonly platforms: ReadonlyMap<StreamingPlatformName, StreamingPlatform>,
		private readonly fans: Fans,
		private readonly campaigns: Campaigns,
		private readonly actions: Actions,
		private readonly tokens: Tokens,
		private readonly store: SqlStore,
		private readonly clock: () => number,
		private readonly sleep: (ms: number) => Promise<void> = (ms) =>
			new Promise((resolve) => setTimeout(resolve, ms)),
	) {
		for (const [name, platform] of platforms) {
			// One budget per platform app: shared by every hub process where they share the store.
			this.pacers.set(
				name,
				pacerFor(store, `streaming:${name}`, platform.requestsPerSecond, sleep),
			);
		}
	}

	/** The platform's library, or a clear refusal where it has none (YouTube). */
	library(name: StreamingPlatformName): PlatformLibrary {
		const library = this.platform(name).library;
		if (!library) {
			throw new HubError(
				'validation_failed',
				`${name} has no library to save a release to; use the follow layer instead.`,
			);
		}
		return library;
	}

	/** Platforms whose library can hold a release: the ones release-day conversion works on. */
	withLibrary(): StreamingPlatformName[] {
		return [...this.platforms].filter(([, platform]) => platform.library).map(([name]) => name);
	}

	/** Platforms that can follow an artist for a fan: the ones a follow layer can be offered on. */
	withFollow(): StreamingPlatformName[] {
		return [...this.platforms]
			.filter(([, platform]) => platform.followArtist)
			.map(([name]) => name);
	}

	platform(name: StreamingPlatformName): StreamingPlatform {
		const platform = this.platforms.get(name);
		if (!platform) {
			throw new HubError(
				'provider_not_configured',
				`${name} is not configured on this hub; set its app credentials (see the README).`,
			);
		}
		return platform;
	}

	/** The campaign's release on a platform: its stored ids, else a catalog lookup by UPC/ISRC (undefined until it is live). */
	async releaseOf(
		campaign: Campaign,
		name: StreamingPlatformName,
	): Promise<PlatformRelease | undefined> {
		const stored = campaign.platforms[name];
		if (stored?.albumId || stored?.trackIds) {
			return {
				albumId: stored.albumId ?? null,
				trackIds: stored.trackIds ? stored.trackIds.split(',') : [],
			};
		}
		const library = this.library(name);
		return this.call(name, () => library.findRelease({ upc: campaign.upc, isrcs: campaign.isrcs }));
	}

	/**
	 * Saves the campaign's release for the fan and records a `save` action layered on
	 * `parentActionId` (their pre-save), once per (fan, campaign, platform).
	 */
	async saveRelease(input: {
		fanId: string;
		campaignId: string;
		platform: StreamingPlatformName;
		parentActionId?: string | null;
	}): Promise<StreamingOutcome> {
		const campaign = await this.campaigns.get(input.campaignId);
		const release = await this.releaseOf(campaign, input.platform);
		if (!release) return { status: 'not_released' };
		return this.saveFoundRelease(campaign, release, input);
	}

	/**
	 * `saveRelease` for a caller that holds the campaign and its release already (release
	 * day, once per fan): no campaign read per fan.
	 */
	saveFoundRelease(
		campaign: Campaign,
		release: PlatformRelease,
		input: {
			fanId: string;
			platform: StreamingPlatformName;
			parentActionId?: string | null;
			/** Who asked: release-day conversion names its job, so its progress is counted from the ledger. */
			source?: string;
		},
	): Promise<StreamingOutcome> {
		const library = this.library(input.platform);
		return this.perform(input.fanId, input.platform, 'save', 'save', {
			campaignId: campaign.id,
			parentActionId: input.parentActionId,
			idempotencyKey: `save:${campaign.id}:${input.fanId}:${input.platform}`,
			source: input.source,
			work: (grant) => library.saveRelease(grant, release),
		});
	}

	async follow(input: {
		fanId: string;
		platform: StreamingPlatformName;
		artistId?: string;
		playlistId?: string;
		campaignId?: string | null;
		parentActionId?: string | null;
	}): Promise<StreamingOutcome> {
		const platform = this.platform(input.platform);
		const target = input.artistId ? 'artist' : 'playlist';
		const follow = input.artistId ? platform.followArtist : platform.followPlaylist;
		if (!follow || !(input.artistId ?? input.playlistId)) {
			throw new HubError(
				'validation_failed',
				`${input.platform} cannot follow ${target === 'artist' ? 'an artist' : 'a playlist'} on a fan's behalf.`,
			);
		}
		const id = (input.artistId ?? input.playlistId) as string;
		const campaignId = input.campaignId ? (await this.campaigns.get(input.campaignId)).id : null;
		if (!(await this.tokens.isConnected(input.fanId, input.platform)))
			return { status: 'not_connected' };
		const operation = input.artistId ? 'followArtist' : 'followPlaylist';
		return this.perform(input.fanId, input.platform, 'follow', operation, {
			campaignId,
			parentActionId: input.parentActionId,
			idempotencyKey: `follow:${target}:${id}:${input.fanId}:${input.platform}`,
			data: { [`${target}Id`]: id },
			work: (grant) => follow.call(platform, grant, id),
		});
	}

	async isSaved(
		fanId: string,
		campaignId: string,
		name: StreamingPlatformName,
	): Promise<boolean | null> {
		const campaign = await this.campaigns.get(campaignId);
		const release = await this.releaseOf(campaign, name);
		if (!release) return null;
		try {
			const grant = await this.grantFor(fanId, name);
			const missing = this.missingScope(name, 'checkSaved', grant);
			if (missing) throw new HubError('missing_scope', missing);
			return await this.call(name, () => this.library(name).isSaved(grant, release));
		} catch (error) {
			if (error instanceof PlatformError && error.kind === 'reconsent')
				await this.tokens.markNeedsReconsent(fanId, name);
			throw error;
		}
	}

	private async perform(
		fanId: string,
		name: StreamingPlatformName,
		kind: 'save' | 'follow',
		operation: StreamingOperation,
		options: {
			campaignId?: string | null;
			parentActionId?: string | null;
			idempotencyKey: string;
			source?: string;
			data?: Record<string, unknown>;
			work: (grant: PlatformGrant) => Promise<void>;
		},
	): Promise<StreamingOutcome> {
		// The fan's id after merges (erasure refused); their identities are not needed here.
		const fan = await this.fans.resolve(this.store, fanId);
		const parentId = kind === 'save' ? (options.parentActionId ?? null) : null;
		// A save settles the pre-save it converts in its own transaction, so the two never disagree.
		const settleParent = (settlement: PresaveSettlement) => async (tx: SqlExecutor) => {
			if (parentId) await settlePresaveWithin(tx, parentId, settlement, this.clock());
		};
		const earlier = await this.actions.findByKey(options.idempotencyKey);
		if (earlier?.status === 'done') {
			await this.store.transaction(settleParent({ status: 'done' }));
			return { status: 'done', action: earlier };
		}
		const record = (
			status: 'done' | 'failed',
			error: string | null,
			idempotencyKey: string | null,
			settlement: PresaveSettlement,
		) =>
			this.actions.record(
				{
					fanId: fan.id,
					campaignId: options.campaignId,
					kind,
					platform: name,
					status,
					verification: status === 'done' ? 'hard' : 'soft',
					source: options.source ?? 'hub',
					parentActionId: options.parentActionId,
					idempotencyKey,
					error,
					data: options.data,
				},
				parentId && status === 'done' ? 'presave.converted' : undefined,
				settleParent(settlement),
			);
		try {
			const grant = await this.grantFor(fan.id, name);
			const missing = this.missingScope(name, operation, grant);
			if (missing) {
				const { action } = await record('failed', missing, null, {
					status: 'failed',
					error: missing,
				});
				return { status: 'missing_scope', action };
			}
			await this.call(name, () => options.work(grant));
			const { action } = await record('done', null, options.idempotencyKey, { status: 'done' });
			return { status: 'done', action };
		} catch (error) {
			if (error instanceof PlatformError && error.kind === 'reconsent') {
				await this.tokens.markNeedsReconsent(fan.id, name);
				// An attempt, not the outcome: it leaves the key free, so the save is recorded done once the fan reconnects.
				const { action } = await record('failed', error.message, null, {
					status: 'pending',
					error: waitingForReconnectReason(name, error.message),
				});
				return { status: 'reconsent', action };
			}
			// Permanent refusals are recorded; transient ones propagate so the caller (a job) tries again later.
			if (
				(error instanceof PlatformError && error.kind === 'permanent') ||
				(error instanceof HubError && error.code === 'not_found')
			) {
				const { action } = await record('failed', error.message, options.idempotencyKey, {
					status: 'failed',
					error: error.message,
				});
				return { status: 'failed', action };
			}
			throw error;
		}
	}

	/**
	 * Why the fan's grant cannot make the call, or null when it can (or the grant names no
	 * scopes to compare: Apple's user token, a connection imported without them).
	 */
	private missingScope(
		name: StreamingPlatformName,
		operation: StreamingOperation,
		grant: PlatformGrant,
	): string | null {
		const needed = this.platform(name).requiredScopes?.[operation];
		if (!needed || grant.scopes.length === 0) return null;
		if (needed.some((scope) => grant.scopes.includes(scope))) return null;
		return `The fan's ${name} consent does not allow ${OPERATION_TEXT[operation]}: it needs the scope ${needed.join(' or ')}, which this fan did not grant, so ${name} was not asked. The fan can grant it by connecting again through a campaign that offers it (see the README's "What a real campaign needs from each platform").`;
	}

	/** The fan's grant, refreshed and re-sealed when its access token is about to expire. */
	private async grantFor(fanId: string, name: StreamingPlatformName): Promise<PlatformGrant> {
		const opened = await this.tokens.open(fanId, name).catch((error: unknown) => {
			if (error instanceof HubError && error.code === 'not_found') {
				throw new PlatformError(name, 'reconsent', `The fan has not connected ${name}.`);
			}
			throw error;
		});
		if (opened.status !== 'valid') {
			throw new PlatformError(
				name,
				'reconsent',
				`The fan's ${name} connection needs a new consent.`,
			);
		}
		const { status: _status, ...grant } = opened;
		const platform = this.platform(name);
		if (
			!platform.refresh ||
			grant.accessExpiresAtMs === null ||
			grant.accessExpiresAtMs > this.clock() + REFRESH_MARGIN_MS
		) {
			return grant;
		}
		const refresh = platform.refresh.bind(platform);
		const renewed = await this.call(name, () => refresh(grant));
		await this.tokens.save(fanId, name, renewed);
		return renewed;
	}

	/** One paced platform call: waits out 429s (Retry-After), retries transient failures with backoff. */
	private async call<T>(name: StreamingPlatformName, work: () => Promise<T>): Promise<T> {
		const pacer = this.pacers.get(name) as Pacer;
		let transientFailures = 0;
		let rateLimitedWaits = 0;
		for (;;) {
			const answered = await pacer.take();
			try {
				return await work().finally(answered);
			} catch (error) {
				if (
					error instanceof PlatformError &&
					error.kind === 'rate_limited' &&
					++rateLimitedWaits < MAX_RATE_LIMITED_WAITS
				) {
					await pacer.pauseFor(error.retryAfterMs ?? 1000);
				} else if (
					error instanceof PlatformError &&
					error.kind === 'transient' &&
					++transientFailures < MAX_TRANSIENT_ATTEMPTS
				) {
					await this.sleep(TRANSIENT_BACKOFF_MS * 2 ** (transientFailures - 1));
				} else {
					throw error;
				}
			}
		}
	}
}
