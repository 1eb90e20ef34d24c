import {
	PlatformError,
	type PlatformGrant,
	type PlatformRelease,
	type PlatformLibrary,
	type StreamingPlatform,
} from '../core/streaming/platform';
import type { ProviderResponse } from './http-client';
import { rateLimited, requestOAuthToken, sendToPlatform, type IssuedToken } from './platform-http';

export interface SpotifyConfig {
	clientId: string;
	clientSecret: string;
	/** Default https://accounts.spotify.com */
	accountsUrl?: string;
	/** Default https://api.spotify.com */
	apiUrl?: string;
	/**
	 * The app's quota mode in the Spotify Developer Dashboard; default 'development', what every
	 * new app starts in. It decides which follow calls exist (see `followArtist`).
	 */
	appMode?: SpotifyAppMode;
	/** Spotify publishes no budget, only a rolling 30-second window; default 5. */
	requestsPerSecond?: number;
	/** Epoch ms; the sandbox injects its movable clock. */
	clock?: () => number;
}

export type SpotifyAppMode = 'development' | 'extended_quota';

/**
 * The scope each call needs, as the Web API's published OpenAPI names it (see
 * test/contract/specs/spotify): library writes and reads, the extended-quota follow call,
 * and a playlist saved to the library.
 */
export const SPOTIFY_SCOPES = {
	save: 'user-library-modify',
	/** `isSaved` reads `/v1/me/library/contains`, which needs its own read scope. */
	checkSaved: 'user-library-read',
	followArtist: 'user-follow-modify',
	followPlaylist: 'playlist-modify-public',
} as const;

/**
 * What the consent link asks for: a pre-save campaign saves on release day and checks the
 * save, so always those two; the artist follow only when the fan ticked it (and the app's
 * mode can follow at all); the playlist scope only when the campaign names a playlist to
 * follow. Nothing else: every extra scope is one more line on the fan's consent screen.
 */
export function spotifyConsentScopes(request: {
	follow: boolean;
	followPlaylist?: boolean;
}): string[] {
	const scopes: string[] = [SPOTIFY_SCOPES.save, SPOTIFY_SCOPES.checkSaved];
	if (request.follow) scopes.push(SPOTIFY_SCOPES.followArtist);
	if (request.followPlaylist) scopes.push(SPOTIFY_SCOPES.followPlaylist);
	return scopes;
}

/**
 * Spotify's refusal for a fan a development-mode app has not allowlisted. The wording has
 * changed over the years ("User not registered in the Developer Dashboard"; "Check settings on
 * developer.spotify.com/dashboard, the user may not be registered."; "The user is not
 * registered for this application. …"): all say "not … registered" and name the dashboard.
 */
export function isUnregisteredSpotifyUser(text: string): boolean {
	return /\bnot (?:be )?registered\b/i.test(text) && /dashboard/i.test(text);
}

/** `PUT /v1/me/library` and `/contains` take at most 40 URIs. */
export const SPOTIFY_MAX_LIBRARY_URIS = 40;
/** Take a new app token this long before the old one expires. */
const APP_TOKEN_MARGIN_MS = 60_000;

type Query = Record<string, string>;

/** What the marketer is told when Spotify refuses a fan the app has not allowlisted. */
export const SPOTIFY_UNREGISTERED_ADVICE =
	'Spotify refused: this fan is not on the app’s user list. The Spotify app is in development mode, which serves at most 5 registered users; real campaigns need an extended-quota app (apply in the Spotify Developer Dashboard).';

/**
 * Spotify's Web API as the hub needs it. Library writes go through `PUT /v1/me/library`
 * (the old `/me/tracks` and `/me/albums` answer 403 to development-mode apps since
 * 2026-03-09); release ids are Spotify URIs.
 *
 * Following, per Spotify's "February 2026 Web API Dev Mode Changes – Migration Guide"
 * (https://developer.spotify.com/documentation/web-api/tutorials/february-2026-migration-guide):
 * development-mode apps lost `PUT /me/following` and `PUT /playlists/{id}/followers` to
 * `PUT /me/library`, while extended-quota apps keep every endpoint unchanged. The published
 * spec's `PUT /me/library` takes playlist URIs but not artist URIs, so a playlist is followed
 * through the library in both modes, and an artist only by an extended-quota app through
 * `PUT /me/following`; a development-mode adapter has no `followArtist`, so the hub never
 * offers that follow.
 *
 * A 401 from the Web API reads the same for an expired and a revoked token, so the adapter
 * tells them apart by the grant's own expiry: the core refreshes ahead of `accessExpiresAtMs`,
 * so a token that should still be alive and is refused was revoked ('reconsent'); a token past
 * its expiry is 'transient' (refresh, then retry).
 */
export class SpotifyPlatform implements StreamingPlatform, PlatformLibrary {
	/** Library saves are this adapter's own methods. */
	readonly library: PlatformLibrary = this;

