import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import {
	PlatformError,
	type PlatformGrant,
	type PlatformRelease,
	type PlatformLibrary,
	type StreamingPlatform,
} from '../core/streaming/platform';
import { rateLimited, sendToPlatform } from './platform-http';

export interface AppleMusicConfig {
	/** The Apple Developer team id: the developer token's `iss`. */
	teamId: string;
	/** The MusicKit key's 10-character id: the developer token's `kid`. */
	keyId: string;
	/** The MusicKit `.p8` key file's text (PKCS#8 PEM, EC P-256). */
	privateKeyPem: string;
	/** Default https://api.music.apple.com */
	apiUrl?: string;
	/** The catalog storefront releases are looked up in; default 'us'. */
	storefront?: string;
	/** Apple publishes no budget; default 10. */
	requestsPerSecond?: number;
	/** How long each developer token lives; default 12 hours, at most Apple's 15,777,000 s (six months). */
	developerTokenLifetimeSeconds?: number;
	/** Epoch ms; the sandbox injects its movable clock. */
	clock?: () => number;
}

/** Apple caps a developer token's lifetime at 15,777,000 seconds (six months). */
export const APPLE_MAX_DEVELOPER_TOKEN_SECONDS = 15_777_000;
const DEFAULT_DEVELOPER_TOKEN_SECONDS = 12 * 3600;
/** Sign a new developer token this long before the current one expires. */
const RESIGN_MARGIN_MS = 10 * 60_000;
const LIBRARY_PAGE_SIZE = 100;

/**
 * Apple Music API. The adapter signs its own ES256 developer token from the MusicKit key;
 * `grant.accessToken` is the fan's Music User Token, which cannot be refreshed (so there is
 * no `refresh`) and Apple has no follow-artist API (so no `followArtist`).
 *
 * Apple answers 401 when the developer token is refused (the app's key, team or clock: a
 * configuration error, 'permanent') and 403 when the Music User Token is (the fan's
 * authorization is gone: 'reconsent').
 */
export class AppleMusicPlatform implements StreamingPlatform, PlatformLibrary {
	/** Library saves are this adapter's own methods. */
	readonly library: PlatformLibrary = this;

	readonly name = 'apple_music' as const;
	readonly requestsPerSecond: number;
	private readonly apiUrl: string;
	private readonly storefront: string;
	private readonly clock: () => number;
	private readonly key: KeyObject;
	private readonly lifetimeSeconds: number;
	private developer: { token: string; expiresAtMs: number } | undefined;

	constructor(private readonly config: AppleMusicConfig) {
		this.apiUrl = (config.apiUrl ?? 'https://api.music.apple.com').replace(/\/$/, '');
		this.storefront = config.storefront ?? 'us';
		this.requestsPerSecond = config.requestsPerSecond ?? 10;
		this.clock = config.clock ?? Date.now;
		this.lifetimeSeconds = Math.min(
			config.developerTokenLifetimeSeconds ?? DEFAULT_DEVELOPER_TOKEN_SECONDS,
			APPLE_MAX_DEVELOPER_TOKEN_SECONDS,
		);
		this.key = musicKitKey(config.privateKeyPem);
	}

