import { HubError } from '../errors';
import type { SqlStore } from '../../store/sql-store';

export interface CampaignRef {
	id: string;
	slug: string;
	title: string;
	artist: string;
	artistId: string;
	releaseAtMs: number;
}

export interface ArtistCampaigns {
	id: string;
	name: string;
	/** Oldest release first: "the next release" is the next one in this list. */
	campaigns: CampaignRef[];
}

const CAMPAIGN_COLUMNS =
	'id, slug, title, artist, artist_id AS "artistId", release_at_utc AS "releaseAtMs"';

/** An artist (by id, or by name as the campaigns carry it) and their campaigns. */
export async function artistCampaigns(store: SqlStore, artistId: string): Promise<ArtistCampaigns> {
	const rows = await store.all<CampaignRef>(
		`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns
		 WHERE artist_id = (SELECT id FROM artists WHERE id = $1 OR name = $1)
		 ORDER BY release_at_utc, id`,
		[artistId],
	);
	if (rows.length === 0)
		throw new HubError('not_found', `No artist "${artistId}" has a campaign in this hub.`);
	return { id: rows[0].artistId, name: rows[0].artist, campaigns: rows.map(numeric) };
}

export function artistIdOf(campaign: CampaignRef): string {
	return campaign.artistId;
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
