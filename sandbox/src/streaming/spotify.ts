import type { SandboxClock } from '../core/clock';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import { RateWindow } from '../core/rate-window';
import {
	SANDBOX_USER_ID_PATTERN,
	SIX_MONTHS_MS,
	basicCredentials,
	bearerToken,
	commaList,
	consentPage,
	presentParams,
	formBody,
	pkceS256,
	randomToken,
	redirectTo,
	textResponse,
} from './support';

export interface SpotifyStandInOptions {
	clientId: string;
	clientSecret: string;
	/** The app's registered redirect URIs; /authorize refuses any other, as the dashboard allowlist does. */
	redirectUris: string[];
	/** Development-mode apps serve at most this many users; 0 models an extended-quota app (no cap). */
	devModeUserCap?: number;
	/** Spotify does not publish its budget; only the rolling 30-second window is documented. */
	rateLimit?: { requests: number; windowMs: number };
	/** Refresh tokens die this long after consent, however often they are used. */
	refreshTokenLifetimeMs?: number;
	clock: SandboxClock;
	appName?: string;
}

export interface SpotifyRelease {
	albumUri: string;
	upc: string;
	/** Parallel to `trackUris`: `isrcs[i]` is the ISRC of `trackUris[i]`. */
	isrcs: string[];
	trackUris: string[];
	/** Search finds the release only from this instant on, like a release that is not live yet. */
	visibleFromMs?: number;
	name?: string;
	artistUri?: string;
	artistName?: string;
	releaseDate?: string;
}

export interface SpotifyAuthorizeDirect {
	userId: string;
	scopes: string[];
	redirectUri: string;
	codeChallenge?: string;
	state?: string;
}

/** The 2026 Web API answer to a missing, unknown, expired or revoked access token. */
export const SPOTIFY_TOKEN_MESSAGE = 'Missing/invalid/expired access token';
/**
 * What a development-mode app's unregistered user gets from every Web API call (plain text), in
 * the wording Spotify sends in 2026; older apps saw "User not registered in the Developer
 * Dashboard" and "Check settings on developer.spotify.com/dashboard, the user may not be registered."
 */
export const SPOTIFY_UNREGISTERED_USER_MESSAGE =
	'The user is not registered for this application. Please check your settings on https://developer.spotify.com/dashboard.';
/** `GET /v1/search`'s `limit`, per the Web API's published OpenAPI since February 2026. */
export const SPOTIFY_SEARCH_MAX_LIMIT = 10;
const SPOTIFY_SEARCH_DEFAULT_LIMIT = 5;
export const SPOTIFY_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const SPOTIFY_MAX_LIBRARY_URIS = 40;

const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60 * 1000;
const MAX_FOLLOW_IDS = 50;

const KNOWN_SCOPES = new Set([
	'ugc-image-upload',
	'user-read-playback-state',
	'user-modify-playback-state',
	'user-read-currently-playing',
	'app-remote-control',
	'streaming',
	'playlist-read-private',
	'playlist-read-collaborative',
	'playlist-modify-private',
	'playlist-modify-public',
	'user-follow-modify',
	'user-follow-read',
	'user-read-playback-position',
	'user-top-read',
	'user-read-recently-played',
	'user-library-modify',
	'user-library-read',
	'user-read-email',
	'user-read-private',
	'user-personalized',
	'user-soa-link',
	'user-soa-unlink',
	'soa-manage-entitlements',
	'soa-manage-partner',
	'soa-create-partner',
]);

/** URI kinds `PUT /v1/me/library` documents. */
const LIBRARY_URI_KINDS = new Set([
	'track',
	'album',
	'episode',
	'show',
	'audiobook',
	'user',
	'playlist',
]);
/** `GET /v1/me/library/contains` also answers for artists (whether the user follows them). */
const LIBRARY_CONTAINS_URI_KINDS = new Set([...LIBRARY_URI_KINDS, 'artist']);
/**
 * The scope each URI kind needs in the library endpoints: the spec lists one scope per family
 * (`user-library-*` for saved items, `user-follow-*` for users and artists, `playlist-*` for
 * playlists), the same scopes the old per-type endpoints asked for.
 */
