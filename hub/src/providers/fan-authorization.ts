import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
	AuthorizeRequest,
	ExchangeRequest,
	FanAuthorization,
	MusicKitAuthorization,
	PlatformConnection,
	RedirectAuthorization,
} from '../core/presave/authorization';
import {
	PlatformError,
	type PlatformGrant,
	type StreamingPlatformName,
} from '../core/streaming/platform';
import { AppleMusicPlatform, type AppleMusicConfig } from './apple-music';
import {
	DEEZER_PERMS,
	DEEZER_QUOTA_RETRY_AFTER_MS,
	isDeezerQuotaExceeded,
	type DeezerConfig,
} from './deezer';
import type { ProviderResponse } from './http-client';
import { jsonObject, requestOAuthToken, sendToPlatform, type IssuedToken } from './platform-http';
import {
	SPOTIFY_UNREGISTERED_ADVICE,
	isUnregisteredSpotifyUser,
	spotifyConsentScopes,
	type SpotifyConfig,
} from './spotify';
import { YOUTUBE_FOLLOW_SCOPE, type YouTubeConfig } from './youtube';

/** Enough to learn the fan's channel; the follow layer needs the full youtube scope instead. */
const YOUTUBE_READONLY_SCOPE = 'https://www.googleapis.com/auth/youtube.readonly';

/** How often, and how long each time, the read right after consent waits out a 429 while the fan's page loads. */
const CONSENT_RATE_LIMIT_WAITS = 4;
const CONSENT_RATE_LIMIT_WAIT_CAP_MS = 3_000;

/** Spotify refresh tokens and Apple Music user tokens live about six months from the fan's consent. */
const SIX_MONTHS_MS = 182 * 24 * 3_600_000;

export interface FanAuthorizationConfigs {
	spotify?: SpotifyConfig;
	/** `connectUrl`: Deezer's OAuth host, default https://connect.deezer.com. */
	deezer?: DeezerConfig & { connectUrl?: string };
	/** `musicKitScriptUrl`: MusicKit JS, default Apple's CDN (v3). */
	apple_music?: AppleMusicConfig & { musicKitScriptUrl?: string };
	/** `authorizeUrl`: Google's consent endpoint, default https://accounts.google.com/o/oauth2/v2/auth. */
	youtube?: YouTubeConfig & { authorizeUrl?: string };
}

const trim = (url: string) => url.replace(/\/$/, '');

/** Spotify's authorization code flow with PKCE; the app is a confidential client, so it also authenticates. */
class SpotifyAuthorization implements RedirectAuthorization {
	readonly flow = 'redirect';
	readonly platform = 'spotify';
	readonly usesPkce = true;
	readonly refreshTokenOnFirstConsentOnly = false;
	readonly consentOrigin: string;
	private readonly accountsUrl: string;
	private readonly apiUrl: string;

	constructor(private readonly config: SpotifyConfig) {
		this.accountsUrl = trim(config.accountsUrl ?? 'https://accounts.spotify.com');
		this.apiUrl = trim(config.apiUrl ?? 'https://api.spotify.com');
		this.consentOrigin = new URL(this.accountsUrl).origin;
	}

	authorizeUrl(request: AuthorizeRequest): string {
		const scopes = new Set([
			...spotifyConsentScopes({ follow: request.follow, followPlaylist: request.followPlaylist }),
			...(request.keepScopes ?? []),
		]);
		const query = new URLSearchParams({
			client_id: this.config.clientId,
			response_type: 'code',
			redirect_uri: request.redirectUri,
			scope: [...scopes].join(' '),
			state: request.state,
			code_challenge_method: 'S256',
			code_challenge: request.codeChallenge ?? '',
		});
		return `${this.accountsUrl}/authorize?${query}`;
	}

