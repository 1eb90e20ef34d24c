import { campaignIdOf } from './campaigns';
import { HubError } from './errors';
import { normalizeIdentity, suppressionHash, type Channel, type Identity } from './identities';
import { newId } from './ids';
import { iso, type ActionKind, type Fan } from './model';
import { takenLayerSql } from './presave/lifecycle';
import { isTimeZone } from './time-zones';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markFanStale } from './insights/stale-fans';

export interface FanProfile {
	name?: string | null;
	locale?: string | null;
	country?: string | null;
	timezone?: string | null;
}

export interface UpsertFanInput extends FanProfile {
	identities: { channel: string; value: string }[];
}

export interface FanSegmentQuery {
	campaignId?: string;
	hasAction?: ActionKind;
	lacksAction?: ActionKind;
	channel?: Channel;
	limit: number;
	cursor?: string;
}

interface FanRow {
	id: string;
	created_at: number;
	name: string | null;
	locale: string | null;
	country: string | null;
	timezone: string | null;
	merged_into: string | null;
	erased_at: number | null;
}

const MAX_MERGE_HOPS = 32;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const COUNTRY = /^[A-Za-z]{2}$/;

/** A fan's profile is checked as strictly as a campaign's: a bad zone stored once would break their sends later. */
function refuseBadProfile(profile: FanProfile): void {
	if (profile.timezone && !isTimeZone(profile.timezone)) {
		throw new HubError(
			'validation_failed',
			`"${profile.timezone}" is not a time zone; use an IANA name such as Europe/Berlin.`,
		);
	}
	if (profile.country && !COUNTRY.test(profile.country)) {
		throw new HubError(
			'validation_failed',
			`"${profile.country}" is not a two-letter country code such as US or DE.`,
		);
	}
	if (profile.locale && !LOCALE.test(profile.locale)) {
		throw new HubError(
			'validation_failed',
			`"${profile.locale}" is not a language tag such as "en" or "pt-BR".`,
		);
	}
}

/** Raised inside a transaction when a concurrent writer took an identity first; the upsert retries. */
class IdentityRace extends Error {}

export class Fans {
	constructor(
		private readonly store: SqlStore,
		private readonly clock: () => number,
	) {}

	/** Finds the fan any of the identities belongs to, or creates one, and attaches the rest. */
	async upsert(input: UpsertFanInput): Promise<{ fan: Fan; created: boolean }> {
		if (input.identities.length === 0) {
			throw new HubError(
				'validation_failed',
				'Give at least one identity (channel and value) for the fan.',
			);
		}
		const identities = input.identities.map((identity) =>
			normalizeIdentity(identity.channel, identity.value, input.country ?? undefined),
		);
		return this.transactionClaimingIdentities((tx) => this.upsertWithin(tx, identities, input));
	}