const LIBRARY_WRITE_SCOPES: Record<string, string[]> = {
	user: ['user-follow-modify'],
	playlist: ['playlist-modify-public', 'playlist-modify-private'],
};
const LIBRARY_READ_SCOPES: Record<string, string[]> = {
	user: ['user-follow-read'],
	artist: ['user-follow-read'],
	playlist: ['playlist-read-private'],
};
const BASE62_ID = /^[0-9A-Za-z]{22}$/;

function isFollowUri(uri: string): boolean {
	const kind = uri.split(':')[1];
	return kind === 'user' || kind === 'artist' || kind === 'playlist';
}

/** A 403 when any URI needs a scope the grant lacks; saved items need the `user-library-*` one. */
function missingScope(
	uris: string[],
	scopes: string[],
	byKind: Record<string, string[]>,
): ApiAnswer | undefined {
	const libraryScope =
		byKind === LIBRARY_WRITE_SCOPES ? 'user-library-modify' : 'user-library-read';
	for (const uri of uris) {
		const needed = byKind[uri.split(':')[1]] ?? [libraryScope];
		if (!needed.some((scope) => scopes.includes(scope)))
			return apiError(403, 'Insufficient client scope');
	}
	return undefined;
}

interface SpotifyUser {
	id: string;
	displayName: string;
	country: string;
	product: 'premium' | 'free';
	email: string;
}

interface PendingCode {
	userId: string;
	scopes: string[];
	redirectUri: string;
	codeChallenge?: string;
	expiresAtMs: number;
}

/** One consent: its refresh-token lifetime runs from here and no refresh moves it. */
interface Grant {
	userId: string | undefined;
	scopes: string[];
	consentedAtMs: number;
	refreshExpiresAtMs: number;
	/** PKCE grants belong to public clients: no secret on refresh, and refresh tokens rotate. */
	publicClient: boolean;
	revoked: boolean;
}

interface AccessToken {
	grant: Grant;
	expiresAtMs: number;
}

type ApiAnswer = StandInResponse;

function apiError(status: number, message: string): ApiAnswer {
	return { status, body: { error: { status, message } } };
}

function accountsError(status: number, error: string, description: string): ApiAnswer {
	return { status, body: { error, error_description: description } };
}

function spotifyId(uri: string): string {
	return uri.split(':')[2] ?? '';
}

/**
 * Spotify's accounts service and Web API as two loopback servers over one shared state, so a
 * client configures both base URLs the way it would for accounts.spotify.com and api.spotify.com.
 */
export class SpotifyStandIn {
	readonly accounts: HttpStandIn;
	readonly api: HttpStandIn;
	private readonly clock: SandboxClock;
	private readonly devModeUserCap: number;
	private readonly refreshTokenLifetimeMs: number;
	private readonly rateLimit: { requests: number; windowMs: number };
	private readonly rateWindow: RateWindow;
	private readonly users = new Map<string, SpotifyUser>();
	/** Users the dashboard allowlist holds, in the order they first consented. */
	private readonly registeredUsers = new Set<string>();
	private readonly codes = new Map<string, PendingCode>();
	private readonly refreshTokens = new Map<string, Grant>();
	private readonly accessTokens = new Map<string, AccessToken>();
	private readonly libraries = new Map<string, Set<string>>();
	private readonly following = new Map<string, Set<string>>();
	private readonly releases: Required<SpotifyRelease>[] = [];
	private userCounter = 0;

	constructor(private readonly options: SpotifyStandInOptions) {
		this.clock = options.clock;
		this.devModeUserCap = options.devModeUserCap ?? 5;
		this.refreshTokenLifetimeMs = options.refreshTokenLifetimeMs ?? SIX_MONTHS_MS;
		this.rateLimit = options.rateLimit ?? { requests: 180, windowMs: 30_000 };
		this.rateWindow = new RateWindow(this.rateLimit.requests, this.rateLimit.windowMs);
		this.accounts = new HttpStandIn(
			'spotify-accounts',
			(request) => this.handleAccounts(request),
			this.clock,
		);
		this.api = new HttpStandIn('spotify-api', (request) => this.handleApi(request), this.clock);
	}

	async start(
		ports: { accounts?: number; api?: number } = {},
	): Promise<{ accountsUrl: string; apiUrl: string }> {
		await this.accounts.start(ports.accounts ?? 0);
		await this.api.start(ports.api ?? 0);
		return { accountsUrl: this.accounts.url, apiUrl: this.api.url };
	}

