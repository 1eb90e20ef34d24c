import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Campaigns } from '../campaigns';
import { HubError } from '../errors';
import type { FanReferences } from '../fan-references';
import type { Fans } from '../fans';
import { normalizeIdentity } from '../identities';
import type { Campaign } from '../model';
import { releaseInstantFor, type ReleaseConversion } from '../streaming/conversion';
import { STREAMING_PLATFORMS, type StreamingPlatformName } from '../streaming/platform';
import type { Tokens } from '../tokens';
import type { SqlStore } from '../../store/sql-store';
import type { PlatformConnection } from './authorization';
import { clearReconnectWaitWithin } from './lifecycle';

/** Where a fan's reconnect link lands: `/r/<reference>`. */
export const RECONNECT_PATH = '/r';
/** Long enough for an email read a week late, short enough that an old link stops working. */
export const RECONNECT_LINK_LIFETIME_MS = 30 * 24 * 3_600_000;
const SIGNATURE_BYTES = 12;

/**
 * Apple Music gives no account id: the hub knows the fan there by a digest of their Music
 * User Token, which changes with every consent. Elsewhere the account must stay the same.
 */
const ACCOUNT_CHANGES_WITH_EACH_CONSENT: readonly StreamingPlatformName[] = ['apple_music'];

export interface ReconnectTarget {
	fanId: string;
	platform: StreamingPlatformName;
	expiresAtMs: number;
}

/**
 * Signed, expiring per-fan links that lead a fan through a platform's consent again:
 * the fan part is a signed fan reference (core/fan-references.ts), and the whole link,
 * with its platform and expiry, is signed again with a key of its own.
 */
export class ReconnectLinks {
	private readonly key: Buffer;

	constructor(
		private readonly references: FanReferences,
		sealingKey: Buffer,
	) {
		this.key = Buffer.from(
			hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'fanloop reconnect links', 32),
		);
	}

	issue(fanId: string, platform: StreamingPlatformName, expiresAtMs: number): string {
		const body = `${this.references.issue({ kind: 'fan', fanId })}.${platform}.${Math.floor(expiresAtMs / 1000).toString(36)}`;
		return `${body}.${this.sign(body)}`;
	}

	/** The target, `expired` past its end, or `invalid` for anything forged or malformed. */
	read(reference: string, nowMs: number): ReconnectTarget | 'invalid' | 'expired' {
		const parts = reference.split('.');
		if (parts.length !== 4) return 'invalid';
		const [fanPart, platform, expiry, signature] = parts;
		const expected = Buffer.from(this.sign(`${fanPart}.${platform}.${expiry}`));
		const given = Buffer.from(signature);
		if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
		const fan = this.references.read(fanPart);
		if (fan?.kind !== 'fan' || !(STREAMING_PLATFORMS as readonly string[]).includes(platform))
			return 'invalid';
		const expiresAtMs = parseInt(expiry, 36) * 1000;
		if (!Number.isFinite(expiresAtMs)) return 'invalid';
		if (expiresAtMs <= nowMs) return 'expired';
		return { fanId: fan.fanId, platform: platform as StreamingPlatformName, expiresAtMs };
	}

	private sign(body: string): string {
		return createHmac('sha256', this.key)
			.update(body)
			.digest()
			.subarray(0, SIGNATURE_BYTES)
			.toString('base64url');
	}
}

/**
 * Re-consent that reconnects: the fan's new consent renews the same fan's grant (never a
 * new fan), their pre-saves waiting on it wait only for release day again, and the ones
 * of campaigns already released are converted by a job enqueued at once.
 */