	readonly name = 'spotify' as const;
	readonly requestsPerSecond: number;
	readonly appMode: SpotifyAppMode;
	readonly requiredScopes = {
		save: [SPOTIFY_SCOPES.save],
		checkSaved: [SPOTIFY_SCOPES.checkSaved],
		followArtist: [SPOTIFY_SCOPES.followArtist],
		followPlaylist: [SPOTIFY_SCOPES.followPlaylist],
	};
	/** Present only for extended-quota apps (see the class comment). */
	readonly followArtist?: (grant: PlatformGrant, artistId: string) => Promise<void>;
	private readonly accountsUrl: string;
	private readonly apiUrl: string;
	private readonly clock: () => number;
	private appToken: { accessToken: string; expiresAtMs: number } | undefined;

	constructor(private readonly config: SpotifyConfig) {
		this.accountsUrl = (config.accountsUrl ?? 'https://accounts.spotify.com').replace(/\/$/, '');
		this.apiUrl = (config.apiUrl ?? 'https://api.spotify.com').replace(/\/$/, '');
		this.requestsPerSecond = config.requestsPerSecond ?? 5;
		this.clock = config.clock ?? Date.now;
		this.appMode = config.appMode ?? 'development';
		if (this.appMode === 'extended_quota') {
			this.followArtist = (grant, artistId) => this.followArtistByFollowing(grant, artistId);
		}
	}

	async refresh(grant: PlatformGrant): Promise<PlatformGrant> {
		if (!grant.refreshToken) {
			throw new PlatformError(
				'spotify',
				'reconsent',
				'The fan’s Spotify connection has no refresh token; it needs a new consent.',
			);
		}
		const body = await this.token({
			grant_type: 'refresh_token',
			refresh_token: grant.refreshToken,
		});
		return {
			...grant,
			accessToken: body.accessToken,
			// A confidential client gets no new refresh token and keeps the old one; PKCE ones rotate.
			refreshToken: body.refreshToken ?? grant.refreshToken,
			scopes: body.scopes ?? grant.scopes,
			accessExpiresAtMs: body.accessExpiresAtMs,
			// Refreshing never extends the 6 months that run from the fan's consent.
			refreshExpiresAtMs: grant.refreshExpiresAtMs,
		};
	}

	async findRelease(lookup: {
		upc: string | null;
		isrcs: string[];
	}): Promise<PlatformRelease | undefined> {
		let albumId: string | null = null;
		if (lookup.upc) {
			const found = (await this.appCall('/v1/search', {
				q: `upc:${lookup.upc}`,
				type: 'album',
				limit: '1',
			})) as SearchAnswer;
			albumId = found.albums?.items?.[0]?.uri ?? null;
		}
		// The search answer carries no track list, so the release's tracks come from its ISRCs.
		const trackIds: string[] = [];
		for (const isrc of lookup.isrcs) {
			const found = (await this.appCall('/v1/search', {
				q: `isrc:${isrc}`,
				type: 'track',
				limit: '1',
			})) as SearchAnswer;
			const uri = found.tracks?.items?.[0]?.uri;
			if (uri && !trackIds.includes(uri)) trackIds.push(uri);
		}
		if (albumId === null && trackIds.length === 0) return undefined;
		return { albumId, trackIds };
	}

	async saveRelease(grant: PlatformGrant, release: PlatformRelease): Promise<void> {
		for (const uris of chunks(releaseUris(release), SPOTIFY_MAX_LIBRARY_URIS)) {
			await this.userCall(
				grant,
				'PUT',
				'/v1/me/library',
				{ uris: uris.join(',') },
				SPOTIFY_SCOPES.save,
			);
		}
	}

	async isSaved(grant: PlatformGrant, release: PlatformRelease): Promise<boolean> {
		for (const uris of chunks(releaseUris(release), SPOTIFY_MAX_LIBRARY_URIS)) {
			const answer = await this.userCall(
				grant,
				'GET',
				'/v1/me/library/contains',
				{ uris: uris.join(',') },
				SPOTIFY_SCOPES.checkSaved,
			);
			if (
				!Array.isArray(answer) ||
				answer.length !== uris.length ||
				!answer.every((saved) => saved === true)
			)
				return false;
		}
		return true;
	}

	/** Saves the playlist to the fan's library: what following a playlist is since February 2026. */
	async followPlaylist(grant: PlatformGrant, playlistId: string): Promise<void> {
		const uri = `spotify:playlist:${spotifyId(playlistId, 'playlist')}`;
		await this.userCall(
			grant,
			'PUT',
			'/v1/me/library',
			{ uris: uri },
			SPOTIFY_SCOPES.followPlaylist,
		);
	}

	private async followArtistByFollowing(grant: PlatformGrant, artistId: string): Promise<void> {
		const ids = spotifyId(artistId, 'artist');
		await this.userCall(
			grant,
			'PUT',
			'/v1/me/following',
			{ type: 'artist', ids },
			SPOTIFY_SCOPES.followArtist,
		);
	}

	// ---- wire ----