	async stop(): Promise<void> {
		await Promise.all([this.accounts.stop(), this.api.stop()]);
	}

	get accountsUrl(): string {
		return this.accounts.url;
	}

	get apiUrl(): string {
		return this.api.url;
	}

	// ---- test side ----

	addRelease(release: SpotifyRelease): void {
		this.releases.push({
			visibleFromMs: 0,
			name: 'Sandbox Release',
			artistUri: 'spotify:artist:0000000000000000000000',
			artistName: 'Sandbox Artist',
			releaseDate: new Date(release.visibleFromMs ?? this.clock.now()).toISOString().slice(0, 10),
			...release,
		});
	}

	/** Skips the consent page: what a fan clicking "Agree" would produce. */
	authorizeDirect(request: SpotifyAuthorizeDirect): string {
		if (!this.options.redirectUris.includes(request.redirectUri)) {
			throw new Error(`redirect URI not registered: ${request.redirectUri}`);
		}
		return this.issueCode(
			request.userId,
			request.scopes,
			request.redirectUri,
			request.codeChallenge,
		);
	}

	library(userId: string): string[] {
		return [...(this.libraries.get(userId) ?? [])];
	}

	follows(userId: string): string[] {
		return [...(this.following.get(userId) ?? [])];
	}

	/** The fan removes the app in their account settings: every token of theirs stops working. */
	revoke(userId: string): void {
		for (const grant of this.refreshTokens.values()) {
			if (grant.userId === userId) grant.revoked = true;
		}
		for (const token of this.accessTokens.values()) {
			if (token.grant.userId === userId) token.grant.revoked = true;
		}
	}

	/** Adds a user to the dashboard allowlist of a development-mode app, as the owner would by hand. */
	registerUser(userId: string): void {
		this.registeredUsers.add(userId);
	}

	get requestsPerSecondAllowed(): number {
		return this.rateLimit.requests / (this.rateLimit.windowMs / 1000);
	}

	// ---- accounts service ----

	private handleAccounts(request: StandInRequest): ApiAnswer {
		if (request.path === '/authorize' && request.method === 'GET')
			return this.authorizePage(request.query);
		if (request.path === '/authorize' && request.method === 'POST')
			return this.authorizeDecision(formBody(request));
		if (request.path === '/api/token' && request.method === 'POST') return this.token(request);
		return textResponse(404, 'Not found');
	}

	/** The checks /authorize makes before showing anything; errors before redirect_uri is trusted are pages. */
	private checkAuthorizeParams(
		params: URLSearchParams,
	): ApiAnswer | { redirectUri: string; scopes: string[] } {
		if (params.get('client_id') !== this.options.clientId)
			return textResponse(400, 'INVALID_CLIENT: Invalid client');
		const redirectUri = params.get('redirect_uri') ?? '';
		if (!this.options.redirectUris.includes(redirectUri)) {
			return textResponse(400, 'INVALID_CLIENT: Invalid redirect URI');
		}
		const state = params.get('state') ?? undefined;
		if (params.get('response_type') !== 'code') {
			return redirectTo(redirectUri, { error: 'unsupported_response_type', state });
		}
		const challenge = params.get('code_challenge');
		const method = params.get('code_challenge_method');
		if (challenge !== null && method !== 'S256') {
			return redirectTo(redirectUri, { error: 'invalid_request', state });
		}
		if (challenge !== null && !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
			return redirectTo(redirectUri, { error: 'invalid_request', state });
		}
		const scopes = (params.get('scope') ?? '').split(/[\s+]+/).filter((scope) => scope.length > 0);
		if (scopes.some((scope) => !KNOWN_SCOPES.has(scope))) {
			return redirectTo(redirectUri, { error: 'invalid_scope', state });
		}
		return { redirectUri, scopes };
	}

	private authorizePage(params: URLSearchParams): ApiAnswer {
		const checked = this.checkAuthorizeParams(params);
		if ('status' in checked) return checked;
		const hiddenFields = presentParams(params, [
			'client_id',
			'response_type',
			'redirect_uri',
			'scope',
			'state',
			'code_challenge',
			'code_challenge_method',
		]);
		return consentPage({
			provider: 'Spotify',
			appName: this.options.appName ?? 'Fanloop',
			action: '/authorize',
			hiddenFields,
			permissions: checked.scopes.length > 0 ? checked.scopes : ['Read your public profile'],
			suggestedUserId: this.nextUserId(),
		});
	}

