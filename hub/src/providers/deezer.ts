import {
	PlatformError,
	type PlatformGrant,
	type PlatformRelease,
	type PlatformLibrary,
	type StreamingPlatform,
} from '../core/streaming/platform';
import { rateLimited, sendToPlatform } from './platform-http';

export interface DeezerConfig {
	/** The existing Deezer app's id and secret (new registrations are closed); the OAuth exchange uses them. */
	appId: string;
	secret: string;
	/** Default https://api.deezer.com */
	apiUrl?: string;
	/** Deezer allows about 50 requests per 5 seconds: default 10. */
	requestsPerSecond?: number;
}

/** The perms to ask for: library writes, and a token that does not expire. */
export const DEEZER_PERMS = ['basic_access', 'manage_library', 'offline_access'] as const;

/** Deezer's quota window is 5 seconds and it says no more than that. */
export const DEEZER_QUOTA_RETRY_AFTER_MS = 5_000;
const QUOTA_EXCEEDED = 4;
const INVALID_TOKEN = 300;
const NO_DATA = 800;
const SERVICE_BUSY = 700;

/** Deezer spends its quota in a 200 whose body is `{error: {code: 4}}`, not in a 429. */
export function isDeezerQuotaExceeded(body: unknown): boolean {
	return (body as { error?: { code?: unknown } } | null)?.error?.code === QUOTA_EXCEEDED;
}
const LIBRARY_PAGE_SIZE = 100;

type Collection = 'albums' | 'tracks' | 'artists';

/**
 * Deezer's API. Tokens with `offline_access` do not expire, so there is no `refresh`.
 * Deezer answers most errors with HTTP 200 and `{ error: { type, message, code } }`: code 4
 * is its quota (rate_limited), an OAuthException (code 300 invalid token, 200 missing
 * permission) means the fan's authorization no longer covers the call (reconsent).
 */
export class DeezerPlatform implements StreamingPlatform, PlatformLibrary {
	/** Library saves are this adapter's own methods. */
	readonly library: PlatformLibrary = this;

	readonly name = 'deezer' as const;
	readonly requestsPerSecond: number;
	private readonly apiUrl: string;

	constructor(config: DeezerConfig) {
		this.apiUrl = (config.apiUrl ?? 'https://api.deezer.com').replace(/\/$/, '');
		this.requestsPerSecond = config.requestsPerSecond ?? 10;
	}

	async findRelease(lookup: {
		upc: string | null;
		isrcs: string[];
	}): Promise<PlatformRelease | undefined> {
		let albumId: string | null = null;
		if (lookup.upc) {
			const album = await this.lookup(`/album/upc:${encodeURIComponent(lookup.upc)}`);
			albumId = album?.id !== undefined ? String(album.id) : null;
		}
		const trackIds: string[] = [];
		for (const isrc of lookup.isrcs) {
			const track = await this.lookup(`/track/isrc:${encodeURIComponent(isrc)}`);
			const id = track?.id !== undefined ? String(track.id) : undefined;
			if (id && !trackIds.includes(id)) trackIds.push(id);
		}
		if (albumId === null && trackIds.length === 0) return undefined;
		return { albumId, trackIds };
	}

	async saveRelease(grant: PlatformGrant, release: PlatformRelease): Promise<void> {
		const { collection, ids } = libraryIds(release);
		for (const id of ids) await this.add(grant, collection, id);
	}

	async isSaved(grant: PlatformGrant, release: PlatformRelease): Promise<boolean> {
		const { collection, ids } = libraryIds(release);
		const saved = new Set<string>();
		let index = 0;
		for (;;) {
			const page = (await this.call(grant, 'GET', `/user/me/${collection}`, {
				index: String(index),
				limit: String(LIBRARY_PAGE_SIZE),
			})) as {
				data?: Array<{ id?: number | string }>;
				next?: string;
			};
			const items = page.data ?? [];
			for (const item of items) if (item.id !== undefined) saved.add(String(item.id));
			if (ids.every((id) => saved.has(id))) return true;
			if (!page.next || items.length === 0) return false;
			index += items.length;
		}
	}

