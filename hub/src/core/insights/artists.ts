import { HubError } from '../errors';
import type { SqlStore } from '../../store/sql-store';

export interface CampaignRef {
	id: string;
	slug: string;
	title: string;
	artist: string;
	releaseAtMs: number;
}

export interface ArtistCampaigns {
	id: string;
	name: string;
	/** Oldest release first: "the next release" is the next one in this list. */
	campaigns: CampaignRef[];
}

const CAMPAIGN_COLUMNS = 'id, slug, title, artist, release_at_utc AS "releaseAtMs"';

/**
 * An artist's id and their campaigns. The one place that says what an artist is:
 * today the campaigns sharing an `artist` name, with that name as the id. When
 * campaigns point at an artists table, only these two functions change.
 */
export async function artistCampaigns(store: SqlStore, artistId: string): Promise<ArtistCampaigns> {
	const rows = await store.all<CampaignRef>(
		`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE artist = $1 ORDER BY release_at_utc, id`,
		[artistId],
	);
	if (rows.length === 0)
		throw new HubError('not_found', `No artist "${artistId}" has a campaign in this hub.`);
	return { id: artistId, name: rows[0].artist, campaigns: rows.map(numeric) };
}

export function artistIdOf(campaign: CampaignRef): string {
	return campaign.artist;
}

export async function campaignRef(store: SqlStore, slugOrId: string): Promise<CampaignRef> {
	const row = await store.get<CampaignRef>(
		`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE slug = $1 OR id = $1`,
		[slugOrId],
	);
	if (!row) throw new HubError('campaign_not_found', `No campaign with slug or id "${slugOrId}".`);
	return numeric(row);
}

export async function allCampaigns(store: SqlStore): Promise<CampaignRef[]> {
	const rows = await store.all<CampaignRef>(
		`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns ORDER BY release_at_utc DESC, id`,
	);
	return rows.map(numeric);
}

function numeric(row: CampaignRef): CampaignRef {
	return { ...row, releaseAtMs: Number(row.releaseAtMs) };
}