	private authorizeDecision(form: URLSearchParams): ApiAnswer {
		const checked = this.checkAuthorizeParams(form);
		if ('status' in checked) return checked;
		const state = form.get('state') ?? undefined;
		if (form.get('decision') !== 'agree')
			return redirectTo(checked.redirectUri, { error: 'access_denied', state });
		const userId = form.get('user_id') ?? '';
		if (!SANDBOX_USER_ID_PATTERN.test(userId)) return textResponse(400, 'Invalid sandbox user id');
		const code = this.issueCode(
			userId,
			checked.scopes,
			checked.redirectUri,
			form.get('code_challenge') ?? undefined,
		);
		return redirectTo(checked.redirectUri, { code, state });
	}

	private nextUserId(): string {
		this.userCounter += 1;
		return `sandbox-fan-${this.userCounter}`;
	}

	private issueCode(
		userId: string,
		scopes: string[],
		redirectUri: string,
		codeChallenge?: string,
	): string {
		if (!this.users.has(userId)) {
			this.users.set(userId, {
				id: userId,
				displayName: `Sandbox fan ${userId}`,
				country: 'US',
				product: 'premium',
				email: `${userId}@sandbox.invalid`,
			});
		}
		// The cap counts distinct users; in development mode the first ones stand in for the
		// dashboard allowlist the app owner would otherwise fill by hand.
		if (this.devModeUserCap === 0 || this.registeredUsers.size < this.devModeUserCap)
			this.registeredUsers.add(userId);
		const code = randomToken('AQ', 48);
		this.codes.set(code, {
			userId,
			scopes: [...new Set(scopes)],
			redirectUri,
			codeChallenge,
			expiresAtMs: this.clock.now() + AUTHORIZATION_CODE_LIFETIME_MS,
		});
		return code;
	}

	private token(request: StandInRequest): ApiAnswer {
		const form = formBody(request);
		const grantType = form.get('grant_type');
		if (grantType === null)
			return accountsError(400, 'unsupported_grant_type', 'grant_type parameter is missing');
		if (grantType === 'authorization_code') return this.exchangeCode(request, form);
		if (grantType === 'refresh_token') return this.refresh(request, form);
		if (grantType === 'client_credentials') return this.clientCredentials(request, form);
		return accountsError(
			400,
			'unsupported_grant_type',
			'grant_type parameter must be client_credentials, authorization_code or refresh_token',
		);
	}

	/** Confidential client authentication, from the Basic header or the body; undefined when none was sent. */
	private confidentialClient(
		request: StandInRequest,
		form: URLSearchParams,
	): 'ok' | 'none' | ApiAnswer {
		const credentials = basicCredentials(request) ?? {
			clientId: form.get('client_id') ?? '',
			clientSecret: form.get('client_secret') ?? '',
		};
		if (credentials.clientSecret === '') return 'none';
		if (credentials.clientId !== this.options.clientId)
			return accountsError(400, 'invalid_client', 'Invalid client');
		if (credentials.clientSecret !== this.options.clientSecret) {
			return accountsError(400, 'invalid_client', 'Invalid client secret');
		}
		return 'ok';
	}

	private exchangeCode(request: StandInRequest, form: URLSearchParams): ApiAnswer {
		const client = this.confidentialClient(request, form);
		if (typeof client === 'object') return client;
		const code = form.get('code') ?? '';
		const pending = this.codes.get(code);
		if (!pending || pending.expiresAtMs <= this.clock.now()) {
			return accountsError(400, 'invalid_grant', 'Invalid authorization code');
		}
		if (form.get('redirect_uri') !== pending.redirectUri) {
			return accountsError(400, 'invalid_grant', 'Invalid redirect URI');
		}
		const verifier = form.get('code_verifier');
		let publicClient = false;
		if (client === 'none') {
			// A public client proves itself with PKCE alone.
			if (form.get('client_id') !== this.options.clientId)
				return accountsError(400, 'invalid_client', 'Invalid client');
			if (pending.codeChallenge === undefined)
				return accountsError(400, 'invalid_client', 'Invalid client secret');
			if (verifier === null) return accountsError(400, 'invalid_request', 'code_verifier required');
			publicClient = true;
		}
		if (pending.codeChallenge !== undefined && client === 'ok' && verifier === null) {
			return accountsError(400, 'invalid_request', 'code_verifier required');
		}
		if (pending.codeChallenge !== undefined && pkceS256(verifier ?? '') !== pending.codeChallenge) {
			return accountsError(400, 'invalid_grant', 'code_verifier was incorrect');
		}
		// A code is good for one exchange only.
		this.codes.delete(code);
		const nowMs = this.clock.now();
		const grant: Grant = {
			userId: pending.userId,
			scopes: pending.scopes,
			consentedAtMs: nowMs,
			refreshExpiresAtMs: nowMs + this.refreshTokenLifetimeMs,
			publicClient,
			revoked: false,
		};
		const refreshToken = randomToken('AQ', 96);
		this.refreshTokens.set(refreshToken, grant);
		return { status: 200, body: { ...this.issueAccessToken(grant), refresh_token: refreshToken } };
	}

