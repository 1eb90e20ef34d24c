import { HubError } from './errors';
import { newId } from './ids';
import { iso } from './model';
import type { SqlExecutor, SqlStore } from '../store/sql-store';

/** The unit that persists across releases: campaigns belong to it, fans see its name as the sender. */
export interface Artist {
	id: string;
	name: string;
	createdAt: string;
	updatedAt: string;
}

/** How a campaign names its artist: by id, or by name (found, or made on first use). */
export interface ArtistReference {
	artistId?: string | null;
	artist?: string | null;
}

interface ArtistRow {
	id: string;
	name: string;
	created_at: number;
	updated_at: number;
}

function toArtist(row: ArtistRow): Artist {
	return {
		id: row.id,
		name: row.name,
		createdAt: iso(row.created_at),
		updatedAt: iso(row.updated_at),
	};
}

function cleanName(name: string): string {
	const trimmed = name.trim();
	if (!trimmed)
		throw new HubError(
			'validation_failed',
			'An artist needs a name: it is the sender fans see in texts and emails.',
		);
	return trimmed;
}

export class Artists {
	constructor(
		private readonly store: SqlStore,
		private readonly clock: () => number,
	) {}

	/** The artist with this name, made when there is none yet; a repeat changes nothing. */
	async ensure(
		name: string,
		tx: SqlExecutor = this.store,
	): Promise<{ artist: Artist; created: boolean }> {
		const wanted = cleanName(name);
		const now = this.clock();
		// ON CONFLICT: two campaigns naming a new artist at once make one artist, on either database.
		const { changes } = await tx.run(
			'INSERT INTO artists (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING',
			[newId('art', now), wanted, now],
		);
		const row = (await tx.get<ArtistRow>('SELECT * FROM artists WHERE name = $1', [
			wanted,
		])) as ArtistRow;
		return { artist: toArtist(row), created: changes > 0 };
	}

	async get(artistId: string, tx: SqlExecutor = this.store): Promise<Artist> {
		const row = await tx.get<ArtistRow>('SELECT * FROM artists WHERE id = $1', [artistId]);
		if (!row) throw new HubError('artist_not_found', `No artist with id "${artistId}".`);
		return toArtist(row);
	}

	/** Renames the artist: every campaign of theirs, and every message sent from now on, carries the new name. */
	async update(artistId: string, input: { name: string }): Promise<Artist> {
		const name = cleanName(input.name);
		return this.store.transaction(async (tx) => {
			const artist = await this.get(artistId, tx);
			const holder = await tx.get<{ id: string }>('SELECT id FROM artists WHERE name = $1', [name]);
			if (holder && holder.id !== artist.id) {
				throw new HubError(
					'artist_name_taken',
					`Another artist (${holder.id}) is already called "${name}".`,
				);
			}
			await tx.run('UPDATE artists SET name = $2, updated_at = $3 WHERE id = $1', [
				artist.id,
				name,
				this.clock(),
			]);
			return this.get(artist.id, tx);
		});
	}

	/** Artists in the order they were made, page by page. */
	async list(query: {
		limit: number;
		cursor?: string;
	}): Promise<{ artists: Artist[]; nextCursor: string | null }> {
		const rows = await this.store.all<ArtistRow>(
			'SELECT * FROM artists WHERE id > $1 ORDER BY id LIMIT $2',
			[query.cursor ?? '', query.limit + 1],
		);
		const page = rows.slice(0, query.limit);
		return {
			artists: page.map(toArtist),
			nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
		};
	}

	/** The artist a campaign names: its id wins; a name alone finds or makes the artist (the default for older callers). */
	async resolve(reference: ArtistReference, tx: SqlExecutor = this.store): Promise<Artist> {
		if (reference.artistId) return this.get(reference.artistId, tx);
		if (reference.artist) return (await this.ensure(reference.artist, tx)).artist;
		throw new HubError(
			'validation_failed',
			"Give the campaign's artist: artistId (art_…) or the artist's name.",
		);
	}

	/** The name fans see as the sender of what belongs to this campaign; undefined without a campaign. */
	async senderOfCampaign(
		campaignId: string | null | undefined,
		tx: SqlExecutor = this.store,
	): Promise<string | undefined> {
		if (!campaignId) return undefined;
		const row = await tx.get<{ name: string }>(
			'SELECT a.name FROM campaigns c JOIN artists a ON a.id = c.artist_id WHERE c.id = $1',
			[campaignId],
		);
		return row?.name;
	}
}