	async exchange(request: ExchangeRequest): Promise<PlatformConnection> {
		const clock = this.config.clock ?? Date.now;
		const consentedAtMs = clock();
		const credentials = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString(
			'base64',
		);
		const token = await requestOAuthToken({
			platform: 'spotify',
			issuer: 'Spotify',
			url: `${this.accountsUrl}/api/token`,
			headers: { authorization: `Basic ${credentials}` },
			form: {
				grant_type: 'authorization_code',
				code: request.code,
				redirect_uri: request.redirectUri,
				code_verifier: request.codeVerifier ?? '',
			},
			clock,
			defaultExpiresInSeconds: 3600,
			invalidGrantReason: 'the authorization code was already used or has expired',
			credentialsHint: 'FANLOOP_SPOTIFY_CLIENT_ID and FANLOOP_SPOTIFY_CLIENT_SECRET',
		});
		const profile = await readAfterConsent('spotify', 'Spotify', this.apiUrl, '/v1/me', {
			headers: { authorization: `Bearer ${token.accessToken}` },
		});
		return {
			accountId: String(profile.id ?? ''),
			grant: grantOf(token, consentedAtMs, consentedAtMs + SIX_MONTHS_MS),
		};
	}
}

/** Deezer's own OAuth 2 dialect: no PKCE, the secret in the exchange, a token that does not expire with offline_access. */
class DeezerAuthorization implements RedirectAuthorization {
	readonly flow = 'redirect';
	readonly platform = 'deezer';
	readonly usesPkce = false;
	readonly refreshTokenOnFirstConsentOnly = false;
	readonly consentOrigin: string;
	private readonly connectUrl: string;
	private readonly apiUrl: string;

	constructor(private readonly config: DeezerConfig & { connectUrl?: string }) {
		this.connectUrl = trim(config.connectUrl ?? 'https://connect.deezer.com');
		this.apiUrl = trim(config.apiUrl ?? 'https://api.deezer.com');
		this.consentOrigin = new URL(this.connectUrl).origin;
	}

	authorizeUrl(request: { state: string; redirectUri: string }): string {
		const query = new URLSearchParams({
			app_id: this.config.appId,
			redirect_uri: request.redirectUri,
			perms: DEEZER_PERMS.join(','),
			state: request.state,
		});
		return `${this.connectUrl}/oauth/auth.php?${query}`;
	}

	async exchange(request: { code: string }): Promise<PlatformConnection> {
		const authorizedAtMs = Date.now();
		const response = await sendToPlatform('deezer', {
			method: 'GET',
			url: `${this.connectUrl}/oauth/access_token.php`,
			query: {
				app_id: this.config.appId,
				secret: this.config.secret,
				code: request.code,
				output: 'json',
			},
		});
		const token = jsonObject(response);
		if (!response.ok || typeof token.access_token !== 'string') {
			// Deezer answers a refused exchange with 200 and a plain sentence ("wrong code").
			throw new PlatformError(
				'deezer',
				response.status >= 500 ? 'transient' : 'permanent',
				`Deezer refused the authorization code (HTTP ${response.status}).`,
			);
		}
		const accessToken = token.access_token;
		const expiresInSeconds = Number(token.expires ?? 0);
		const me = await readAfterConsent('deezer', 'Deezer', this.apiUrl, '/user/me', {
			query: { access_token: accessToken },
		});
		if (me.id === undefined) {
			throw new PlatformError(
				'deezer',
				'permanent',
				'Deezer did not say who the fan is (GET /user/me).',
			);
		}
		return {
			accountId: String(me.id),
			grant: {
				accessToken,
				refreshToken: null,
				scopes: [...DEEZER_PERMS],
				authorizedAtMs,
				accessExpiresAtMs: expiresInSeconds > 0 ? authorizedAtMs + expiresInSeconds * 1000 : null,
				refreshExpiresAtMs: null,
			},
		};
	}
}

/** Google's authorization code flow with PKCE and offline access; the fan is known by their own channel id. */
class YouTubeAuthorization implements RedirectAuthorization {
	readonly flow = 'redirect';
	readonly platform = 'youtube';
	readonly usesPkce = true;
	readonly refreshTokenOnFirstConsentOnly = true;
	readonly consentOrigin: string;
	private readonly authorizeEndpoint: string;
	private readonly apiUrl: string;

