import type { Ledger } from '../../hub/src/core/ledger';
import type { PlatformGrant } from '../../hub/src/core/streaming/platform';
import { streamingPlatforms } from '../../hub/src/providers/streaming';
import type { StreamingSandbox } from '../../sandbox/src/streaming';

const SIX_MONTHS_MS = 182 * 24 * 3_600_000;

/** The hub's adapters pointed at the sandbox, on the sandbox's clock. */
export function sandboxPlatforms(sandbox: StreamingSandbox, requestsPerSecond = 50) {
	const clock = () => sandbox.clock.now();
	const { spotify, appleMusic, deezer } = sandbox.credentials;
	return streamingPlatforms({
		spotify: {
			clientId: spotify.clientId,
			clientSecret: spotify.clientSecret,
			accountsUrl: sandbox.urls.spotifyAccounts,
			apiUrl: sandbox.urls.spotifyApi,
			appMode: spotify.appMode,
			requestsPerSecond,
			clock,
		},
		apple_music: {
			teamId: appleMusic.teamId,
			keyId: appleMusic.keyId,
			privateKeyPem: appleMusic.privateKeyPem,
			apiUrl: sandbox.urls.appleMusic,
			requestsPerSecond,
			clock,
		},
		deezer: {
			appId: deezer.appId,
			secret: deezer.secret,
			apiUrl: sandbox.urls.deezerApi,
			requestsPerSecond,
		},
	});
}

/** A hub process's Spotify settings for the stand-in, paced at `requestsPerSecond`. */
export function sandboxSpotifyEnv(
	sandbox: StreamingSandbox,
	requestsPerSecond: number,
): NodeJS.ProcessEnv {
	return {
		FANLOOP_SPOTIFY_CLIENT_ID: sandbox.credentials.spotify.clientId,
		FANLOOP_SPOTIFY_CLIENT_SECRET: sandbox.credentials.spotify.clientSecret,
		FANLOOP_SPOTIFY_ACCOUNTS_URL: sandbox.urls.spotifyAccounts,
		FANLOOP_SPOTIFY_API_URL: sandbox.urls.spotifyApi,
		FANLOOP_SPOTIFY_REQUESTS_PER_SECOND: String(requestsPerSecond),
	};
}

/** What the hub's OAuth callback would seal after the fan agreed on each platform's consent screen. */
export async function connectFan(
	sandbox: StreamingSandbox,
	platform: 'spotify' | 'apple_music' | 'deezer',
	userId: string,
): Promise<PlatformGrant> {
	const nowMs = sandbox.clock.now();
	if (platform === 'apple_music') {
		return {
			accessToken: sandbox.appleMusic.issueMusicUserToken(userId),
			refreshToken: null,
			scopes: [],
			authorizedAtMs: nowMs,
			accessExpiresAtMs: null,
			refreshExpiresAtMs: nowMs + SIX_MONTHS_MS,
		};
	}
	if (platform === 'deezer') {
		const perms = ['basic_access', 'manage_library', 'offline_access'];
		const code = sandbox.deezer.authorizeDirect({ userId, perms });
		const { appId, secret } = sandbox.credentials.deezer;
		const query = new URLSearchParams({ app_id: appId, secret, code, output: 'json' });
		const body = (await (
			await fetch(`${sandbox.urls.deezerConnect}/oauth/access_token.php?${query}`)
		).json()) as {
			access_token: string;
		};
		return {
			accessToken: body.access_token,
			refreshToken: null,
			scopes: perms,
			authorizedAtMs: nowMs,
			accessExpiresAtMs: null,
			refreshExpiresAtMs: null,
		};
	}
	const scopes = ['user-library-modify', 'user-library-read'];
	const redirectUri = sandbox.credentials.spotify.redirectUris[0];
	const code = sandbox.spotify.authorizeDirect({ userId, scopes, redirectUri });
	const { clientId, clientSecret } = sandbox.credentials.spotify;
	const response = await fetch(`${sandbox.urls.spotifyAccounts}/api/token`, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
			'content-type': 'application/x-www-form-urlencoded',
		},
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code,
			redirect_uri: redirectUri,
		}),
	});
	const body = (await response.json()) as {
		access_token: string;
		refresh_token: string;
		expires_in: number;
	};
	return {
		accessToken: body.access_token,
		refreshToken: body.refresh_token,
		scopes,
		authorizedAtMs: nowMs,
		accessExpiresAtMs: nowMs + body.expires_in * 1000,
		refreshExpiresAtMs: nowMs + SIX_MONTHS_MS,
	};
}

/**
 * A fan as Spotify's OAuth callback leaves them: an identity and a sealed grant, written
 * straight to the ledger. For suites and benchmarks whose subject is what comes after.
 */
export async function seedSpotifyFan(
	ledger: Ledger,
	sandbox: StreamingSandbox,
	userId: string,
): Promise<string> {
	const grant = await connectFan(sandbox, 'spotify', userId);
	const { fan } = await ledger.fans.upsert({ identities: [{ channel: 'spotify', value: userId }] });
	await ledger.tokens.save(fan.id, 'spotify', grant);
	return fan.id;
}

/** The pending Spotify pre-save the pre-save page records once a fan has connected. */
export async function recordPendingPresave(
	ledger: Ledger,
	fanId: string,
	campaignId: string,
): Promise<void> {
	await ledger.actions.record({
		fanId,
		campaignId,
		kind: 'presave',
		platform: 'spotify',
		status: 'pending',
		verification: 'soft',
		idempotencyKey: `presave:${campaignId}:${fanId}:spotify`,
	});
}
