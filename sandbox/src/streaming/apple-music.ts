import {
	createHash,
	createPrivateKey,
	createPublicKey,
	generateKeyPairSync,
	randomInt,
	randomUUID,
	sign,
	verify,
	type KeyObject,
} from 'node:crypto';
import type { SandboxClock } from '../core/clock';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import { SIX_MONTHS_MS, bearerToken, commaList, randomToken } from './support';
import { handleMusicKit } from './musickit';

/** Apple's library listings page 25 items by default and 100 at most. */
const LIBRARY_DEFAULT_LIMIT = 25;
const LIBRARY_MAX_LIMIT = 100;

export interface AppleMusicStandInOptions {
	teamId: string;
	keyId: string;
	/** The public half of the MusicKit `.p8` key (SPKI PEM). */
	publicKeyPem: string;
	clock: SandboxClock;
	/** How long a Music User Token lives; Apple says about six months, and it cannot be refreshed. */
	userTokenLifetimeMs?: number;
}

export interface AppleMusicRelease {
	albumId: string;
	upc: string;
	songIds: string[];
	/** Parallel to `songIds`. */
	isrcs: string[];
	visibleFromMs?: number;
	name?: string;
	artistName?: string;
	releaseDate?: string;
}

export interface MusicKitKey {
	privateKeyPem: string;
	publicKeyPem: string;
	keyId: string;
}

/** Apple caps a developer token's lifetime at 15,777,000 seconds (six months). */
export const APPLE_MAX_DEVELOPER_TOKEN_SECONDS = 15_777_000;

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LIBRARY_TYPES = new Set(['albums', 'songs', 'playlists', 'music-videos']);

/** An EC P-256 key pair shaped like a MusicKit key download: PKCS#8 private, SPKI public, 10-character key id. */
export function generateMusicKitKey(): MusicKitKey {
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	let keyId = '';
	for (let index = 0; index < 10; index += 1) {
		keyId += KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)];
	}
	return {
		privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		keyId,
	};
}

function base64UrlJson(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Signs a developer token the way Apple documents it. Test-side help for the sandbox; the hub
 * signs its own tokens, so this is not the hub's implementation.
 */
export function signDeveloperToken(options: {
	privateKeyPem: string;
	keyId: string;
	teamId: string;
	issuedAtMs: number;
	expiresAtMs: number;
}): string {
	const header = base64UrlJson({ alg: 'ES256', kid: options.keyId });
	const payload = base64UrlJson({
		iss: options.teamId,
		iat: Math.floor(options.issuedAtMs / 1000),
		exp: Math.floor(options.expiresAtMs / 1000),
	});
	const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
		key: createPrivateKey(options.privateKeyPem),
		dsaEncoding: 'ieee-p1363',
	});
	return `${header}.${payload}.${signature.toString('base64url')}`;
}

interface UserToken {
	userId: string;
	expiresAtMs: number;
	revoked: boolean;
}

function appleError(status: number, title: string, detail: string, code: string): StandInResponse {
	return {
		status,
		body: {
			errors: [{ id: randomUUID().toUpperCase(), title, detail, status: String(status), code }],
		},
	};
}

const unauthorized = (): StandInResponse =>
	appleError(401, 'Unauthorized', 'Invalid authentication', '40100');
const forbidden = (): StandInResponse =>
	appleError(403, 'Forbidden', 'Invalid authentication', '40300');