	/** The current developer token (also what MusicKit JS needs on the fan's page), signed anew shortly before it expires. */
	developerToken(): string {
		const nowMs = this.clock();
		if (this.developer && this.developer.expiresAtMs - RESIGN_MARGIN_MS > nowMs)
			return this.developer.token;
		const issuedAtSeconds = Math.floor(nowMs / 1000);
		const expiresAtSeconds = issuedAtSeconds + this.lifetimeSeconds;
		const header = base64UrlJson({ alg: 'ES256', kid: this.config.keyId });
		const payload = base64UrlJson({
			iss: this.config.teamId,
			iat: issuedAtSeconds,
			exp: expiresAtSeconds,
		});
		// JWS wants the raw r‖s pair, not DER.
		const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
			key: this.key,
			dsaEncoding: 'ieee-p1363',
		});
		const token = `${header}.${payload}.${signature.toString('base64url')}`;
		this.developer = { token, expiresAtMs: expiresAtSeconds * 1000 };
		return token;
	}

	async findRelease(lookup: {
		upc: string | null;
		isrcs: string[];
	}): Promise<PlatformRelease | undefined> {
		const catalog = `/v1/catalog/${encodeURIComponent(this.storefront)}`;
		let albumId: string | null = null;
		if (lookup.upc) {
			const albums = (await this.call(undefined, 'GET', `${catalog}/albums`, {
				'filter[upc]': lookup.upc,
			})) as Resources;
			albumId = albums.data?.[0]?.id ?? null;
		}
		const trackIds: string[] = [];
		if (lookup.isrcs.length > 0) {
			const songs = (await this.call(undefined, 'GET', `${catalog}/songs`, {
				'filter[isrc]': lookup.isrcs.join(','),
			})) as Resources;
			// One ISRC can sit on several albums (compilations): keep the first song for each.
			for (const isrc of lookup.isrcs) {
				const song = songs.data?.find(
					(candidate) => candidate.attributes?.isrc?.toUpperCase() === isrc.toUpperCase(),
				);
				if (song && !trackIds.includes(song.id)) trackIds.push(song.id);
			}
		}
		if (albumId === null && trackIds.length === 0) return undefined;
		return { albumId, trackIds };
	}

	async saveRelease(grant: PlatformGrant, release: PlatformRelease): Promise<void> {
		const { kind, ids } = libraryIds(release);
		// Apple answers 202 and adds what it can; saving twice changes nothing.
		await this.call(grant, 'POST', '/v1/me/library', { [`ids[${kind}]`]: ids.join(',') });
	}

	/**
	 * Reads the fan's library pages and matches each item's `catalog` relationship, asked for
	 * with `include=catalog`: Apple's documented library resources carry only their own library
	 * id, never the catalog id a save was made with.
	 */
	async isSaved(grant: PlatformGrant, release: PlatformRelease): Promise<boolean> {
		const { kind, ids } = libraryIds(release);
		const saved = new Set<string>();
		let next: string | undefined =
			`/v1/me/library/${kind}?${new URLSearchParams({ include: 'catalog', limit: String(LIBRARY_PAGE_SIZE) })}`;
		while (next !== undefined) {
			const [path, search] = next.split('?');
			const page = (await this.call(
				grant,
				'GET',
				path,
				Object.fromEntries(new URLSearchParams(search ?? '')),
			)) as LibraryPage;
			for (const item of page.data ?? [])
				for (const catalogItem of item.relationships?.catalog?.data ?? [])
					saved.add(catalogItem.id);
			if (ids.every((id) => saved.has(id))) return true;
			next = page.next;
		}
		return false;
	}

	// ---- wire ----

	private async call(
		grant: PlatformGrant | undefined,
		method: 'GET' | 'POST',
		path: string,
		query: Record<string, string>,
	): Promise<unknown> {
		const headers: Record<string, string> = { authorization: `Bearer ${this.developerToken()}` };
		if (grant) headers['music-user-token'] = grant.accessToken;
		const response = await sendToPlatform('apple_music', {
			method,
			url: `${this.apiUrl}${path}`,
			query,
			headers,
		});
		if (response.ok) return response.body;
		const detail = `HTTP ${response.status}: ${errorDetail(response.body)}`;
		const action = `${method} ${path}`;
		if (response.status === 401) {
			// Sign afresh next time, in case the token merely went stale against Apple's clock.
			this.developer = undefined;
			throw new PlatformError(
				'apple_music',
				'permanent',
				`Apple Music refused the developer token (${detail}): check the Apple Music teamId, keyId and the MusicKit .p8 key (the key must be a MusicKit key of that team, not revoked).`,
			);
		}
		if (response.status === 403 && grant) {
			throw new PlatformError(
				'apple_music',
				'reconsent',
				`Apple Music refused the fan’s Music User Token for ${action} (${detail}): it expired (about 6 months) or was revoked; the fan needs to authorize again.`,
			);
		}
		if (response.status === 429)
			throw rateLimited(
				'apple_music',
				response,
				`Apple Music is rate limiting the app (${action}, ${detail}).`,
			);
		if (response.status >= 500)
			throw new PlatformError(
				'apple_music',
				'transient',
				`Apple Music failed ${action} (${detail}).`,
			);
		throw new PlatformError(
			'apple_music',
			'permanent',
			`Apple Music refused ${action} (${detail}).`,
		);
	}
}

interface Resources {
	data?: Array<{ id: string; attributes?: { isrc?: string } }>;
}

/** A page of library albums or songs with their `catalog` relationship included. */
interface LibraryPage {
	data?: Array<{ id: string; relationships?: { catalog?: { data?: Array<{ id: string }> } } }>;
	next?: string;
}

function musicKitKey(privateKeyPem: string): KeyObject {
	let key: KeyObject;
	try {
		key = createPrivateKey(privateKeyPem);
	} catch {
		throw new Error(
			'Apple Music: privateKeyPem is not a readable private key; paste the whole MusicKit .p8 file, BEGIN/END lines included.',
		);
	}
	if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
		throw new Error(
			'Apple Music: privateKeyPem is not an EC P-256 key; a MusicKit .p8 key is one.',
		);
	}
	return key;
}

function libraryIds(release: PlatformRelease): { kind: 'albums' | 'songs'; ids: string[] } {
	if (release.albumId) return { kind: 'albums', ids: [release.albumId] };
	if (release.trackIds.length > 0) return { kind: 'songs', ids: release.trackIds };
	throw new PlatformError(
		'apple_music',
		'permanent',
		'The release has neither an Apple Music album nor songs to save.',
	);
}

function base64UrlJson(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Apple answers `{ errors: [{ title, detail, code }] }`. */
function errorDetail(body: unknown): string {
	const parsed = body as
		{ errors?: Array<{ title?: string; detail?: string; code?: string }> } | string;
	const first = typeof parsed === 'object' ? parsed?.errors?.[0] : undefined;
	if (first)
		return [first.title, first.detail, first.code && `code ${first.code}`]
			.filter(Boolean)
			.join(', ');
	return typeof parsed === 'string' && parsed ? parsed.slice(0, 200) : 'no detail';
}