	private refresh(request: StandInRequest, form: URLSearchParams): ApiAnswer {
		const client = this.confidentialClient(request, form);
		if (typeof client === 'object') return client;
		const refreshToken = form.get('refresh_token') ?? '';
		const grant = this.refreshTokens.get(refreshToken);
		if (!grant) return accountsError(400, 'invalid_grant', 'Invalid refresh token');
		if (client === 'none') {
			if (form.get('client_id') !== this.options.clientId)
				return accountsError(400, 'invalid_client', 'Invalid client');
			if (!grant.publicClient) return accountsError(400, 'invalid_client', 'Invalid client secret');
		}
		if (grant.revoked || grant.refreshExpiresAtMs <= this.clock.now()) {
			return accountsError(400, 'invalid_grant', 'Refresh token revoked');
		}
		const answer: Record<string, unknown> = this.issueAccessToken(grant);
		if (grant.publicClient) {
			// PKCE refresh tokens are single-use: the next one comes back, the old one is spent.
			this.refreshTokens.delete(refreshToken);
			const next = randomToken('AQ', 96);
			this.refreshTokens.set(next, grant);
			answer.refresh_token = next;
		}
		return { status: 200, body: answer };
	}

	private clientCredentials(request: StandInRequest, form: URLSearchParams): ApiAnswer {
		const client = this.confidentialClient(request, form);
		if (typeof client === 'object') return client;
		if (client === 'none') return accountsError(400, 'invalid_client', 'Invalid client');
		const nowMs = this.clock.now();
		const grant: Grant = {
			userId: undefined,
			scopes: [],
			consentedAtMs: nowMs,
			refreshExpiresAtMs: nowMs,
			publicClient: false,
			revoked: false,
		};
		const issued = this.issueAccessToken(grant);
		// An app-only token carries no user and therefore no scope.
		return {
			status: 200,
			body: {
				access_token: issued.access_token,
				token_type: issued.token_type,
				expires_in: issued.expires_in,
			},
		};
	}

	private issueAccessToken(grant: Grant): {
		access_token: string;
		token_type: 'Bearer';
		scope: string;
		expires_in: number;
	} {
		const accessToken = randomToken('BQ', 96);
		this.accessTokens.set(accessToken, {
			grant,
			expiresAtMs: this.clock.now() + SPOTIFY_ACCESS_TOKEN_LIFETIME_SECONDS * 1000,
		});
		return {
			access_token: accessToken,
			token_type: 'Bearer',
			scope: grant.scopes.join(' '),
			expires_in: SPOTIFY_ACCESS_TOKEN_LIFETIME_SECONDS,
		};
	}

	// ---- Web API ----