function parseJsonPart(part: string): Record<string, unknown> | undefined {
	try {
		const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
		return typeof value === 'object' && value !== null
			? (value as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

/** Apple Music API (`api.music.apple.com`) with ES256 developer tokens and Music User Tokens. */
export class AppleMusicStandIn {
	readonly server: HttpStandIn;
	private readonly clock: SandboxClock;
	private readonly publicKey: KeyObject;
	private readonly userTokenLifetimeMs: number;
	private readonly userTokens = new Map<string, UserToken>();
	private readonly libraries = new Map<string, { albums: Set<string>; songs: Set<string> }>();
	private readonly releases: Required<AppleMusicRelease>[] = [];
	private musicKitUsers = 0;

	constructor(private readonly options: AppleMusicStandInOptions) {
		this.clock = options.clock;
		this.publicKey = createPublicKey(options.publicKeyPem);
		this.userTokenLifetimeMs = options.userTokenLifetimeMs ?? SIX_MONTHS_MS;
		this.server = new HttpStandIn('apple-music', (request) => this.handle(request), this.clock);
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	get url(): string {
		return this.server.url;
	}

	// ---- test side ----

	addRelease(release: AppleMusicRelease): void {
		this.releases.push({
			visibleFromMs: 0,
			name: 'Sandbox Release',
			artistName: 'Sandbox Artist',
			releaseDate: new Date(release.visibleFromMs ?? this.clock.now()).toISOString().slice(0, 10),
			...release,
		});
	}

	/** What MusicKit JS `authorize()` hands the page after the fan signs in. */
	issueMusicUserToken(userId: string): string {
		const token = randomToken('Am', 96);
		this.userTokens.set(token, {
			userId,
			expiresAtMs: this.clock.now() + this.userTokenLifetimeMs,
			revoked: false,
		});
		return token;
	}

	revokeUserToken(token: string): void {
		const entry = this.userTokens.get(token);
		if (entry) entry.revoked = true;
	}

	library(userId: string): { albums: string[]; songs: string[] } {
		const library = this.libraries.get(userId);
		return { albums: [...(library?.albums ?? [])], songs: [...(library?.songs ?? [])] };
	}

	/** What a fan already had in their library before the campaign (any catalog ids). */
	seedLibrary(userId: string, items: { albums?: string[]; songs?: string[] }): void {
		const library = this.libraryOf(userId);
		for (const id of items.albums ?? []) library.albums.add(id);
		for (const id of items.songs ?? []) library.songs.add(id);
	}

	// ---- wire ----

	/** Checks the developer token: ES256 over header.payload with the registered key, right kid and iss, live and at most six months long. */
	developerTokenValid(token: string | undefined): boolean {
		if (token === undefined) return false;
		const parts = token.split('.');
		if (parts.length !== 3) return false;
		const header = parseJsonPart(parts[0]);
		const payload = parseJsonPart(parts[1]);
		if (!header || !payload) return false;
		if (header.alg !== 'ES256' || header.kid !== this.options.keyId) return false;
		if (payload.iss !== this.options.teamId) return false;
		const { iat, exp } = payload;
		if (typeof iat !== 'number' || typeof exp !== 'number') return false;
		const nowSeconds = this.clock.now() / 1000;
		if (exp <= nowSeconds || exp <= iat || exp - iat > APPLE_MAX_DEVELOPER_TOKEN_SECONDS)
			return false;
		// A minute of leeway for clocks that run slightly ahead of ours.
		if (iat > nowSeconds + 60) return false;
		return verify(
			'sha256',
			Buffer.from(`${parts[0]}.${parts[1]}`),
			{ key: this.publicKey, dsaEncoding: 'ieee-p1363' },
			Buffer.from(parts[2], 'base64url'),
		);
	}

	private userFor(request: StandInRequest): string | undefined {
		const header = request.headers['music-user-token'];
		const token = Array.isArray(header) ? header[0] : header;
		const entry = token === undefined ? undefined : this.userTokens.get(token);
		if (!entry || entry.revoked || entry.expiresAtMs <= this.clock.now()) return undefined;
		return entry.userId;
	}

	private handle(request: StandInRequest): StandInResponse {
		// MusicKit JS and its sign-in window are Apple's too, and carry their developer token their own way.
		const musicKit = handleMusicKit(
			request,
			this,
			() => `sandbox-apple-fan-${++this.musicKitUsers}`,
		);
		if (musicKit) return musicKit;
		if (!this.developerTokenValid(bearerToken(request))) return unauthorized();
		const { method, path, query } = request;
		const catalog = /^\/v1\/catalog\/([a-z]{2})\/(albums|songs)(?:\/([^/]+))?$/.exec(path);
		if (catalog && method === 'GET')
			return this.catalog(catalog[1], catalog[2] as 'albums' | 'songs', catalog[3], query);
		if (path.startsWith('/v1/me/')) {
			const userId = this.userFor(request);
			if (userId === undefined) return forbidden();
			if (path === '/v1/me/library' && method === 'POST') return this.addToLibrary(userId, query);
			const listing = /^\/v1\/me\/library\/(albums|songs)$/.exec(path);
			if (listing && method === 'GET')
				return this.listLibrary(userId, listing[1] as 'albums' | 'songs', query);
		}
		return appleError(404, 'Resource Not Found', 'Resource Not Found', '40400');
	}

	private visibleReleases(): Required<AppleMusicRelease>[] {
		const nowMs = this.clock.now();
		return this.releases.filter((release) => release.visibleFromMs <= nowMs);
	}

	private albumResource(
		storefront: string,
		release: Required<AppleMusicRelease>,
	): Record<string, unknown> {
		return {
			id: release.albumId,
			type: 'albums',
			href: `/v1/catalog/${storefront}/albums/${release.albumId}`,
			attributes: {
				name: release.name,
				artistName: release.artistName,
				upc: release.upc,
				releaseDate: release.releaseDate,
				trackCount: release.songIds.length,
				isSingle: release.songIds.length === 1,
				url: `https://music.apple.com/${storefront}/album/${release.albumId}`,
				playParams: { id: release.albumId, kind: 'album' },
			},
		};
	}

	private songResource(
		storefront: string,
		release: Required<AppleMusicRelease>,
		index: number,
	): Record<string, unknown> {
		const id = release.songIds[index];
		return {
			id,
			type: 'songs',
			href: `/v1/catalog/${storefront}/songs/${id}`,
			attributes: {
				name: release.name,
				artistName: release.artistName,
				albumName: release.name,
				isrc: release.isrcs[index],
				releaseDate: release.releaseDate,
				trackNumber: index + 1,
				url: `https://music.apple.com/${storefront}/song/${id}`,
				playParams: { id, kind: 'song' },
			},
		};
	}

	private catalog(
		storefront: string,
		kind: 'albums' | 'songs',
		id: string | undefined,
		query: URLSearchParams,
	): StandInResponse {
		const releases = this.visibleReleases();
		if (kind === 'albums') {
			let matches: Required<AppleMusicRelease>[];
			if (id !== undefined) matches = releases.filter((release) => release.albumId === id);
			else if (query.has('filter[upc]')) {
				const upcs = commaList(query.get('filter[upc]'));
				matches = releases.filter((release) => upcs.includes(release.upc));
			} else if (query.has('ids')) {
				const ids = commaList(query.get('ids'));
				matches = releases.filter((release) => ids.includes(release.albumId));
			} else {
				return appleError(
					400,
					'Parameter Missing',
					'One of ids or filter[upc] is required',
					'40003',
				);
			}
			if (id !== undefined && matches.length === 0)
				return appleError(
					404,
					'Resource Not Found',
					'Resource with requested id was not found',
					'40400',
				);
			return {
				status: 200,
				body: { data: matches.map((release) => this.albumResource(storefront, release)) },
			};
		}
		const songs = releases.flatMap((release) =>
			release.songIds.map((_, index) => ({ release, index })),
		);
		let matches: typeof songs;
		if (id !== undefined)
			matches = songs.filter(({ release, index }) => release.songIds[index] === id);
		else if (query.has('filter[isrc]')) {
			const isrcs = commaList(query.get('filter[isrc]')).map((isrc) => isrc.toUpperCase());
			matches = songs.filter(({ release, index }) =>
				isrcs.includes(release.isrcs[index].toUpperCase()),
			);
		} else if (query.has('ids')) {
			const ids = commaList(query.get('ids'));
			matches = songs.filter(({ release, index }) => ids.includes(release.songIds[index]));
		} else {
			return appleError(
				400,
				'Parameter Missing',
				'One of ids or filter[isrc] is required',
				'40003',
			);
		}
		if (id !== undefined && matches.length === 0)
			return appleError(
				404,
				'Resource Not Found',
				'Resource with requested id was not found',
				'40400',
			);
		return {
			status: 200,
			body: {
				data: matches.map(({ release, index }) => this.songResource(storefront, release, index)),
			},
		};
	}

	/** `POST /v1/me/library?ids[albums]=…&ids[songs]=…`: 202, no body; ids Apple cannot add are ignored. */
	private addToLibrary(userId: string, query: URLSearchParams): StandInResponse {
		const requested = new Map<string, string[]>();
		for (const [name, value] of query) {
			const match = /^ids\[([a-z-]+)\]$/.exec(name);
			if (!match) continue;
			if (!LIBRARY_TYPES.has(match[1]))
				return appleError(400, 'Invalid Parameter Value', `Unsupported type: ${match[1]}`, '40005');
			requested.set(match[1], [...(requested.get(match[1]) ?? []), ...commaList(value)]);
		}
		if (requested.size === 0)
			return appleError(400, 'Parameter Missing', 'No ids were specified', '40003');
		const library = this.libraryOf(userId);
		const releases = this.visibleReleases();
		for (const albumId of requested.get('albums') ?? []) {
			if (releases.some((release) => release.albumId === albumId)) library.albums.add(albumId);
		}
		for (const songId of requested.get('songs') ?? []) {
			if (releases.some((release) => release.songIds.includes(songId))) library.songs.add(songId);
		}
		return { status: 202 };
	}

	private libraryOf(userId: string): { albums: Set<string>; songs: Set<string> } {
		let library = this.libraries.get(userId);
		if (!library) {
			library = { albums: new Set(), songs: new Set() };
			this.libraries.set(userId, library);
		}
		return library;
	}

	/**
	 * `GET /v1/me/library/{albums|songs}`: pages of Apple's documented library resources. Their
	 * `playParams` carry the library id only; the catalog item a library item stands for is its
	 * `catalog` relationship, which Apple fills in only when asked (`include=catalog`).
	 */
	private listLibrary(
		userId: string,
		kind: 'albums' | 'songs',
		query: URLSearchParams,
	): StandInResponse {
		const limit = Number(query.get('limit') ?? LIBRARY_DEFAULT_LIMIT);
		const offset = Number(query.get('offset') ?? 0);
		if (!Number.isInteger(limit) || limit < 1 || limit > LIBRARY_MAX_LIMIT)
			return appleError(
				400,
				'Invalid Parameter Value',
				`limit must be 1 to ${LIBRARY_MAX_LIMIT}`,
				'40005',
			);
		if (!Number.isInteger(offset) || offset < 0)
			return appleError(400, 'Invalid Parameter Value', 'offset must not be negative', '40005');
		const withCatalog = commaList(query.get('include')).includes('catalog');
		const library = this.libraries.get(userId);
		const catalogIds = [...(kind === 'albums' ? (library?.albums ?? []) : (library?.songs ?? []))];
		const data = catalogIds.slice(offset, offset + limit).map((catalogId) => {
			const libraryId = libraryIdOf(kind, userId, catalogId);
			return {
				id: libraryId,
				type: kind === 'albums' ? 'library-albums' : 'library-songs',
				href: `/v1/me/library/${kind}/${libraryId}`,
				attributes: {
					playParams: {
						id: libraryId,
						kind: kind === 'albums' ? 'album' : 'song',
						isLibrary: true,
					},
				},
				...(withCatalog
					? {
							relationships: {
								catalog: {
									href: `/v1/me/library/${kind}/${libraryId}/catalog`,
									data: [
										{ id: catalogId, type: kind, href: `/v1/catalog/us/${kind}/${catalogId}` },
									],
								},
							},
						}
					: {}),
			};
		});
		const nextOffset = offset + limit;
		const next =
			nextOffset < catalogIds.length
				? `/v1/me/library/${kind}?${new URLSearchParams({
						...Object.fromEntries(query),
						offset: String(nextOffset),
					})}`
				: undefined;
		return {
			status: 200,
			body: { data, ...(next ? { next } : {}), meta: { total: catalogIds.length } },
		};
	}
}

/** Apple's library ids are opaque and say nothing of the catalog id (`l.` albums, `i.` songs). */
function libraryIdOf(kind: 'albums' | 'songs', userId: string, catalogId: string): string {
	const digest = createHash('sha256').update(`${userId}:${catalogId}`).digest('base64url');
	return `${kind === 'albums' ? 'l' : 'i'}.${digest.slice(0, 14)}`;
}
