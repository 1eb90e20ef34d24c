import type { Artist, Artists } from './artists';
import { HubError } from './errors';
import { newId } from './ids';
import { iso, LAYERS, type Campaign, type Layer } from './model';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markCampaignFansStale } from './insights/stale-fans';

export interface CampaignInput {
	slug: string;
	/** The artist by id (art_…); without it, `artist` names one, found or made. */
	artistId?: string | null;
	artist?: string | null;
	title: string;
	artworkUrl?: string | null;
	locale?: string;
	releaseAtUtc: string;
	timezone?: string | null;
	localMidnight?: boolean;
	upc?: string | null;
	isrcs?: string[];
	platforms?: Campaign['platforms'];
	layers?: Layer[];
	consentWordings?: Campaign['consentWordings'];
}

/** Pages are English unless the marketer says otherwise. */
export const DEFAULT_CAMPAIGN_LOCALE = 'en';

/** A campaign row with its artist's current name (artist_name), read through CAMPAIGN_SELECT. */
interface CampaignRow {
	id: string;
	slug: string;
	artist_id: string;
	artist_name: string;
	title: string;
	artwork_url: string | null;
	locale: string;
	release_at_utc: number;
	timezone: string | null;
	local_midnight: number;
	upc: string | null;
	isrcs: string;
	platforms: string;
	layers: string;
	consent_wordings: string;
	created_at: number;
	updated_at: number;
}

function toCampaign(row: CampaignRow): Campaign {
	return {
		id: row.id,
		slug: row.slug,
		artistId: row.artist_id,
		artist: row.artist_name,
		title: row.title,
		artworkUrl: row.artwork_url,
		locale: row.locale,
		releaseAtUtc: iso(row.release_at_utc),
		timezone: row.timezone,
		localMidnight: Number(row.local_midnight) === 1,
		upc: row.upc,
		isrcs: JSON.parse(row.isrcs) as string[],
		platforms: JSON.parse(row.platforms) as Campaign['platforms'],
		layers: JSON.parse(row.layers) as Layer[],
		consentWordings: JSON.parse(row.consent_wordings) as Campaign['consentWordings'],
		createdAt: iso(row.created_at),
		updatedAt: iso(row.updated_at),
	};
}

const CAMPAIGN_SELECT =
	'SELECT c.*, a.name AS artist_name FROM campaigns c JOIN artists a ON a.id = c.artist_id';

/**
 * The id of the campaign whose id or slug is $1, as two index lookups whatever the statistics
 * say: with those of a hub holding a few campaigns, `id = $1 OR slug = $1` was planned as a scan
 * of the campaigns and of the artists for each, four times slower on every page view and save.
 */
const ID_BY_ID_OR_SLUG =
	'SELECT id FROM campaigns WHERE id = $1 UNION ALL SELECT id FROM campaigns WHERE slug = $1 LIMIT 1';

function isTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

function notFound(idOrSlug: string): HubError {
	return new HubError('campaign_not_found', `No campaign with id or slug "${idOrSlug}".`);
}

/**
 * The campaign id behind an id (`cmp_…`) or a slug: every field that names a campaign takes
 * either, and this is the one place a slug turns into the id the ledger stores.
 */
export async function campaignIdOf(executor: SqlExecutor, idOrSlug: string): Promise<string> {
	const row = await executor.get<{ id: string }>(ID_BY_ID_OR_SLUG, [idOrSlug]);
	if (!row) throw notFound(idOrSlug);
	return row.id;
}

export class Campaigns {
	constructor(
		private readonly store: SqlStore,
		private readonly artists: Artists,
		private readonly clock: () => number,
	) {}

	/**
	 * Creates the campaign or, for a known slug, updates it in place (its id never changes).
	 * Its artist is named by id or by name; a name alone finds or makes that artist.
	 */
	async upsert(input: CampaignInput): Promise<{ campaign: Campaign; created: boolean }> {
		const releaseAt = Date.parse(input.releaseAtUtc);
		if (Number.isNaN(releaseAt)) {
			throw new HubError(
				'validation_failed',
				`"${input.releaseAtUtc}" is not a date and time; use ISO 8601, e.g. 2026-12-04T00:00:00Z.`,
			);
		}
		if (input.timezone && !isTimeZone(input.timezone)) {
			throw new HubError(
				'validation_failed',
				`"${input.timezone}" is not a time zone; use an IANA name such as Europe/Berlin.`,
			);
		}
		if (input.artworkUrl && !/^https:\/\//.test(input.artworkUrl)) {
			throw new HubError(
				'validation_failed',
				`artworkUrl must be an https:// address; "${input.artworkUrl}" is not.`,
			);
		}
		const layers = input.layers ?? [...LAYERS];
		const now = this.clock();
		const values = (artist: Artist) => [
			// The name column stays filled for older readers; the artist's name is read from artists.
			artist.name,
			input.title,
			releaseAt,
			input.timezone ?? null,
			input.localMidnight ? 1 : 0,
			input.upc ?? null,
			JSON.stringify(input.isrcs ?? []),
			JSON.stringify(input.platforms ?? {}),
			JSON.stringify(layers),
			JSON.stringify(input.consentWordings ?? {}),
			input.artworkUrl ?? null,
			input.locale ?? DEFAULT_CAMPAIGN_LOCALE,
			now,
			artist.id,
		];
		return this.store.transaction(async (tx) => {
			const artist = await this.artists.resolve(input, tx);
			const existing = await tx.get<{ id: string; artist_id: string }>(
				'SELECT id, artist_id FROM campaigns WHERE slug = $1',
				[input.slug],
			);
			if (existing) {
				await tx.run(
					`UPDATE campaigns SET artist = $2, title = $3, release_at_utc = $4, timezone = $5, local_midnight = $6,
						upc = $7, isrcs = $8, platforms = $9, layers = $10, consent_wordings = $11, artwork_url = $12,
						locale = $13, updated_at = $14, artist_id = $15
					 WHERE id = $1`,
					[existing.id, ...values(artist)],
				);
				if (existing.artist_id !== artist.id) await markCampaignFansStale(tx, existing.id);
			} else {
				await tx.run(
					`INSERT INTO campaigns (id, slug, artist, title, release_at_utc, timezone, local_midnight, upc, isrcs,
						platforms, layers, consent_wordings, artwork_url, locale, updated_at, artist_id, created_at)
					 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $15)`,
					[newId('cmp', now), input.slug, ...values(artist)],
				);
			}
			const row = (await tx.get<CampaignRow>(`${CAMPAIGN_SELECT} WHERE c.slug = $1`, [
				input.slug,
			])) as CampaignRow;
			return { campaign: toCampaign(row), created: !existing };
		});
	}

	/** By id (`cmp_…`) or by slug. */
	idOf(idOrSlug: string): Promise<string> {
		return campaignIdOf(this.store, idOrSlug);
	}

	/** By id (`cmp_…`) or by slug. */
	async get(idOrSlug: string): Promise<Campaign> {
		const row = await this.store.get<CampaignRow>(
			`${CAMPAIGN_SELECT} WHERE c.id = (${ID_BY_ID_OR_SLUG})`,
			[idOrSlug],
		);
		if (!row) throw notFound(idOrSlug);
		return toCampaign(row);
	}
}