	async followArtist(grant: PlatformGrant, artistId: string): Promise<void> {
		await this.add(grant, 'artists', artistId);
	}

	// ---- wire ----

	private async add(grant: PlatformGrant, collection: Collection, id: string): Promise<void> {
		const param = { albums: 'album_id', tracks: 'track_id', artists: 'artist_id' }[collection];
		const answer = await this.call(grant, 'POST', `/user/me/${collection}`, { [param]: id });
		if (answer !== true)
			throw new PlatformError(
				'deezer',
				'permanent',
				`Deezer did not confirm adding ${collection} ${id} (answered ${JSON.stringify(answer)?.slice(0, 100)}).`,
			);
	}

	/** A public catalog lookup; Deezer's "no data" means the platform does not show it (yet). */
	private async lookup(path: string): Promise<{ id?: number | string } | undefined> {
		return (await this.call(undefined, 'GET', path, {}, { noDataIsAbsent: true })) as
			{ id?: number | string } | undefined;
	}

	private async call(
		grant: PlatformGrant | undefined,
		method: 'GET' | 'POST',
		path: string,
		query: Record<string, string>,
		options: { noDataIsAbsent?: boolean } = {},
	): Promise<unknown> {
		// The access token rides in the query; the provider client keeps it out of errors and logs.
		const response = await sendToPlatform('deezer', {
			method,
			url: `${this.apiUrl}${path}`,
			query: grant ? { ...query, access_token: grant.accessToken } : query,
		});
		const action = `${method} ${path}`;
		if (response.status === 429)
			throw rateLimited(
				'deezer',
				response,
				`Deezer is rate limiting the app (${action}, HTTP 429).`,
			);
		if (response.status >= 500)
			throw new PlatformError(
				'deezer',
				'transient',
				`Deezer failed ${action} (HTTP ${response.status}).`,
			);
		const body = response.body;
		if (typeof body === 'string' || body === undefined) {
			throw new PlatformError(
				'deezer',
				response.ok ? 'transient' : 'permanent',
				`Deezer answered ${action} with something other than JSON (HTTP ${response.status}).`,
			);
		}
		const error = (body as { error?: { type?: string; message?: string; code?: number } } | null)
			?.error;
		if (!error && response.ok) return body;
		if (error?.code === NO_DATA && options.noDataIsAbsent) return undefined;
		const detail = error
			? `${error.type ?? 'error'}: ${error.message ?? 'no detail'}, code ${error.code ?? '?'}`
			: `HTTP ${response.status}`;
		if (isDeezerQuotaExceeded(body)) {
			throw new PlatformError(
				'deezer',
				'rate_limited',
				`Deezer’s quota (about 50 requests per 5 s) is spent (${action}, ${detail}).`,
				DEEZER_QUOTA_RETRY_AFTER_MS,
			);
		}
		if (error?.type === 'OAuthException' || error?.code === INVALID_TOKEN) {
			throw new PlatformError(
				'deezer',
				'reconsent',
				`Deezer refused the fan’s authorization for ${action} (${detail}): it was revoked or lacks the ${DEEZER_PERMS.join(',')} perms; the fan needs a new consent.`,
			);
		}
		if (error?.code === SERVICE_BUSY)
			throw new PlatformError('deezer', 'transient', `Deezer is busy (${action}, ${detail}).`);
		throw new PlatformError('deezer', 'permanent', `Deezer refused ${action} (${detail}).`);
	}
}

function libraryIds(release: PlatformRelease): { collection: Collection; ids: string[] } {
	if (release.albumId) return { collection: 'albums', ids: [release.albumId] };
	if (release.trackIds.length > 0) return { collection: 'tracks', ids: release.trackIds };
	throw new PlatformError(
		'deezer',
		'permanent',
		'The release has neither a Deezer album nor tracks to save.',
	);
}