	private handleApi(request: StandInRequest): ApiAnswer {
		const token = bearerToken(request);
		const access = token === undefined ? undefined : this.accessTokens.get(token);
		if (!access || access.grant.revoked || access.expiresAtMs <= this.clock.now()) {
			return apiError(401, SPOTIFY_TOKEN_MESSAGE);
		}
		const waitMs = this.rateWindow.take(this.clock.now());
		if (waitMs > 0) {
			return {
				status: 429,
				headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
				body: { error: { status: 429, message: 'API rate limit exceeded' } },
			};
		}
		const grant = access.grant;
		if (grant.userId !== undefined && !this.registeredUsers.has(grant.userId)) {
			return textResponse(403, SPOTIFY_UNREGISTERED_USER_MESSAGE);
		}
		const { method, path, query } = request;
		if (path === '/v1/search' && method === 'GET') return this.search(query);
		const playlistFollow = /^\/v1\/playlists\/([^/]+)\/followers$/.exec(path);
		if (!path.startsWith('/v1/me') && !playlistFollow) return apiError(404, 'Service not found');

		// Everything below acts for a user: an app-only token has nobody to act for.
		if (grant.userId === undefined) return apiError(401, 'Valid user authentication required');
		const userId = grant.userId;
		const needs = (scope: string): ApiAnswer | undefined =>
			grant.scopes.includes(scope) ? undefined : apiError(403, 'Insufficient client scope');

		if (playlistFollow) {
			if (method !== 'PUT' && method !== 'DELETE') return apiError(405, 'Method not allowed');
			// The February 2026 migration moved development-mode apps to PUT /me/library.
			if (this.devModeUserCap !== 0) return apiError(403, 'Forbidden');
			const denied = grant.scopes.some(
				(scope) => scope === 'playlist-modify-public' || scope === 'playlist-modify-private',
			)
				? undefined
				: apiError(403, 'Insufficient client scope');
			if (denied) return denied;
			const uri = `spotify:playlist:${playlistFollow[1]}`;
			if (method === 'PUT') this.setOf(this.following, userId).add(uri);
			else this.setOf(this.following, userId).delete(uri);
			return { status: 200 };
		}
		if (path === '/v1/me' && method === 'GET') return this.profile(userId, grant.scopes);
		if (path === '/v1/me/library' && (method === 'PUT' || method === 'DELETE')) {
			return this.changeLibrary(userId, grant.scopes, method, query);
		}
		if (path === '/v1/me/library/contains' && method === 'GET') {
			return this.libraryContains(userId, grant.scopes, query);
		}
		if (path === '/v1/me/following' && (method === 'PUT' || method === 'DELETE')) {
			// Deprecated, and gone for development-mode apps since the February 2026 migration.
			if (this.devModeUserCap !== 0) return apiError(403, 'Forbidden');
			return needs('user-follow-modify') ?? this.changeFollowing(userId, method, query);
		}
		if (path === '/v1/me/following/contains' && method === 'GET') {
			return needs('user-follow-read') ?? this.followingContains(userId, query);
		}
		const legacy = /^\/v1\/me\/(tracks|albums)(\/contains)?$/.exec(path);
		if (legacy)
			return this.legacyLibrary(
				userId,
				grant.scopes,
				method,
				legacy[1] as 'tracks' | 'albums',
				legacy[2] !== undefined,
				query,
			);
		return apiError(404, 'Service not found');
	}

	private setOf(map: Map<string, Set<string>>, userId: string): Set<string> {
		let set = map.get(userId);
		if (!set) {
			set = new Set();
			map.set(userId, set);
		}
		return set;
	}

	private profile(userId: string, scopes: string[]): ApiAnswer {
		const user = this.users.get(userId)!;
		const body: Record<string, unknown> = {
			id: user.id,
			display_name: user.displayName,
			type: 'user',
			uri: `spotify:user:${user.id}`,
			href: `${this.api.url}/v1/users/${user.id}`,
			external_urls: { spotify: `https://open.spotify.com/user/${user.id}` },
			followers: { href: null, total: 0 },
			images: [],
		};
		// Like the real profile, private fields appear only with the scope that unlocks them.
		if (scopes.includes('user-read-private')) {
			body.country = user.country;
			body.product = user.product;
			body.explicit_content = { filter_enabled: false, filter_locked: false };
		}
		if (scopes.includes('user-read-email')) body.email = user.email;
		return { status: 200, body };
	}

	/** Parses `uris`; an answer means the request is refused. */
	private libraryUris(query: URLSearchParams, kinds: ReadonlySet<string>): string[] | ApiAnswer {
		const uris = commaList(query.get('uris'));
		if (uris.length === 0) return apiError(400, 'Missing required parameter: uris');
		if (uris.length > SPOTIFY_MAX_LIBRARY_URIS) return apiError(400, 'Too many ids requested');
		for (const uri of uris) {
			const [scheme, kind, id] = uri.split(':');
			if (
				scheme !== 'spotify' ||
				kind === undefined ||
				id === undefined ||
				uri.split(':').length !== 3
			) {
				return apiError(400, `Invalid URI: ${uri}`);
			}
			if (!kinds.has(kind)) return apiError(400, `Unsupported URI type: ${kind}`);
			if (kind !== 'user' && !BASE62_ID.test(id)) return apiError(400, `Invalid base62 id: ${id}`);
		}
		return uris;
	}