	/** The accounts service's token endpoint, with the app's credentials in a Basic header. */
	private token(form: Record<string, string>): Promise<IssuedToken> {
		const credentials = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString(
			'base64',
		);
		return requestOAuthToken({
			platform: 'spotify',
			issuer: 'Spotify',
			url: `${this.accountsUrl}/api/token`,
			headers: { authorization: `Basic ${credentials}` },
			form,
			clock: this.clock,
			defaultExpiresInSeconds: 3600,
			invalidGrantReason: 'it was revoked or is past the 6 months after consent',
			credentialsHint: 'the Spotify clientId and clientSecret',
		});
	}

	/** A catalog call with the app's own client-credentials token, cached until shortly before it expires. */
	private async appCall(path: string, query: Query): Promise<unknown> {
		if (!this.appToken || this.appToken.expiresAtMs <= this.clock() + APP_TOKEN_MARGIN_MS) {
			const issued = await this.token({ grant_type: 'client_credentials' });
			this.appToken = { accessToken: issued.accessToken, expiresAtMs: issued.accessExpiresAtMs };
		}
		const response = await sendToPlatform('spotify', {
			method: 'GET',
			url: `${this.apiUrl}${path}`,
			query,
			headers: { authorization: `Bearer ${this.appToken.accessToken}` },
		});
		if (response.status === 401) {
			// The app token died early (rotated credentials, clock skew): take a new one on the retry.
			this.appToken = undefined;
			throw new PlatformError(
				'spotify',
				'transient',
				'Spotify refused the app’s catalog token (HTTP 401); a new one is taken on the next try.',
			);
		}
		return this.answer(response, 'look up the catalog');
	}

	private async userCall(
		grant: PlatformGrant,
		method: 'GET' | 'PUT',
		path: string,
		query: Query,
		scope: string,
	): Promise<unknown> {
		const response = await sendToPlatform('spotify', {
			method,
			url: `${this.apiUrl}${path}`,
			query,
			headers: { authorization: `Bearer ${grant.accessToken}` },
		});
		const action = `${method} ${path}`;
		if (response.status === 401) {
			if (grant.accessExpiresAtMs !== null && grant.accessExpiresAtMs <= this.clock()) {
				throw new PlatformError(
					'spotify',
					'transient',
					`Spotify refused the fan’s access token for ${action}: it expired; refresh it, then try again.`,
				);
			}
			throw new PlatformError(
				'spotify',
				'reconsent',
				`Spotify refused the fan’s unexpired access token for ${action} (HTTP 401): the fan revoked Fanloop’s access; they need a new consent.`,
			);
		}
		if (response.status === 403) {
			const text = errorMessage(response.body);
			if (isUnregisteredSpotifyUser(text)) {
				throw new PlatformError('spotify', 'permanent', SPOTIFY_UNREGISTERED_ADVICE);
			}
			throw new PlatformError(
				'spotify',
				'permanent',
				`Spotify refused ${action} (HTTP 403: ${text}); the fan’s grant needs the scope ${scope}.`,
			);
		}
		return this.answer(response, action);
	}

	/** The body of a successful answer; 429, 5xx and other refusals as PlatformErrors. */
	private answer(response: ProviderResponse, action: string): unknown {
		if (response.ok) return response.body;
		const detail = `HTTP ${response.status}: ${errorMessage(response.body)}`;
		if (response.status === 429)
			throw rateLimited(
				'spotify',
				response,
				`Spotify is rate limiting the app (${action}, ${detail}).`,
			);
		if (response.status >= 500)
			throw new PlatformError('spotify', 'transient', `Spotify failed to ${action} (${detail}).`);
		throw new PlatformError('spotify', 'permanent', `Spotify refused to ${action} (${detail}).`);
	}
}

interface SearchAnswer {
	albums?: { items?: Array<{ uri?: string }> };
	tracks?: { items?: Array<{ uri?: string }> };
}

function releaseUris(release: PlatformRelease): string[] {
	const uris = release.albumId ? [release.albumId] : release.trackIds;
	if (uris.length === 0)
		throw new PlatformError(
			'spotify',
			'permanent',
			'The release has neither a Spotify album nor tracks to save.',
		);
	return uris;
}

/** Takes an id or a `spotify:<kind>:<id>` URI, as the ledger may hold either. */
function spotifyId(idOrUri: string, kind: string): string {
	const prefix = `spotify:${kind}:`;
	return idOrUri.startsWith(prefix) ? idOrUri.slice(prefix.length) : idOrUri;
}

function chunks<T>(items: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let index = 0; index < items.length; index += size)
		out.push(items.slice(index, index + size));
	return out;
}

/** Spotify answers `{ error: { status, message } }`, or plain text for some refusals. */
function errorMessage(body: unknown): string {
	const parsed = body as { error?: { message?: string } } | string | undefined;
	if (typeof parsed === 'object' && parsed?.error?.message) return parsed.error.message;
	return typeof parsed === 'string' && parsed ? parsed.slice(0, 200) : 'no detail';
}