	constructor(private readonly config: YouTubeConfig & { authorizeUrl?: string }) {
		this.authorizeEndpoint = config.authorizeUrl ?? 'https://accounts.google.com/o/oauth2/v2/auth';
		this.apiUrl = trim(config.apiUrl ?? 'https://www.googleapis.com');
		this.consentOrigin = new URL(this.authorizeEndpoint).origin;
	}

	authorizeUrl(request: AuthorizeRequest): string {
		const query = new URLSearchParams({
			client_id: this.config.clientId,
			redirect_uri: request.redirectUri,
			response_type: 'code',
			scope: youtubeConsentScopes(request).join(' '),
			state: request.state,
			access_type: 'offline',
			code_challenge_method: 'S256',
			code_challenge: request.codeChallenge ?? '',
		});
		// Google issues a refresh token on a fan's first consent only; asking again for one the hub
		// lost (or that stopped working) needs the consent screen shown anew.
		if (request.reconsent) query.set('prompt', 'consent');
		return `${this.authorizeEndpoint}?${query}`;
	}

	async exchange(request: ExchangeRequest): Promise<PlatformConnection> {
		const clock = this.config.clock ?? Date.now;
		const authorizedAtMs = clock();
		const token = await requestOAuthToken({
			platform: 'youtube',
			issuer: 'Google',
			url: this.config.tokenUrl ?? 'https://oauth2.googleapis.com/token',
			form: {
				grant_type: 'authorization_code',
				code: request.code,
				redirect_uri: request.redirectUri,
				client_id: this.config.clientId,
				client_secret: this.config.clientSecret,
				code_verifier: request.codeVerifier ?? '',
			},
			clock,
			defaultExpiresInSeconds: 3599,
			invalidGrantReason: 'the authorization code was already used or has expired',
			credentialsHint: 'FANLOOP_YOUTUBE_CLIENT_ID and FANLOOP_YOUTUBE_CLIENT_SECRET',
		});
		const channels = await readAfterConsent(
			'youtube',
			'YouTube',
			this.apiUrl,
			'/youtube/v3/channels',
			{
				query: { part: 'id', mine: 'true' },
				headers: { authorization: `Bearer ${token.accessToken}` },
			},
		);
		const channelId = (channels.items as Array<{ id?: string }> | undefined)?.[0]?.id;
		if (!channelId)
			throw new PlatformError(
				'youtube',
				'permanent',
				'YouTube says the fan has no channel (channels.list mine=true).',
			);
		return {
			accountId: channelId,
			// Google's refresh tokens do not expire on a schedule for a published app.
			grant: grantOf(token, authorizedAtMs, null),
		};
	}
}

class AppleMusicAuthorization implements MusicKitAuthorization {
	readonly flow = 'musickit';
	readonly platform = 'apple_music';
	readonly scriptUrl: string;
	private readonly apiUrl: string;
	private readonly catalog: AppleMusicPlatform;

	constructor(private readonly config: AppleMusicConfig & { musicKitScriptUrl?: string }) {
		this.scriptUrl =
			config.musicKitScriptUrl ?? 'https://js-cdn.music.apple.com/musickit/v3/musickit.js';
		this.apiUrl = trim(config.apiUrl ?? 'https://api.music.apple.com');
		this.catalog = new AppleMusicPlatform(config);
	}

	developerToken(): string {
		return this.catalog.developerToken();
	}

	/** Apple gives no account id: the ledger knows the fan by a hash of their user token. */
	async connect(musicUserToken: string): Promise<PlatformConnection> {
		const authorizedAtMs = (this.config.clock ?? Date.now)();
		await readAfterConsent('apple_music', 'Apple Music', this.apiUrl, '/v1/me/library/albums', {
			query: { limit: '1' },
			headers: {
				authorization: `Bearer ${this.developerToken()}`,
				'music-user-token': musicUserToken,
			},
		});
		return {
			accountId: `mut-${createHash('sha256').update(musicUserToken).digest('hex').slice(0, 40)}`,
			grant: {
				accessToken: musicUserToken,
				refreshToken: null,
				scopes: [],
				authorizedAtMs,
				accessExpiresAtMs: null,
				refreshExpiresAtMs: authorizedAtMs + SIX_MONTHS_MS,
			},
		};
	}
}

