import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	APPLE_MAX_DEVELOPER_TOKEN_SECONDS,
	YOUTUBE_SCOPE,
	YouTubeStandIn,
	generateMusicKitKey,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import {
	PlatformError,
	type PlatformGrant,
	type StreamingPlatform,
} from '../../hub/src/core/streaming/platform';
import { AppleMusicPlatform } from '../../hub/src/providers/apple-music';
import { DeezerPlatform } from '../../hub/src/providers/deezer';
import { fanAuthorizations } from '../../hub/src/providers/fan-authorization';
import { SpotifyPlatform, spotifyConsentScopes } from '../../hub/src/providers/spotify';
import { streamingPlatforms } from '../../hub/src/providers/streaming';
import { YouTubePlatform } from '../../hub/src/providers/youtube';
import { newSealingKey, openLedger } from '../support/ledger';
import { createTestDatabase } from '../support/stores';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Apple's 15,777,000 s, the stand-ins' "six months". */
const SIX_MONTHS_MS = 15_777_000 * 1000;

/** The PlatformError a call fails with; anything else (or success) fails the test. */
async function platformError(work: Promise<unknown>): Promise<PlatformError> {
	try {
		await work;
	} catch (error) {
		if (error instanceof PlatformError) return error;
		throw error;
	}
	throw new Error('expected the call to fail with a PlatformError');
}

/** A 22-character base62 id, as Spotify's URIs carry. */
function base62(seed: string): string {
	return seed.padEnd(22, '0').slice(0, 22);
}

let sandbox: StreamingSandbox;
let clock: SandboxClock;

beforeEach(async () => {
	clock = new SandboxClock();
	sandbox = await startStreamingSandbox({ clock, seedDemoRelease: false });
});

afterEach(async () => {
	await sandbox.stop();
});