export class Reconnects {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly tokens: Tokens,
		private readonly campaigns: Campaigns,
		private readonly conversion: ReleaseConversion,
		readonly links: ReconnectLinks,
		private readonly clock: () => number,
	) {}

	/** The path of a fresh link for this fan and platform, and when it stops working. */
	linkFor(fanId: string, platform: StreamingPlatformName): { path: string; expiresAtMs: number } {
		const expiresAtMs = this.clock() + RECONNECT_LINK_LIFETIME_MS;
		return {
			path: `${RECONNECT_PATH}/${this.links.issue(fanId, platform, expiresAtMs)}`,
			expiresAtMs,
		};
	}

	/**
	 * The campaign whose page hosts the consent round trip: the fan's latest pre-save on that
	 * platform, else the latest campaign they acted in that offers it, else the hub's latest
	 * campaign that offers it (a fan whose grant came from elsewhere, e.g. imported).
	 */
	async campaignFor(fanId: string, platform: StreamingPlatformName): Promise<Campaign | undefined> {
		const fan = await this.fans.get(fanId);
		const presave = await this.store.get<{ campaign_id: string }>(
			`SELECT campaign_id FROM actions WHERE fan_id = $1 AND platform = $2 AND kind = 'presave' AND campaign_id IS NOT NULL
			 ORDER BY id DESC LIMIT 1`,
			[fan.id, platform],
		);
		if (presave) return this.campaigns.get(presave.campaign_id);
		const offersPlatform = (campaign: Campaign) => Boolean(campaign.platforms[platform]);
		const theirs = await this.store.all<{ campaign_id: string }>(
			`SELECT DISTINCT campaign_id FROM actions WHERE fan_id = $1 AND campaign_id IS NOT NULL`,
			[fan.id],
		);
		const candidates = await Promise.all(theirs.map((row) => this.campaigns.get(row.campaign_id)));
		const latest = (campaigns: Campaign[]) =>
			campaigns.filter(offersPlatform).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
		const acted = latest(candidates);
		if (acted) return acted;
		const recent = await this.store.all<{ id: string }>(
			'SELECT id FROM campaigns ORDER BY created_at DESC LIMIT 50',
		);
		return latest(await Promise.all(recent.map((row) => this.campaigns.get(row.id))));
	}

	/** Renews `fanId`'s grant with the new consent; refuses another account's consent. Returns the jobs started. */
	async renew(
		fanId: string,
		platform: StreamingPlatformName,
		connection: PlatformConnection,
	): Promise<{ fanId: string; jobIds: string[] }> {
		const identity = normalizeIdentity(platform, connection.accountId);
		const renewedFanId = await this.fans.transactionClaimingIdentities(async (tx) => {
			const fan = await this.fans.resolve(tx, fanId);
			const owner = await tx.get<{ fan_id: string }>(
				'SELECT fan_id FROM identities WHERE channel = $1 AND external_id = $2',
				[identity.channel, identity.value],
			);
			if (owner && (await this.fans.resolve(tx, owner.fan_id)).id !== fan.id) {
				throw new HubError(
					'identity_conflict',
					`This reconnect link belongs to another ${platform} account.`,
				);
			}
			if (!owner) {
				const known = await tx.get(
					'SELECT 1 AS hit FROM identities WHERE fan_id = $1 AND channel = $2',
					[fan.id, platform],
				);
				if (known && !ACCOUNT_CHANGES_WITH_EACH_CONSENT.includes(platform)) {
					throw new HubError(
						'identity_conflict',
						`This reconnect link belongs to another ${platform} account.`,
					);
				}
				await this.fans.attachWithin(tx, fan.id, identity);
			}
			await this.tokens.saveWithin(tx, fan.id, platform, connection.grant);
			await clearReconnectWaitWithin(tx, fan.id, platform, this.clock());
			return fan.id;
		});
		return { fanId: renewedFanId, jobIds: await this.convertReleased(renewedFanId, platform) };
	}

	/** One conversion job per released campaign in which this fan's pre-save on the platform still waits. */
	private async convertReleased(fanId: string, platform: StreamingPlatformName): Promise<string[]> {
		const fan = await this.fans.get(fanId);
		const rows = await this.store.all<{ campaign_id: string }>(
			`SELECT DISTINCT campaign_id FROM actions
			 WHERE fan_id = $1 AND platform = $2 AND kind = 'presave' AND status = 'pending' AND campaign_id IS NOT NULL`,
			[fan.id, platform],
		);
		const jobIds: string[] = [];
		for (const row of rows) {
			const campaign = await this.campaigns.get(row.campaign_id);
			if (releaseInstantFor(campaign, fan.timezone) > this.clock()) continue;
			jobIds.push(await this.conversion.start(campaign.id, [platform]));
		}
		return jobIds;
	}
}