	private changeLibrary(
		userId: string,
		scopes: string[],
		method: string,
		query: URLSearchParams,
	): ApiAnswer {
		const uris = this.libraryUris(query, LIBRARY_URI_KINDS);
		if (!Array.isArray(uris)) return uris;
		const missing = missingScope(uris, scopes, LIBRARY_WRITE_SCOPES);
		if (missing) return missing;
		for (const uri of uris) {
			// Users and playlists saved to the library are follows, as the old endpoints kept them.
			const set = isFollowUri(uri)
				? this.setOf(this.following, userId)
				: this.setOf(this.libraries, userId);
			if (method === 'PUT') set.add(uri);
			else set.delete(uri);
		}
		return { status: 200 };
	}

	private libraryContains(userId: string, scopes: string[], query: URLSearchParams): ApiAnswer {
		const uris = this.libraryUris(query, LIBRARY_CONTAINS_URI_KINDS);
		if (!Array.isArray(uris)) return uris;
		const missing = missingScope(uris, scopes, LIBRARY_READ_SCOPES);
		if (missing) return missing;
		const library = this.libraries.get(userId) ?? new Set<string>();
		const follows = this.following.get(userId) ?? new Set<string>();
		return {
			status: 200,
			body: uris.map((uri) => (isFollowUri(uri) ? follows.has(uri) : library.has(uri))),
		};
	}

	private followIds(query: URLSearchParams): { kind: string; ids: string[] } | ApiAnswer {
		const kind = query.get('type');
		if (kind !== 'artist' && kind !== 'user') return apiError(400, 'type must be artist or user');
		const ids = commaList(query.get('ids'));
		if (ids.length === 0) return apiError(400, 'Missing required parameter: ids');
		if (ids.length > MAX_FOLLOW_IDS) return apiError(400, 'Too many ids requested');
		if (kind === 'artist' && ids.some((id) => !BASE62_ID.test(id)))
			return apiError(400, 'Invalid id');
		return { kind, ids };
	}

	private changeFollowing(userId: string, method: string, query: URLSearchParams): ApiAnswer {
		const parsed = this.followIds(query);
		if ('status' in parsed) return parsed;
		const follows = this.setOf(this.following, userId);
		for (const id of parsed.ids) {
			const uri = `spotify:${parsed.kind}:${id}`;
			if (method === 'PUT') follows.add(uri);
			else follows.delete(uri);
		}
		return { status: 204 };
	}

	private followingContains(userId: string, query: URLSearchParams): ApiAnswer {
		const parsed = this.followIds(query);
		if ('status' in parsed) return parsed;
		const follows = this.following.get(userId) ?? new Set<string>();
		return {
			status: 200,
			body: parsed.ids.map((id) => follows.has(`spotify:${parsed.kind}:${id}`)),
		};
	}

	/**
	 * `/v1/me/tracks` and `/v1/me/albums` answer 403 to development-mode apps since 2026-03-09;
	 * an extended-quota app (cap 0) still gets the old behaviour.
	 */
	private legacyLibrary(
		userId: string,
		scopes: string[],
		method: string,
		kind: 'tracks' | 'albums',
		contains: boolean,
		query: URLSearchParams,
	): ApiAnswer {
		if (this.devModeUserCap !== 0) return apiError(403, 'Forbidden');
		const scope = method === 'GET' ? 'user-library-read' : 'user-library-modify';
		if (!scopes.includes(scope)) return apiError(403, 'Insufficient client scope');
		const ids = commaList(query.get('ids'));
		if (ids.length > 50) return apiError(400, 'Too many ids requested');
		if (ids.some((id) => !BASE62_ID.test(id))) return apiError(400, 'Invalid id');
		const uris = ids.map((id) => `spotify:${kind === 'tracks' ? 'track' : 'album'}:${id}`);
		const library = this.setOf(this.libraries, userId);
		if (contains && method === 'GET')
			return { status: 200, body: uris.map((uri) => library.has(uri)) };
		if (contains) return apiError(405, 'Method not allowed');
		if (method === 'PUT') uris.forEach((uri) => library.add(uri));
		else if (method === 'DELETE') uris.forEach((uri) => library.delete(uri));
		else return apiError(405, 'Method not allowed');
		return { status: 200 };
	}