describe('Spotify adapter', () => {
	const ALBUM_URI = `spotify:album:${base62('FanloopAlbum')}`;
	const TRACK_URI = `spotify:track:${base62('FanloopTrack')}`;
	const ARTIST_ID = base62('FanloopArtist');
	const UPC = '0196922111116';
	const ISRC = 'QZFLP2611111';

	function adapter(
		overrides: { clientSecret?: string; appMode?: 'development' | 'extended_quota' } = {},
	): SpotifyPlatform {
		return new SpotifyPlatform({
			clientId: sandbox.credentials.spotify.clientId,
			clientSecret: overrides.clientSecret ?? sandbox.credentials.spotify.clientSecret,
			accountsUrl: sandbox.urls.spotifyAccounts,
			apiUrl: sandbox.urls.spotifyApi,
			appMode: overrides.appMode,
			clock: () => clock.now(),
		});
	}

	/** What the hub's OAuth callback would seal after the fan agreed. */
	async function connect(userId: string, scopes: string[]): Promise<PlatformGrant> {
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
		expect(response.status).toBe(200);
		const body = (await response.json()) as {
			access_token: string;
			refresh_token: string;
			expires_in: number;
		};
		const nowMs = clock.now();
		return {
			accessToken: body.access_token,
			refreshToken: body.refresh_token,
			scopes,
			authorizedAtMs: nowMs,
			accessExpiresAtMs: nowMs + body.expires_in * 1000,
			refreshExpiresAtMs: nowMs + SIX_MONTHS_MS,
		};
	}

	const ALL_SCOPES = [
		'user-library-modify',
		'user-library-read',
		'user-follow-modify',
		'playlist-modify-public',
	];

	function addRelease(visibleFromMs = 0): void {
		sandbox.spotify.addRelease({
			albumUri: ALBUM_URI,
			upc: UPC,
			isrcs: [ISRC],
			trackUris: [TRACK_URI],
			visibleFromMs,
		});
	}

	it('finds nothing before the release is live, then the album and its tracks', async () => {
		addRelease(clock.now() + DAY_MS);
		const spotify = adapter();
		await expect(spotify.findRelease({ upc: UPC, isrcs: [ISRC] })).resolves.toBeUndefined();
		clock.advance(DAY_MS + 1000);
		await expect(spotify.findRelease({ upc: UPC, isrcs: [ISRC] })).resolves.toEqual({
			albumId: ALBUM_URI,
			trackIds: [TRACK_URI],
		});
		// No UPC: the tracks by ISRC alone.
		await expect(spotify.findRelease({ upc: null, isrcs: [ISRC] })).resolves.toEqual({
			albumId: null,
			trackIds: [TRACK_URI],
		});
	});

	it('caches the app token until it expires', async () => {
		addRelease();
		const spotify = adapter();
		await spotify.findRelease({ upc: UPC, isrcs: [] });
		await spotify.findRelease({ upc: UPC, isrcs: [] });
		const tokenRequests = () =>
			sandbox.spotify.accounts.requests.filter((request) => request.path === '/api/token').length;
		expect(tokenRequests()).toBe(1);
		clock.advance(HOUR_MS);
		await spotify.findRelease({ upc: UPC, isrcs: [] });
		expect(tokenRequests()).toBe(2);
	});

	it('saves the album once however often it is saved, and then reports it saved', async () => {
		addRelease();
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		const release = (await spotify.findRelease({ upc: UPC, isrcs: [ISRC] }))!;
		await expect(spotify.isSaved(grant, release)).resolves.toBe(false);
		await spotify.saveRelease(grant, release);
		await spotify.saveRelease(grant, release);
		expect(sandbox.spotify.library('fan-1')).toEqual([ALBUM_URI]);
		await expect(spotify.isSaved(grant, release)).resolves.toBe(true);
	});

	it('saves tracks when there is no album, 40 URIs per request', async () => {
		const trackUris = Array.from(
			{ length: 45 },
			(_, index) => `spotify:track:${base62(`Trk${index}x`)}`,
		);
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		await spotify.saveRelease(grant, { albumId: null, trackIds: trackUris });
		expect(sandbox.spotify.library('fan-1').sort()).toEqual([...trackUris].sort());
		const puts = sandbox.spotify.api.requests.filter(
			(request) => request.method === 'PUT' && request.path === '/v1/me/library',
		);
		expect(puts.map((request) => request.query.get('uris')!.split(',').length)).toEqual([40, 5]);
		await expect(spotify.isSaved(grant, { albumId: null, trackIds: trackUris })).resolves.toBe(
			true,
		);
	});

	it('consent asks for exactly what the campaign uses: save and check saved, plus the artist follow when ticked', () => {
		const authorization = fanAuthorizations({
			spotify: {
				clientId: sandbox.credentials.spotify.clientId,
				clientSecret: sandbox.credentials.spotify.clientSecret,
				accountsUrl: sandbox.urls.spotifyAccounts,
			},
		}).get('spotify');
		if (authorization?.flow !== 'redirect') throw new Error('Spotify consents by redirect');
		const scopeOf = (follow: boolean) =>
			new URL(
				authorization.authorizeUrl({
					state: 's',
					redirectUri: sandbox.credentials.spotify.redirectUris[0],
					codeChallenge: 'c',
					follow,
				}),
			).searchParams.get('scope');
		expect(scopeOf(false)).toBe('user-library-modify user-library-read');
		expect(scopeOf(true)).toBe('user-library-modify user-library-read user-follow-modify');
	});

	it('a fan connected with the consent link’s scopes can save and then check the save', async () => {
		const spotify = adapter();
		const grant = await connect('fan-1', spotifyConsentScopes({ follow: false }));
		const release = { albumId: ALBUM_URI, trackIds: [] };
		await spotify.saveRelease(grant, release);
		await expect(spotify.isSaved(grant, release)).resolves.toBe(true);
	});

	it('development mode: follows a playlist through the library, and offers no artist follow', async () => {
		const spotify = adapter();
		expect(spotify.followArtist).toBeUndefined();
		const grant = await connect('fan-1', ['playlist-modify-public']);
		const playlistId = base62('FanloopPlaylist');
		await spotify.followPlaylist(grant, playlistId);
		await spotify.followPlaylist(grant, `spotify:playlist:${playlistId}`);
		expect(sandbox.spotify.follows('fan-1')).toEqual([`spotify:playlist:${playlistId}`]);
		const requests = sandbox.spotify.api.requests.filter((request) => request.method === 'PUT');
		expect(requests.map((request) => request.path)).toEqual(['/v1/me/library', '/v1/me/library']);
	});

	it('extended quota: follows an artist (by id or URI) with the follow endpoint such apps keep', async () => {
		await sandbox.stop();
		sandbox = await startStreamingSandbox({
			clock,
			seedDemoRelease: false,
			spotifyDevModeUserCap: 0,
		});
		const spotify = adapter({ appMode: 'extended_quota' });
		const grant = await connect('fan-1', spotifyConsentScopes({ follow: true }));
		await spotify.followArtist!(grant, ARTIST_ID);
		await spotify.followArtist!(grant, `spotify:artist:${ARTIST_ID}`);
		expect(sandbox.spotify.follows('fan-1')).toEqual([`spotify:artist:${ARTIST_ID}`]);
	});

	it('refreshes the access token, keeping the refresh token and its 6-month end', async () => {
		addRelease();
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		clock.advance(2 * HOUR_MS);
		const beforeMs = clock.now();
		const renewed = await spotify.refresh(grant);
		const afterMs = clock.now();
		expect(renewed.accessToken).not.toBe(grant.accessToken);
		expect(renewed.refreshToken).toBe(grant.refreshToken);
		expect(renewed.refreshExpiresAtMs).toBe(grant.refreshExpiresAtMs);
		// An hour, counted from no later than the request.
		expect(renewed.accessExpiresAtMs).toBeGreaterThanOrEqual(beforeMs + HOUR_MS);
		expect(renewed.accessExpiresAtMs).toBeLessThanOrEqual(afterMs + HOUR_MS);
		await spotify.saveRelease(renewed, { albumId: ALBUM_URI, trackIds: [] });
		expect(sandbox.spotify.library('fan-1')).toEqual([ALBUM_URI]);
	});

	it('asks for re-consent once the refresh token is 6 months past consent', async () => {
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		clock.advance(SIX_MONTHS_MS - DAY_MS);
		const renewed = await spotify.refresh(grant);
		clock.advance(DAY_MS + 1000);
		const error = await platformError(spotify.refresh(renewed));
		expect(error.kind).toBe('reconsent');
		expect(error.message).toMatch(/invalid_grant/);
	});

	it('asks for re-consent when the fan revoked access, and retries an expired token after a refresh', async () => {
		const spotify = adapter();
		const release = { albumId: ALBUM_URI, trackIds: [] };
		const stale = await connect('fan-1', ALL_SCOPES);
		clock.advance(2 * HOUR_MS);
		// Expired, not revoked: worth a retry once the core has refreshed.
		expect((await platformError(spotify.saveRelease(stale, release))).kind).toBe('transient');

		const grant = await spotify.refresh(stale);
		sandbox.spotify.revoke('fan-1');
		expect((await platformError(spotify.saveRelease(grant, release))).kind).toBe('reconsent');
		expect((await platformError(spotify.followPlaylist(grant, ARTIST_ID))).kind).toBe('reconsent');
		expect((await platformError(spotify.refresh(grant))).kind).toBe('reconsent');
		expect(sandbox.spotify.library('fan-1')).toEqual([]);
	});

	it('turns a 429 storm into rate_limited with Retry-After in milliseconds', async () => {
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		sandbox.spotify.api.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
		const error = await platformError(
			spotify.saveRelease(grant, { albumId: ALBUM_URI, trackIds: [] }),
		);
		expect(error.kind).toBe('rate_limited');
		expect(error.retryAfterMs).toBe(7000);
	});

	it('treats a 5xx or a dropped connection as transient', async () => {
		const spotify = adapter();
		const grant = await connect('fan-1', ALL_SCOPES);
		sandbox.spotify.api.faults.set({ serverErrorRate: 1 });
		expect((await platformError(spotify.followPlaylist(grant, ARTIST_ID))).kind).toBe('transient');
		sandbox.spotify.api.faults.set({ dropRate: 1 });
		expect((await platformError(spotify.followPlaylist(grant, ARTIST_ID))).kind).toBe('transient');
	});

	it('names the missing scope when the grant cannot read the library', async () => {
		const spotify = adapter();
		const grant = await connect('fan-1', ['user-library-modify']);
		const error = await platformError(spotify.isSaved(grant, { albumId: ALBUM_URI, trackIds: [] }));
		expect(error.kind).toBe('permanent');
		expect(error.message).toContain('user-library-read');
	});

	it('explains the development-mode 5-user cap to the marketer', async () => {
		const spotify = adapter();
		for (let fan = 1; fan <= 5; fan += 1) await connect(`fan-${fan}`, ALL_SCOPES);
		const sixth = await connect('fan-6', ALL_SCOPES);
		const error = await platformError(
			spotify.saveRelease(sixth, { albumId: ALBUM_URI, trackIds: [] }),
		);
		expect(error.kind).toBe('permanent');
		expect(error.message).toMatch(/development mode/);
		expect(error.message).toMatch(/5/);
		expect(error.message).toMatch(/extended.quota/i);
	});

	it('refuses a wrong client secret without repeating it', async () => {
		const grant = await connect('fan-1', ALL_SCOPES);
		const error = await platformError(adapter({ clientSecret: 'not-the-secret' }).refresh(grant));
		expect(error.kind).toBe('permanent');
		expect(error.message).toMatch(/clientSecret/);
		expect(error.message).not.toContain('not-the-secret');
	});
});