	/**
	 * A transaction that upserts fans inside `work`: run again from the start when a
	 * concurrent writer claimed one of the identities first (PostgreSQL lets both try).
	 */
	async transactionClaimingIdentities<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.store.transaction(work);
			} catch (error) {
				if (!(error instanceof IdentityRace) || attempt === 3) throw error;
			}
		}
	}

	async get(fanId: string, tx: SqlExecutor = this.store): Promise<Fan> {
		const row = await this.resolve(tx, fanId);
		return this.toFan(tx, row);
	}

	async getByIdentity(channel: string, value: string): Promise<Fan> {
		const identity = normalizeIdentity(channel, value);
		const row = await this.store.get<{ fan_id: string }>(
			'SELECT fan_id FROM identities WHERE channel = $1 AND external_id = $2',
			[identity.channel, identity.value],
		);
		if (!row)
			throw new HubError(
				'fan_not_found',
				`No fan has the ${identity.channel} identity "${identity.value}".`,
			);
		return this.get(row.fan_id);
	}

	/** The id every reference to a fan ends at: merges followed, erasure refused. */
	async resolve(tx: SqlExecutor, fanId: string): Promise<FanRow> {
		let id = fanId;
		for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
			const row = await tx.get<FanRow>('SELECT * FROM fans WHERE id = $1', [id]);
			if (!row) throw new HubError('fan_not_found', `No fan with id ${fanId}.`);
			if (row.merged_into) {
				id = row.merged_into;
				continue;
			}
			if (row.erased_at !== null) {
				throw new HubError(
					'fan_erased',
					`Fan ${fanId} asked to be erased; nothing more is recorded for them.`,
				);
			}
			return row;
		}
		throw new HubError('internal_error', `Fan ${fanId} has a merge chain too long to follow.`);
	}

	/** Folds `otherFanId` into `fanId`: identities, consents, tokens and actions move; the other id keeps resolving. */
	async merge(fanId: string, otherFanId: string): Promise<Fan> {
		return this.store.transaction(async (tx) => {
			const survivor = await this.resolve(tx, fanId);
			const other = await this.resolve(tx, otherFanId);
			if (survivor.id === other.id) return this.toFan(tx, survivor);
			await tx.run('UPDATE identities SET fan_id = $1 WHERE fan_id = $2', [survivor.id, other.id]);
			await tx.run('UPDATE consents SET fan_id = $1 WHERE fan_id = $2', [survivor.id, other.id]);
			await tx.run('UPDATE actions SET fan_id = $1 WHERE fan_id = $2', [survivor.id, other.id]);
			await this.moveTokens(tx, other.id, survivor.id);
			await tx.run(
				`UPDATE fans SET locale = COALESCE(locale, $2), country = COALESCE(country, $3), timezone = COALESCE(timezone, $4),
					name = COALESCE(name, $5)
				 WHERE id = $1`,
				[survivor.id, other.locale, other.country, other.timezone, other.name],
			);
			await tx.run('UPDATE fans SET merged_into = $1 WHERE id = $2', [survivor.id, other.id]);
			await markFanStale(tx, survivor.id);
			await markFanStale(tx, other.id);
			return this.get(survivor.id, tx);
		});
	}

	/** A segment, in creation order, one keyset page at a time. */
	async list(query: FanSegmentQuery): Promise<{ fans: Fan[]; nextCursor: string | null }> {
		const where = ['f.merged_into IS NULL', 'f.erased_at IS NULL'];
		const params: (string | number)[] = [];
		const param = (value: string | number) => {
			params.push(value);
			return `$${params.length}`;
		};
		const campaignId = query.campaignId
			? await campaignIdOf(this.store, query.campaignId)
			: undefined;
		const campaign = campaignId ? ` AND a.campaign_id = ${param(campaignId)}` : '';
		if (query.cursor) where.push(`f.id > ${param(query.cursor)}`);
		if (query.hasAction) {
			where.push(`EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id AND a.kind = ${param(query.hasAction)}
				AND ${takenLayerSql('a')}${campaign})`);
		}
		if (query.lacksAction) {
			where.push(`NOT EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id AND a.kind = ${param(query.lacksAction)}
				AND ${takenLayerSql('a')}${campaign})`);
		}
		if (query.campaignId && !query.hasAction && !query.lacksAction) {
			where.push(`EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id${campaign})`);
		}
		if (query.channel) {
			where.push(
				`EXISTS (SELECT 1 FROM identities i WHERE i.fan_id = f.id AND i.channel = ${param(query.channel)})`,
			);
		}
		const rows = await this.store.all<FanRow>(
			`SELECT f.* FROM fans f WHERE ${where.join(' AND ')} ORDER BY f.id LIMIT ${param(query.limit + 1)}`,
			params,
		);
		const page = rows.slice(0, query.limit);
		const fans = await Promise.all(page.map((row) => this.toFan(this.store, row)));
		return { fans, nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
	}

	/**
	 * GDPR erasure: tokens, identities, consents and personal fields go; actions stay as
	 * anonymous counts for the funnel; a hash of each identity stays so the fan is never
	 * re-imported or contacted again.
	 */
	async erase(fanId: string): Promise<{ fanId: string; erasedAt: string; suppressed: number }> {
		return this.store.transaction(async (tx) => {
			const fan = await this.resolve(tx, fanId);
			const now = this.clock();
			const identities = await this.identitiesOf(tx, fan.id);
			for (const identity of identities) {
				await tx.run(
					`INSERT INTO suppressions (channel, identity_hash, created_at) VALUES ($1, $2, $3)
					 ON CONFLICT (channel, identity_hash) DO NOTHING`,
					[identity.channel, suppressionHash(identity), now],
				);
			}
			await tx.run('DELETE FROM tokens WHERE fan_id = $1', [fan.id]);
			await tx.run('DELETE FROM identities WHERE fan_id = $1', [fan.id]);
			await tx.run('DELETE FROM consents WHERE fan_id = $1', [fan.id]);
			await tx.run(
				'UPDATE actions SET data = NULL, source = NULL, error = NULL WHERE fan_id = $1',
				[fan.id],
			);
			await markFanStale(tx, fan.id);
			await tx.run(
				'UPDATE fans SET name = NULL, locale = NULL, country = NULL, timezone = NULL, erased_at = $2 WHERE id = $1',
				[fan.id, now],
			);
			return { fanId: fan.id, erasedAt: iso(now), suppressed: identities.length };
		});
	}

	async identitiesOf(tx: SqlExecutor, fanId: string): Promise<Identity[]> {
		const rows = await tx.all<{ channel: Channel; external_id: string }>(
			'SELECT channel, external_id FROM identities WHERE fan_id = $1 ORDER BY channel, external_id',
			[fanId],
		);
		return rows.map((row) => ({ channel: row.channel, value: row.external_id }));
	}

	/** Adds a normalised identity to a fan inside the caller's transaction, unless it is suppressed. */
	async attachWithin(tx: SqlExecutor, fanId: string, identity: Identity): Promise<void> {
		await this.refuseSuppressed(tx, [identity]);
		const { changes } = await tx.run(
			`INSERT INTO identities (channel, external_id, fan_id, created_at) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (channel, external_id) DO NOTHING`,
			[identity.channel, identity.value, fanId, this.clock()],
		);
		// Someone else attached it between our look and our insert: the whole link runs again and sees them.
		if (changes === 0 && (await this.ownerWithin(tx, identity)) !== fanId) throw new IdentityRace();
	}

	/**
	 * The one way an identity joins the ledger, for the page, the opt-ins and the bots: the
	 * fan it already belongs to; else attached to the named fan; else a new fan. Run it inside
	 * `transactionClaimingIdentities`, which retries when a concurrent writer claimed the
	 * identity first. When the identity belongs to another fan than the one named,
	 * `whenOwnedByAnother` says whether that is refused (an address given for a fan) or the
	 * owner kept (a chat that already belongs to someone).
	 */
	async linkWithin(
		tx: SqlExecutor,
		identity: Identity,
		options: { fanId?: string; profile?: FanProfile; whenOwnedByAnother?: 'refuse' | 'keep' } = {},
	): Promise<{ fanId: string; created: boolean; alreadyLinked: boolean }> {
		await this.refuseSuppressed(tx, [identity]);
		const ownerId = await this.ownerWithin(tx, identity);
		const owner = ownerId ? (await this.resolve(tx, ownerId)).id : undefined;
		if (options.fanId) {
			const fan = await this.resolve(tx, options.fanId);
			if (owner && owner !== fan.id) {
				if (options.whenOwnedByAnother === 'keep')
					return { fanId: owner, created: false, alreadyLinked: true };
				throw new HubError(
					'identity_conflict',
					`That ${identity.channel} belongs to another fan (${owner}).`,
					{
						fanIds: [owner],
					},
				);
			}
			if (!owner) await this.attachWithin(tx, fan.id, identity);
			return { fanId: fan.id, created: false, alreadyLinked: owner !== undefined };
		}
		if (owner) return { fanId: owner, created: false, alreadyLinked: true };
		// Checked and looked up above: a new fan, without upsertWithin's second look and read-back.
		const profile = options.profile ?? {};
		refuseBadProfile(profile);
		const now = this.clock();
		const fanId = await this.insertFanWithin(tx, profile, now);
		await this.insertIdentitiesWithin(tx, fanId, [identity], now);
		return { fanId, created: true, alreadyLinked: false };
	}

	private async ownerWithin(tx: SqlExecutor, identity: Identity): Promise<string | undefined> {
		const row = await tx.get<{ fan_id: string }>(
			'SELECT fan_id FROM identities WHERE channel = $1 AND external_id = $2',
			[identity.channel, identity.value],
		);
		return row?.fan_id;
	}

	/** `upsert` for normalised identities, inside the caller's transaction. */
	async upsertWithin(
		tx: SqlExecutor,
		identities: Identity[],
		profile: FanProfile,
	): Promise<{ fan: Fan; created: boolean }> {
		refuseBadProfile(profile);
		await this.refuseSuppressed(tx, identities);
		const owners = new Set<string>();
		for (const identity of identities) {
			const row = await tx.get<{ fan_id: string }>(
				'SELECT fan_id FROM identities WHERE channel = $1 AND external_id = $2',
				[identity.channel, identity.value],
			);
			if (row) owners.add(row.fan_id);
		}
		if (owners.size > 1) {
			throw new HubError(
				'identity_conflict',
				`These identities belong to different fans (${[...owners].join(', ')}). Merge the fans first if they are the same person.`,
				{ fanIds: [...owners] },
			);
		}
		const now = this.clock();
		const created = owners.size === 0;
		const fanId = created ? await this.insertFanWithin(tx, profile, now) : [...owners][0];
		if (!created) {
			await tx.run(
				`UPDATE fans SET locale = COALESCE($2, locale), country = COALESCE($3, country), timezone = COALESCE($4, timezone),
					name = COALESCE($5, name)
				 WHERE id = $1`,
				[
					fanId,
					profile.locale ?? null,
					profile.country ?? null,
					profile.timezone ?? null,
					profile.name ?? null,
				],
			);
		}
		await this.insertIdentitiesWithin(tx, fanId, identities, now);
		return { fan: await this.get(fanId, tx), created };
	}

	private async insertFanWithin(
		tx: SqlExecutor,
		profile: FanProfile,
		now: number,
	): Promise<string> {
		const fanId = newId('fan', now);
		await tx.run(
			'INSERT INTO fans (id, created_at, locale, country, timezone, name) VALUES ($1, $2, $3, $4, $5, $6)',
			[
				fanId,
				now,
				profile.locale ?? null,
				profile.country ?? null,
				profile.timezone ?? null,
				profile.name ?? null,
			],
		);
		return fanId;
	}

	/** Gives the fan each identity; one a concurrent writer gave another fan first is an `IdentityRace`. */
	private async insertIdentitiesWithin(
		tx: SqlExecutor,
		fanId: string,
		identities: Identity[],
		now: number,
	): Promise<void> {
		for (const identity of identities) {
			const { changes } = await tx.run(
				`INSERT INTO identities (channel, external_id, fan_id, created_at) VALUES ($1, $2, $3, $4)
				 ON CONFLICT (channel, external_id) DO NOTHING`,
				[identity.channel, identity.value, fanId, now],
			);
			if (changes === 0 && (await this.ownerWithin(tx, identity)) !== fanId)
				throw new IdentityRace();
		}
	}

	private async refuseSuppressed(tx: SqlExecutor, identities: Identity[]): Promise<void> {
		for (const identity of identities) {
			const suppressed = await tx.get(
				'SELECT 1 AS hit FROM suppressions WHERE channel = $1 AND identity_hash = $2',
				[identity.channel, suppressionHash(identity)],
			);
			if (suppressed) {
				throw new HubError(
					'identity_suppressed',
					`The ${identity.channel} identity "${identity.value}" belongs to a fan who asked to be erased; Fanloop will not store it again.`,
				);
			}
		}
	}

	/** A platform connected on both fans keeps the newer authorization. */
	private async moveTokens(tx: SqlExecutor, fromFanId: string, toFanId: string): Promise<void> {
		const tokens = await tx.all<{ fan_id: string; platform: string; authorized_at: number }>(
			'SELECT fan_id, platform, authorized_at FROM tokens WHERE fan_id IN ($1, $2)',
			[fromFanId, toFanId],
		);
		for (const moving of tokens.filter((token) => token.fan_id === fromFanId)) {
			const kept = tokens.find(
				(token) => token.fan_id === toFanId && token.platform === moving.platform,
			);
			if (kept && kept.authorized_at >= moving.authorized_at) {
				await tx.run('DELETE FROM tokens WHERE fan_id = $1 AND platform = $2', [
					fromFanId,
					moving.platform,
				]);
				continue;
			}
			if (kept)
				await tx.run('DELETE FROM tokens WHERE fan_id = $1 AND platform = $2', [
					toFanId,
					moving.platform,
				]);
			await tx.run('UPDATE tokens SET fan_id = $1 WHERE fan_id = $2 AND platform = $3', [
				toFanId,
				fromFanId,
				moving.platform,
			]);
		}
	}

	private async toFan(tx: SqlExecutor, row: FanRow): Promise<Fan> {
		return {
			id: row.id,
			createdAt: iso(row.created_at),
			name: row.name ?? null,
			locale: row.locale,
			country: row.country,
			timezone: row.timezone,
			erasedAt: iso(row.erased_at),
			identities: await this.identitiesOf(tx, row.id),
		};
	}
}