	private search(query: URLSearchParams): ApiAnswer {
		const q = query.get('q');
		if (!q) return apiError(400, 'No search query');
		const typeParam = query.get('type');
		if (!typeParam) return apiError(400, 'Missing parameter type');
		const types = commaList(typeParam);
		const supported = ['album', 'track', 'artist', 'playlist', 'show', 'episode', 'audiobook'];
		if (types.some((type) => !supported.includes(type)))
			return apiError(400, 'Bad search type field');
		const limit = Number(query.get('limit') ?? String(SPOTIFY_SEARCH_DEFAULT_LIMIT));
		if (!Number.isInteger(limit) || limit < 1 || limit > SPOTIFY_SEARCH_MAX_LIMIT)
			return apiError(400, 'Invalid limit');
		const offset = Number(query.get('offset') ?? '0');
		if (!Number.isInteger(offset) || offset < 0 || offset > 1000)
			return apiError(400, 'Invalid offset');

		const upc = /(?:^|\s)upc:(\S+)/i.exec(q)?.[1];
		const isrc = /(?:^|\s)isrc:(\S+)/i.exec(q)?.[1];
		const nowMs = this.clock.now();
		const live = this.releases.filter((release) => release.visibleFromMs <= nowMs);
		const body: Record<string, unknown> = {};
		const page = (items: unknown[]): unknown => ({
			href: `${this.api.url}/v1/search?${query.toString()}`,
			items: items.slice(offset, offset + limit),
			limit,
			next: null,
			offset,
			previous: null,
			total: items.length,
		});
		for (const type of types) {
			const key = `${type}s`;
			if (type === 'album') {
				// `upc:` is an album filter; a free-text query finds nothing in this small catalog.
				const albums = upc === undefined ? [] : live.filter((release) => release.upc === upc);
				body[key] = page(albums.map((release) => this.simplifiedAlbum(release)));
			} else if (type === 'track') {
				const tracks =
					isrc === undefined
						? []
						: live.flatMap((release) =>
								release.isrcs
									.map((trackIsrc, index) => ({ trackIsrc, index }))
									.filter(({ trackIsrc }) => trackIsrc.toUpperCase() === isrc.toUpperCase())
									.map(({ index }) => this.track(release, index)),
							);
				body[key] = page(tracks);
			} else {
				body[key] = page([]);
			}
		}
		return { status: 200, body };
	}

	private simplifiedAlbum(release: Required<SpotifyRelease>): Record<string, unknown> {
		const id = spotifyId(release.albumUri);
		return {
			album_type: release.trackUris.length > 1 ? 'album' : 'single',
			total_tracks: release.trackUris.length,
			available_markets: ['US'],
			external_urls: { spotify: `https://open.spotify.com/album/${id}` },
			href: `${this.api.url}/v1/albums/${id}`,
			id,
			images: [],
			name: release.name,
			release_date: release.releaseDate,
			release_date_precision: 'day',
			type: 'album',
			uri: release.albumUri,
			artists: [this.artist(release)],
		};
	}

	private artist(release: Required<SpotifyRelease>): Record<string, unknown> {
		const id = spotifyId(release.artistUri);
		return {
			external_urls: { spotify: `https://open.spotify.com/artist/${id}` },
			href: `${this.api.url}/v1/artists/${id}`,
			id,
			name: release.artistName,
			type: 'artist',
			uri: release.artistUri,
		};
	}

	private track(release: Required<SpotifyRelease>, index: number): Record<string, unknown> {
		const uri = release.trackUris[index];
		const id = spotifyId(uri);
		return {
			album: this.simplifiedAlbum(release),
			artists: [this.artist(release)],
			available_markets: ['US'],
			disc_number: 1,
			duration_ms: 180_000,
			explicit: false,
			external_ids: { isrc: release.isrcs[index] },
			external_urls: { spotify: `https://open.spotify.com/track/${id}` },
			href: `${this.api.url}/v1/tracks/${id}`,
			id,
			is_local: false,
			name: release.trackUris.length > 1 ? `${release.name} (track ${index + 1})` : release.name,
			popularity: 0,
			track_number: index + 1,
			type: 'track',
			uri,
		};
	}
}