describe('Apple Music adapter', () => {
	const ALBUM_ID = '1790001001';
	const SONG_IDS = ['1790001002', '1790001003'];
	const ISRCS = ['QZFLP2622221', 'QZFLP2622222'];
	const UPC = '0196922222225';

	function adapter(overrides: { privateKeyPem?: string; keyId?: string } = {}): AppleMusicPlatform {
		const { teamId, keyId, privateKeyPem } = sandbox.credentials.appleMusic;
		return new AppleMusicPlatform({
			teamId,
			keyId: overrides.keyId ?? keyId,
			privateKeyPem: overrides.privateKeyPem ?? privateKeyPem,
			apiUrl: sandbox.urls.appleMusic,
			clock: () => clock.now(),
		});
	}

	/** The Music User Token MusicKit JS hands the page; Apple's lives about six months and cannot be refreshed. */
	function connect(userId: string): PlatformGrant {
		const nowMs = clock.now();
		return {
			accessToken: sandbox.appleMusic.issueMusicUserToken(userId),
			refreshToken: null,
			scopes: [],
			authorizedAtMs: nowMs,
			accessExpiresAtMs: null,
			refreshExpiresAtMs: nowMs + SIX_MONTHS_MS,
		};
	}

	function addRelease(visibleFromMs = 0): void {
		sandbox.appleMusic.addRelease({
			albumId: ALBUM_ID,
			upc: UPC,
			songIds: SONG_IDS,
			isrcs: ISRCS,
			visibleFromMs,
		});
	}

	function claims(token: string): {
		header: Record<string, unknown>;
		payload: Record<string, number | string>;
	} {
		const [header, payload] = token.split('.');
		return {
			header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<
				string,
				unknown
			>,
			payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
				string,
				number | string
			>,
		};
	}

	it('signs an ES256 developer token the catalog accepts, and signs a new one before it expires', async () => {
		addRelease();
		const apple = adapter();
		const first = apple.developerToken();
		const { header, payload } = claims(first);
		expect(header).toEqual({ alg: 'ES256', kid: sandbox.credentials.appleMusic.keyId });
		expect(payload.iss).toBe(sandbox.credentials.appleMusic.teamId);
		expect(Number(payload.exp) - Number(payload.iat)).toBeLessThanOrEqual(
			APPLE_MAX_DEVELOPER_TOKEN_SECONDS,
		);
		expect(apple.developerToken()).toBe(first);
		await expect(apple.findRelease({ upc: UPC, isrcs: [] })).resolves.toEqual({
			albumId: ALBUM_ID,
			trackIds: [],
		});

		clock.advance(13 * HOUR_MS);
		expect(apple.developerToken()).not.toBe(first);
		await expect(apple.findRelease({ upc: UPC, isrcs: [] })).resolves.toEqual({
			albumId: ALBUM_ID,
			trackIds: [],
		});
	});

	it('never signs for longer than six months', () => {
		const { teamId, keyId, privateKeyPem } = sandbox.credentials.appleMusic;
		const apple = new AppleMusicPlatform({
			teamId,
			keyId,
			privateKeyPem,
			developerTokenLifetimeSeconds: 400 * 86_400,
		});
		const { payload } = claims(apple.developerToken());
		expect(Number(payload.exp) - Number(payload.iat)).toBe(APPLE_MAX_DEVELOPER_TOKEN_SECONDS);
	});

	it('says clearly when Apple refuses the developer token (wrong key)', async () => {
		addRelease();
		const error = await platformError(
			adapter({ privateKeyPem: generateMusicKitKey().privateKeyPem }).findRelease({
				upc: UPC,
				isrcs: [],
			}),
		);
		expect(error.kind).toBe('permanent');
		expect(error.message).toMatch(/developer token/);
		expect(error.message).toMatch(/keyId/);
		const wrongKid = await platformError(
			adapter({ keyId: 'WRONGKEY01' }).findRelease({ upc: UPC, isrcs: [] }),
		);
		expect(wrongKid.kind).toBe('permanent');
	});

	it('refuses at construction a key that is not a MusicKit key', () => {
		expect(() => adapter({ privateKeyPem: 'not a key' })).toThrow(/\.p8/);
	});

	it('finds nothing before the release is live, then the album and its songs by UPC and ISRC', async () => {
		addRelease(clock.now() + DAY_MS);
		const apple = adapter();
		await expect(apple.findRelease({ upc: UPC, isrcs: ISRCS })).resolves.toBeUndefined();
		clock.advance(DAY_MS + 1000);
		await expect(apple.findRelease({ upc: UPC, isrcs: ISRCS })).resolves.toEqual({
			albumId: ALBUM_ID,
			trackIds: SONG_IDS,
		});
	});

	it('saves the album once however often it is saved, and then reports it saved', async () => {
		addRelease();
		const apple = adapter();
		const grant = connect('fan-1');
		const release = { albumId: ALBUM_ID, trackIds: SONG_IDS };
		await expect(apple.isSaved(grant, release)).resolves.toBe(false);
		await apple.saveRelease(grant, release);
		await apple.saveRelease(grant, release);
		expect(sandbox.appleMusic.library('fan-1')).toEqual({ albums: [ALBUM_ID], songs: [] });
		await expect(apple.isSaved(grant, release)).resolves.toBe(true);
	});

	it('finds the save among a long library, page after page, by each item’s catalog relationship', async () => {
		addRelease();
		const apple = adapter();
		const grant = connect('fan-1');
		// 250 albums the fan already had: the release lands on the third page of 100.
		sandbox.appleMusic.seedLibrary('fan-1', {
			albums: Array.from({ length: 250 }, (_, index) => String(1_500_000_000 + index)),
		});
		const release = { albumId: ALBUM_ID, trackIds: [] };
		await expect(apple.isSaved(grant, release)).resolves.toBe(false);
		await apple.saveRelease(grant, release);
		await expect(apple.isSaved(grant, release)).resolves.toBe(true);
		const pages = sandbox.appleMusic.server.requests.filter(
			(request) => request.path === '/v1/me/library/albums',
		);
		expect(pages.every((request) => request.query.get('include') === 'catalog')).toBe(true);
	});

	it('saves songs when there is no album', async () => {
		addRelease();
		const apple = adapter();
		const grant = connect('fan-1');
		const release = { albumId: null, trackIds: SONG_IDS };
		await apple.saveRelease(grant, release);
		expect(sandbox.appleMusic.library('fan-1').songs.sort()).toEqual([...SONG_IDS].sort());
		await expect(apple.isSaved(grant, release)).resolves.toBe(true);
	});

	it('asks for re-consent when the Music User Token is revoked or expired', async () => {
		addRelease();
		const apple = adapter();
		const grant = connect('fan-1');
		sandbox.appleMusic.revokeUserToken(grant.accessToken);
		const error = await platformError(
			apple.saveRelease(grant, { albumId: ALBUM_ID, trackIds: [] }),
		);
		expect(error.kind).toBe('reconsent');

		const other = connect('fan-2');
		clock.advance(SIX_MONTHS_MS + DAY_MS);
		expect(
			(await platformError(apple.isSaved(other, { albumId: ALBUM_ID, trackIds: [] }))).kind,
		).toBe('reconsent');
	});

	it('has no refresh and no follow', () => {
		const apple: StreamingPlatform = adapter();
		expect(apple.refresh).toBeUndefined();
		expect(apple.followArtist).toBeUndefined();
	});

	it('turns a 429 storm into rate_limited with Retry-After in milliseconds', async () => {
		addRelease();
		sandbox.appleMusic.server.faults.set({ rateLimitRate: 1, retryAfterSeconds: 3 });
		const error = await platformError(adapter().findRelease({ upc: UPC, isrcs: [] }));
		expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
	});
});