/**
 * The follow scope when the fan ticks follow or had granted it before (a reconnect), the
 * read-only one otherwise (enough to learn the fan's channel), plus any other scope kept.
 */
function youtubeConsentScopes(request: AuthorizeRequest): string[] {
	const kept = request.keepScopes ?? [];
	const follow = request.follow || kept.includes(YOUTUBE_FOLLOW_SCOPE);
	const scopes = new Set([follow ? YOUTUBE_FOLLOW_SCOPE : YOUTUBE_READONLY_SCOPE, ...kept]);
	// The follow scope covers everything the read-only one allows: asking for both adds a line only.
	if (follow) scopes.delete(YOUTUBE_READONLY_SCOPE);
	return [...scopes];
}

/** A GET the fan's fresh consent must allow, read as JSON; its refusal names the path only. */
async function readAfterConsent(
	platform: StreamingPlatformName,
	provider: string,
	apiUrl: string,
	path: string,
	request: { query?: Record<string, string>; headers?: Record<string, string> },
): Promise<Record<string, unknown>> {
	const read = () =>
		sendToPlatform(platform, { method: 'GET', url: `${apiUrl}${path}`, ...request });
	let response = await read();
	// A fan is waiting on this page load: a short rate-limit wait is better than an error page.
	for (
		let waits = 0, waitMs = rateLimitWaitMs(platform, response);
		waitMs !== null && waits < CONSENT_RATE_LIMIT_WAITS;
		waits++, waitMs = rateLimitWaitMs(platform, response)
	) {
		await sleep(Math.min(waitMs, CONSENT_RATE_LIMIT_WAIT_CAP_MS));
		response = await read();
	}
	const waitMs = rateLimitWaitMs(platform, response);
	if (waitMs !== null)
		throw new PlatformError(
			platform,
			'rate_limited',
			`${provider} is busy right now; try again in a moment.`,
			waitMs,
		);
	if (response.ok) return jsonObject(response);
	if (platform === 'spotify' && response.status === 403 && isUnregisteredSpotifyUser(response.text))
		throw new PlatformError('spotify', 'permanent', SPOTIFY_UNREGISTERED_ADVICE);
	throw new PlatformError(
		platform,
		response.status >= 500 ? 'transient' : 'permanent',
		`${provider} refused GET ${path} right after the fan's consent (HTTP ${response.status}).`,
	);
}

/** How long the platform asked us to wait, or null when the answer is not a rate limit (Deezer says so in a 200's body). */
function rateLimitWaitMs(
	platform: StreamingPlatformName,
	response: ProviderResponse,
): number | null {
	if (response.status === 429) return response.retryAfterMs;
	if (platform === 'deezer' && isDeezerQuotaExceeded(jsonObject(response)))
		return DEEZER_QUOTA_RETRY_AFTER_MS;
	return null;
}

/** The grant an authorization code exchange issued, as the ledger seals it. */
function grantOf(
	token: IssuedToken,
	authorizedAtMs: number,
	refreshExpiresAtMs: number | null,
): PlatformGrant {
	return {
		accessToken: token.accessToken,
		refreshToken: token.refreshToken ?? null,
		scopes: token.scopes ?? [],
		authorizedAtMs,
		accessExpiresAtMs: token.accessExpiresAtMs,
		refreshExpiresAtMs,
	};
}

/** The pre-save page's authorizations for the platforms this hub has app credentials for. */
export function fanAuthorizations(
	configs: FanAuthorizationConfigs,
): Map<StreamingPlatformName, FanAuthorization> {
	const authorizations = new Map<StreamingPlatformName, FanAuthorization>();
	if (configs.spotify) authorizations.set('spotify', new SpotifyAuthorization(configs.spotify));
	if (configs.apple_music)
		authorizations.set('apple_music', new AppleMusicAuthorization(configs.apple_music));
	if (configs.deezer) authorizations.set('deezer', new DeezerAuthorization(configs.deezer));
	if (configs.youtube) authorizations.set('youtube', new YouTubeAuthorization(configs.youtube));
	return authorizations;
}