describe('Deezer adapter', () => {
	const ALBUM_ID = '700003001';
	const TRACK_IDS = ['3100003001', '3100003002'];
	const ISRCS = ['QZFLP2633331', 'QZFLP2633332'];
	const ARTIST_ID = '5100031';
	const UPC = '0196922333334';

	function adapter(): DeezerPlatform {
		return new DeezerPlatform({ ...sandbox.credentials.deezer, apiUrl: sandbox.urls.deezerApi });
	}

	async function connect(
		userId: string,
		perms = ['basic_access', 'manage_library', 'offline_access'],
	): Promise<PlatformGrant> {
		const code = sandbox.deezer.authorizeDirect({ userId, perms });
		const { appId, secret } = sandbox.credentials.deezer;
		const query = new URLSearchParams({ app_id: appId, secret, code, output: 'json' });
		const response = await fetch(`${sandbox.urls.deezerConnect}/oauth/access_token.php?${query}`);
		const body = (await response.json()) as { access_token: string; expires: number };
		expect(body.expires).toBe(0);
		return {
			accessToken: body.access_token,
			refreshToken: null,
			scopes: perms,
			authorizedAtMs: clock.now(),
			accessExpiresAtMs: null,
			refreshExpiresAtMs: null,
		};
	}

	function addRelease(visibleFromMs = 0): void {
		sandbox.deezer.addRelease({
			albumId: ALBUM_ID,
			upc: UPC,
			trackIds: TRACK_IDS,
			isrcs: ISRCS,
			artistId: ARTIST_ID,
			visibleFromMs,
		});
	}

	it('finds nothing before the release is live, then the album and its tracks', async () => {
		addRelease(clock.now() + DAY_MS);
		const deezer = adapter();
		await expect(deezer.findRelease({ upc: UPC, isrcs: ISRCS })).resolves.toBeUndefined();
		clock.advance(DAY_MS + 1000);
		await expect(deezer.findRelease({ upc: UPC, isrcs: ISRCS })).resolves.toEqual({
			albumId: ALBUM_ID,
			trackIds: TRACK_IDS,
		});
	});

	it('saves the album once however often it is saved, and then reports it saved', async () => {
		addRelease();
		const deezer = adapter();
		const grant = await connect('fan-1');
		const release = { albumId: ALBUM_ID, trackIds: TRACK_IDS };
		await expect(deezer.isSaved(grant, release)).resolves.toBe(false);
		await deezer.saveRelease(grant, release);
		await deezer.saveRelease(grant, release);
		expect(sandbox.deezer.library('fan-1').albums).toEqual([ALBUM_ID]);
		await expect(deezer.isSaved(grant, release)).resolves.toBe(true);
	});

	it('saves tracks when there is no album, and follows the artist', async () => {
		addRelease();
		const deezer = adapter();
		const grant = await connect('fan-1');
		await deezer.saveRelease(grant, { albumId: null, trackIds: TRACK_IDS });
		await deezer.followArtist(grant, ARTIST_ID);
		expect(sandbox.deezer.library('fan-1')).toEqual({
			albums: [],
			tracks: TRACK_IDS,
			artists: [ARTIST_ID],
		});
		await expect(deezer.isSaved(grant, { albumId: null, trackIds: TRACK_IDS })).resolves.toBe(true);
		expect((deezer as StreamingPlatform).refresh).toBeUndefined();
	});

	it('asks for re-consent when the fan revoked access or the grant lacks manage_library', async () => {
		addRelease();
		const deezer = adapter();
		const grant = await connect('fan-1');
		sandbox.deezer.revoke('fan-1');
		const revoked = await platformError(
			deezer.saveRelease(grant, { albumId: ALBUM_ID, trackIds: [] }),
		);
		expect(revoked.kind).toBe('reconsent');
		expect(revoked.message).not.toContain(grant.accessToken);

		const readOnly = await connect('fan-2', ['basic_access', 'offline_access']);
		expect((await platformError(deezer.followArtist(readOnly, ARTIST_ID))).kind).toBe('reconsent');
	});

	it('turns Deezer’s quota answer (HTTP 200, code 4) into rate_limited for its 5-second window', async () => {
		addRelease();
		const deezer = adapter();
		let error: PlatformError | undefined;
		for (let call = 1; call <= 60 && !error; call += 1) {
			try {
				await deezer.findRelease({ upc: UPC, isrcs: [] });
			} catch (caught) {
				if (!(caught instanceof PlatformError)) throw caught;
				error = caught;
				// Deezer's budget is ~50 requests per 5 s: the 51st is refused.
				expect(call).toBe(51);
			}
		}
		expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 5000 });
	});

	it('turns an HTTP 429 into rate_limited with Retry-After in milliseconds', async () => {
		sandbox.deezer.api.faults.set({ rateLimitRate: 1, retryAfterSeconds: 2 });
		expect(await platformError(adapter().findRelease({ upc: UPC, isrcs: [] }))).toMatchObject({
			kind: 'rate_limited',
			retryAfterMs: 2000,
		});
	});
});

describe('YouTube adapter', () => {
	const CHANNEL_ID = 'UCfanloopArtistChannel01';

	function adapter(url = sandbox.urls.youtube): YouTubePlatform {
		return new YouTubePlatform({
			...sandbox.credentials.youtube,
			tokenUrl: `${url}/token`,
			apiUrl: url,
			clock: () => clock.now(),
		});
	}

	async function connect(
		youtube: YouTubeStandIn,
		userId: string,
		url = sandbox.urls.youtube,
	): Promise<PlatformGrant> {
		const redirectUri = sandbox.credentials.youtube.redirectUris[0];
		const code = youtube.authorizeDirect({ userId, scopes: [YOUTUBE_SCOPE], redirectUri });
		const { clientId, clientSecret } = sandbox.credentials.youtube;
		const response = await fetch(`${url}/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				redirect_uri: redirectUri,
				client_id: clientId,
				client_secret: clientSecret,
			}),
		});
		const body = (await response.json()) as {
			access_token: string;
			refresh_token: string;
			expires_in: number;
		};
		const nowMs = clock.now();
		return {
			accessToken: body.access_token,
			refreshToken: body.refresh_token,
			scopes: [YOUTUBE_SCOPE],
			authorizedAtMs: nowMs,
			accessExpiresAtMs: nowMs + body.expires_in * 1000,
			refreshExpiresAtMs: null,
		};
	}

	/** One round trip through the hub's consent link and the stand-in's consent screen. */
	async function consentThroughHub(userId: string, reconsent: boolean) {
		const authorization = fanAuthorizations({
			youtube: {
				...sandbox.credentials.youtube,
				tokenUrl: `${sandbox.urls.youtube}/token`,
				apiUrl: sandbox.urls.youtube,
				authorizeUrl: `${sandbox.urls.youtube}/o/oauth2/v2/auth`,
				clock: () => clock.now(),
			},
		}).get('youtube');
		if (authorization?.flow !== 'redirect') throw new Error('YouTube consents by redirect');
		const redirectUri = sandbox.credentials.youtube.redirectUris[0];
		const link = new URL(
			authorization.authorizeUrl({ state: 's', redirectUri, follow: true, reconsent }),
		);
		const code = sandbox.youtube.authorizeDirect({
			userId,
			scopes: [YOUTUBE_SCOPE],
			redirectUri,
			prompt: link.searchParams.get('prompt') === 'consent' ? 'consent' : undefined,
		});
		return { link, connection: await authorization.exchange({ code, redirectUri }) };
	}

	it('asks Google for the consent screen again only on a re-consent, and keeps the refresh token it holds', async () => {
		const database = await createTestDatabase('sqlite');
		const ledger = await openLedger(database, newSealingKey(), () => clock.now());
		try {
			const first = await consentThroughHub('fan-1', false);
			expect(first.link.searchParams.has('prompt')).toBe(false);
			expect(first.connection.grant.refreshToken).toMatch(/^1\/\//);
			const { fan } = await ledger.fans.upsert({
				identities: [{ channel: 'youtube', value: first.connection.accountId }],
			});
			await ledger.tokens.save(fan.id, 'youtube', first.connection.grant);

			// Google sends no refresh token on a second consent: the one held must survive it.
			const second = await consentThroughHub('fan-1', false);
			expect(second.connection.grant.refreshToken).toBeNull();
			await ledger.tokens.save(fan.id, 'youtube', second.connection.grant);
			const held = await ledger.tokens.open(fan.id, 'youtube');
			expect(held.refreshToken).toBe(first.connection.grant.refreshToken);
			expect(held.accessToken).toBe(second.connection.grant.accessToken);

			const again = await consentThroughHub('fan-1', true);
			expect(again.link.searchParams.get('prompt')).toBe('consent');
			expect(again.connection.grant.refreshToken).toMatch(/^1\/\//);
			expect(again.connection.grant.refreshToken).not.toBe(first.connection.grant.refreshToken);
		} finally {
			await ledger.close();
			await database.drop();
		}
	});

	it('subscribes the fan to the channel once, a repeat counting as done', async () => {
		const youtube = adapter();
		const grant = await connect(sandbox.youtube, 'fan-1');
		await youtube.followArtist(grant, CHANNEL_ID);
		await youtube.followArtist(grant, CHANNEL_ID);
		expect(sandbox.youtube.subscriptions('fan-1')).toEqual([CHANNEL_ID]);
	});

	it('refreshes the access token, and asks for re-consent once the fan revoked access', async () => {
		const youtube = adapter();
		const grant = await connect(sandbox.youtube, 'fan-1');
		clock.advance(2 * HOUR_MS);
		expect((await platformError(youtube.followArtist(grant, CHANNEL_ID))).kind).toBe('transient');
		const renewed = await youtube.refresh(grant);
		expect(renewed.refreshToken).toBe(grant.refreshToken);
		await youtube.followArtist(renewed, CHANNEL_ID);
		expect(sandbox.youtube.subscriptions('fan-1')).toEqual([CHANNEL_ID]);

		sandbox.youtube.revoke('fan-1');
		expect(
			(await platformError(youtube.followArtist(renewed, 'UCfanloopArtistChannel02'))).kind,
		).toBe('reconsent');
		expect((await platformError(youtube.refresh(renewed))).kind).toBe('reconsent');
	});

	it('stops with a clear permanent error once the day’s quota is spent', async () => {
		const small = new YouTubeStandIn({
			...sandbox.credentials.youtube,
			clock,
			dailyQuotaUnits: 100,
		});
		const url = await small.start();
		try {
			const youtube = adapter(url);
			const grant = await connect(small, 'fan-1', url);
			await youtube.followArtist(grant, 'UCfanloopArtistChannel01');
			await youtube.followArtist(grant, 'UCfanloopArtistChannel02');
			const error = await platformError(youtube.followArtist(grant, 'UCfanloopArtistChannel03'));
			expect(error.kind).toBe('permanent');
			expect(error.message).toMatch(/daily API quota/);
			expect(small.subscriptions('fan-1')).toHaveLength(2);
		} finally {
			await small.stop();
		}
	});

	it('offers no library, only the follow layer', () => {
		expect((adapter() as StreamingPlatform).library).toBeUndefined();
		expect(
			streamingPlatforms({ youtube: sandbox.credentials.youtube }).get('youtube')?.followArtist,
		).toBeDefined();
	});

	it('turns a 429 into rate_limited with Retry-After in milliseconds', async () => {
		const youtube = adapter();
		const grant = await connect(sandbox.youtube, 'fan-1');
		sandbox.youtube.server.faults.set({ rateLimitRate: 1, retryAfterSeconds: 4 });
		expect(await platformError(youtube.followArtist(grant, CHANNEL_ID))).toMatchObject({
			kind: 'rate_limited',
			retryAfterMs: 4000,
		});
	});
});

describe('streamingPlatforms', () => {
	it('builds the adapters for the platforms that have config, by name', () => {
		const platforms = streamingPlatforms({
			spotify: { clientId: 'id', clientSecret: 'secret' },
			deezer: { appId: '1', secret: 'secret' },
		});
		expect([...platforms.keys()]).toEqual(['spotify', 'deezer']);
		expect(platforms.get('spotify')).toBeInstanceOf(SpotifyPlatform);
		expect(platforms.get('deezer')?.name).toBe('deezer');
		expect(platforms.get('deezer')?.requestsPerSecond).toBe(10);
	});
});
