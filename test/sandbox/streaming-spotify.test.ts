import { createHash, randomBytes } from 'node:crypto';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SpotifyStandIn,
	SPOTIFY_TOKEN_MESSAGE,
	SPOTIFY_UNREGISTERED_USER_MESSAGE,
} from '../../sandbox/src/streaming/spotify';

const CLIENT_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const CLIENT_SECRET = 'sandbox-secret-for-tests';
const REDIRECT_URI = 'http://127.0.0.1:8790/oauth/spotify/callback';
const DAY_MS = 24 * 60 * 60 * 1000;
const ALBUM_URI = 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy';
const TRACK_URI = 'spotify:track:11dFghVXANMlKmJXsNCbNl';
const ARTIST_ID = '0TnOYISbd1XYRBk9myaseg';
const PLAYLIST_ID = '37i9dQZF1DXcBWIGoYBM5M';

function pkcePair(): { verifier: string; challenge: string } {
	const verifier = randomBytes(48).toString('base64url');
	return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function basic(): string {
	return `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
}

interface TokenAnswer {
	access_token: string;
	refresh_token?: string;
	token_type: string;
	scope: string;
	expires_in: number;
	error?: string;
	error_description?: string;
}

describe('Spotify stand-in', () => {
	let clock: SandboxClock;
	let spotify: SpotifyStandIn;

	/** A development-mode app by default; `devModeUserCap: 0` is an extended-quota one. */
	async function startStandIn(devModeUserCap?: number): Promise<void> {
		await spotify?.stop();
		spotify = new SpotifyStandIn({
			clientId: CLIENT_ID,
			clientSecret: CLIENT_SECRET,
			redirectUris: [REDIRECT_URI],
			rateLimit: { requests: 20, windowMs: 30_000 },
			devModeUserCap,
			clock,
		});
		await spotify.start();
	}

	beforeEach(async () => {
		clock = new SandboxClock();
		await startStandIn();
	});

	afterEach(async () => {
		await spotify.stop();
	});

	async function token(
		form: Record<string, string>,
		headers: Record<string, string> = {},
	): Promise<{ status: number; body: TokenAnswer }> {
		const response = await fetch(`${spotify.accountsUrl}/api/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
			body: new URLSearchParams(form),
		});
		return { status: response.status, body: (await response.json()) as TokenAnswer };
	}

	async function connect(userId: string, scopes: string[]): Promise<TokenAnswer> {
		const code = spotify.authorizeDirect({ userId, scopes, redirectUri: REDIRECT_URI });
		const answer = await token(
			{ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
			{ authorization: basic() },
		);
		expect(answer.status).toBe(200);
		return answer.body;
	}

	function api(path: string, accessToken: string, method = 'GET'): Promise<Response> {
		return fetch(`${spotify.apiUrl}${path}`, {
			method,
			headers: { authorization: `Bearer ${accessToken}` },
		});
	}

	it('runs the consent page, then exchanges the code with PKCE alone', async () => {
		const { verifier, challenge } = pkcePair();
		const authorize = new URL(`${spotify.accountsUrl}/authorize`);
		authorize.search = new URLSearchParams({
			response_type: 'code',
			client_id: CLIENT_ID,
			redirect_uri: REDIRECT_URI,
			scope: 'user-library-modify user-read-private',
			state: 'st-1',
			code_challenge_method: 'S256',
			code_challenge: challenge,
		}).toString();
		const page = await fetch(authorize);
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).toContain('id="agree"');
		expect(html).toContain('user-library-modify');

		const fields = new URLSearchParams();
		for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
			fields.set(match[1], match[2]);
		}
		fields.set('user_id', 'fan-ada');
		fields.set('decision', 'agree');
		const decision = await fetch(`${spotify.accountsUrl}/authorize`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: fields,
			redirect: 'manual',
		});
		expect(decision.status).toBe(302);
		const callback = new URL(decision.headers.get('location')!);
		expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
		expect(callback.searchParams.get('state')).toBe('st-1');
		const code = callback.searchParams.get('code')!;

		const wrong = await token({
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT_URI,
			client_id: CLIENT_ID,
			code_verifier: pkcePair().verifier,
		});
		expect(wrong).toEqual({
			status: 400,
			body: { error: 'invalid_grant', error_description: 'code_verifier was incorrect' },
		});

		const right = await token({
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT_URI,
			client_id: CLIENT_ID,
			code_verifier: verifier,
		});
		expect(right.status).toBe(200);
		expect(right.body).toMatchObject({
			token_type: 'Bearer',
			expires_in: 3600,
			scope: 'user-library-modify user-read-private',
		});
		expect(right.body.refresh_token).toEqual(expect.any(String));

		const me = await api('/v1/me', right.body.access_token);
		expect(me.status).toBe(200);
		expect(await me.json()).toMatchObject({
			id: 'fan-ada',
			country: 'US',
			product: 'premium',
			type: 'user',
		});

		const again = await token({
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT_URI,
			client_id: CLIENT_ID,
			code_verifier: verifier,
		});
		expect(again.body).toEqual({
			error: 'invalid_grant',
			error_description: 'Invalid authorization code',
		});
	});

	it('sends the fan back with access_denied when they cancel, and refuses unregistered redirect URIs', async () => {
		const fields = new URLSearchParams({
			client_id: CLIENT_ID,
			response_type: 'code',
			redirect_uri: REDIRECT_URI,
			state: 's',
			user_id: 'x',
			decision: 'cancel',
		});
		const cancel = await fetch(`${spotify.accountsUrl}/authorize`, {
			method: 'POST',
			body: fields,
			redirect: 'manual',
		});
		const location = new URL(cancel.headers.get('location')!);
		expect(location.searchParams.get('error')).toBe('access_denied');
		expect(location.searchParams.get('state')).toBe('s');

		const evil = await fetch(
			`${spotify.accountsUrl}/authorize?client_id=${CLIENT_ID}&response_type=code&redirect_uri=${encodeURIComponent('http://evil.example/cb')}`,
		);
		expect(evil.status).toBe(400);
		expect(await evil.text()).toBe('INVALID_CLIENT: Invalid redirect URI');
	});

	it('refreshes without extending the six-month lifetime, then answers invalid_grant', async () => {
		const first = await connect('fan-bo', ['user-library-modify']);
		clock.advance(90 * DAY_MS);
		const refreshed = await token(
			{ grant_type: 'refresh_token', refresh_token: first.refresh_token! },
			{ authorization: basic() },
		);
		expect(refreshed.status).toBe(200);
		expect(refreshed.body.access_token).not.toBe(first.access_token);

		clock.advance(93 * DAY_MS);
		const late = await token(
			{ grant_type: 'refresh_token', refresh_token: first.refresh_token! },
			{ authorization: basic() },
		);
		expect(late).toEqual({
			status: 400,
			body: { error: 'invalid_grant', error_description: 'Refresh token revoked' },
		});
	});

	it('expires access tokens after 3600 s on the sandbox clock', async () => {
		const grant = await connect('fan-cy', ['user-library-modify']);
		expect((await api('/v1/me', grant.access_token)).status).toBe(200);
		clock.advance(3600 * 1000);
		const expired = await api('/v1/me', grant.access_token);
		expect(expired.status).toBe(401);
		expect(await expired.json()).toEqual({
			error: { status: 401, message: SPOTIFY_TOKEN_MESSAGE },
		});
	});

	it('saves to the library by URI, answers contains, caps at 40 URIs and refuses the legacy endpoints', async () => {
		const grant = await connect('fan-di', ['user-library-modify', 'user-library-read']);
		const save = await api(
			`/v1/me/library?uris=${ALBUM_URI},${TRACK_URI}`,
			grant.access_token,
			'PUT',
		);
		expect(save.status).toBe(200);
		expect(spotify.library('fan-di').sort()).toEqual([ALBUM_URI, TRACK_URI].sort());

		const contains = await api(
			`/v1/me/library/contains?uris=${ALBUM_URI},spotify:album:1uyf3l2d4XYwiEqAb7t7fX`,
			grant.access_token,
		);
		expect(await contains.json()).toEqual([true, false]);

		const many = Array.from({ length: 41 }, () => TRACK_URI).join(',');
		const tooMany = await api(`/v1/me/library?uris=${many}`, grant.access_token, 'PUT');
		expect(tooMany.status).toBe(400);

		const legacy = await api('/v1/me/tracks?ids=11dFghVXANMlKmJXsNCbNl', grant.access_token, 'PUT');
		expect(legacy.status).toBe(403);
		const legacyAlbums = await api(
			'/v1/me/albums?ids=4aawyAB9vmqN3uQ7FjRGTy',
			grant.access_token,
			'PUT',
		);
		expect(legacyAlbums.status).toBe(403);

		const remove = await api(`/v1/me/library?uris=${TRACK_URI}`, grant.access_token, 'DELETE');
		expect(remove.status).toBe(200);
		expect(spotify.library('fan-di')).toEqual([ALBUM_URI]);
	});

	it('refuses library writes and follows without the scope each URI kind needs', async () => {
		const grant = await connect('fan-ed', ['user-read-private']);
		const save = await api(`/v1/me/library?uris=${ALBUM_URI}`, grant.access_token, 'PUT');
		expect(save.status).toBe(403);
		expect(await save.json()).toEqual({
			error: { status: 403, message: 'Insufficient client scope' },
		});
		const contains = await api(`/v1/me/library/contains?uris=${ALBUM_URI}`, grant.access_token);
		expect(contains.status).toBe(403);

		// A playlist saved to the library is a follow: the playlist scope, not the library one.
		const libraryOnly = await connect('fan-ed', ['user-library-modify', 'user-library-read']);
		const playlist = await api(
			`/v1/me/library?uris=spotify:playlist:${PLAYLIST_ID}`,
			libraryOnly.access_token,
			'PUT',
		);
		expect(playlist.status).toBe(403);
		expect(spotify.follows('fan-ed')).toEqual([]);
		const playlistScoped = await connect('fan-ed', ['playlist-modify-public']);
		expect(
			(
				await api(
					`/v1/me/library?uris=spotify:playlist:${PLAYLIST_ID}`,
					playlistScoped.access_token,
					'PUT',
				)
			).status,
		).toBe(200);
		expect(spotify.follows('fan-ed')).toEqual([`spotify:playlist:${PLAYLIST_ID}`]);
	});

	it('takes no artist URI in PUT /me/library, as the published spec lists none', async () => {
		const grant = await connect('fan-ar', ['user-library-modify', 'user-follow-modify']);
		const artist = await api(
			`/v1/me/library?uris=spotify:artist:${ARTIST_ID}`,
			grant.access_token,
			'PUT',
		);
		expect(artist.status).toBe(400);
		expect(spotify.follows('fan-ar')).toEqual([]);
	});

	it('refuses the deprecated follow endpoints to a development-mode app', async () => {
		const grant = await connect('fan-dv', ['user-follow-modify', 'playlist-modify-public']);
		const artist = await api(
			`/v1/me/following?type=artist&ids=${ARTIST_ID}`,
			grant.access_token,
			'PUT',
		);
		expect(artist.status).toBe(403);
		const playlist = await api(`/v1/playlists/${PLAYLIST_ID}/followers`, grant.access_token, 'PUT');
		expect(playlist.status).toBe(403);
		expect(spotify.follows('fan-dv')).toEqual([]);
	});

	it('still serves them to an extended-quota app, each with its scope', async () => {
		await startStandIn(0);
		const unscoped = await connect('fan-ex', ['user-library-modify']);
		expect(
			(await api(`/v1/me/following?type=artist&ids=${ARTIST_ID}`, unscoped.access_token, 'PUT'))
				.status,
		).toBe(403);
		const allowed = await connect('fan-ex', ['user-follow-modify', 'user-follow-read']);
		expect(
			(await api(`/v1/me/following?type=artist&ids=${ARTIST_ID}`, allowed.access_token, 'PUT'))
				.status,
		).toBe(204);
		expect(spotify.follows('fan-ex')).toEqual([`spotify:artist:${ARTIST_ID}`]);
		const contains = await api(
			`/v1/me/following/contains?type=artist&ids=${ARTIST_ID}`,
			allowed.access_token,
		);
		expect(await contains.json()).toEqual([true]);
	});

	it('caps search at 10 results per type (default 5), as the spec does since February 2026', async () => {
		const grant = await connect('fan-se', ['user-library-modify']);
		const search = (limit?: number) =>
			api(
				`/v1/search?q=upc:00602445868162&type=album${limit === undefined ? '' : `&limit=${limit}`}`,
				grant.access_token,
			);
		expect((await search(11)).status).toBe(400);
		expect((await search(50)).status).toBe(400);
		expect((await search(10)).status).toBe(200);
		expect(await (await search()).json()).toMatchObject({ albums: { limit: 5 } });
	});

	it('finds a release by UPC and ISRC only once it is visible', async () => {
		const releaseAtMs = clock.now() + 7 * DAY_MS;
		spotify.addRelease({
			albumUri: ALBUM_URI,
			upc: '00602445868162',
			isrcs: ['USUM72200001'],
			trackUris: [TRACK_URI],
			visibleFromMs: releaseAtMs,
			name: 'Out Soon',
		});
		const grant = await connect('fan-fi', ['user-library-modify']);
		const before = await api('/v1/search?q=upc:00602445868162&type=album', grant.access_token);
		expect(await before.json()).toMatchObject({ albums: { items: [], total: 0 } });

		clock.set(releaseAtMs);
		const refreshed = await token(
			{ grant_type: 'refresh_token', refresh_token: grant.refresh_token! },
			{ authorization: basic() },
		);
		const after = (await (
			await api('/v1/search?q=upc:00602445868162&type=album', refreshed.body.access_token)
		).json()) as {
			albums: { items: Array<{ uri: string; name: string }>; total: number };
		};
		expect(after.albums.total).toBe(1);
		expect(after.albums.items[0]).toMatchObject({ uri: ALBUM_URI, name: 'Out Soon' });
		const byIsrc = (await (
			await api('/v1/search?q=isrc:USUM72200001&type=track', refreshed.body.access_token)
		).json()) as {
			tracks: { items: Array<{ uri: string; external_ids: { isrc: string } }> };
		};
		expect(byIsrc.tracks.items.map((track) => track.uri)).toEqual([TRACK_URI]);
	});

	it('holds a rolling 30-second budget: 429 with Retry-After, then recovers when the clock moves', async () => {
		const grant = await connect('fan-gu', ['user-library-modify']);
		for (let index = 0; index < 20; index += 1) {
			expect((await api('/v1/me', grant.access_token)).status).toBe(200);
			clock.advance(500);
		}
		const limited = await api('/v1/me', grant.access_token);
		expect(limited.status).toBe(429);
		const retryAfterSeconds = Number(limited.headers.get('retry-after'));
		expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
		expect(retryAfterSeconds).toBeLessThanOrEqual(30);
		clock.advance(retryAfterSeconds * 1000);
		expect((await api('/v1/me', grant.access_token)).status).toBe(200);
		expect(spotify.requestsPerSecondAllowed).toBeCloseTo(20 / 30);
	});

	it('refuses the sixth distinct user of a development-mode app', async () => {
		for (const userId of ['u1', 'u2', 'u3', 'u4', 'u5']) {
			const grant = await connect(userId, ['user-library-modify']);
			expect(
				(await api(`/v1/me/library?uris=${ALBUM_URI}`, grant.access_token, 'PUT')).status,
			).toBe(200);
		}
		const sixth = await connect('u6', ['user-library-modify']);
		const refused = await api(`/v1/me/library?uris=${ALBUM_URI}`, sixth.access_token, 'PUT');
		expect(refused.status).toBe(403);
		expect(await refused.text()).toBe(SPOTIFY_UNREGISTERED_USER_MESSAGE);
		expect(spotify.library('u6')).toEqual([]);
		// A returning registered user is not a new one.
		const back = await connect('u1', ['user-library-modify']);
		expect((await api('/v1/me', back.access_token)).status).toBe(200);
	});

	it('stops every token of a user who revoked the app', async () => {
		const grant = await connect('fan-ho', ['user-library-modify']);
		spotify.revoke('fan-ho');
		const call = await api('/v1/me', grant.access_token);
		expect(call.status).toBe(401);
		const refresh = await token(
			{ grant_type: 'refresh_token', refresh_token: grant.refresh_token! },
			{ authorization: basic() },
		);
		expect(refresh).toEqual({
			status: 400,
			body: { error: 'invalid_grant', error_description: 'Refresh token revoked' },
		});
	});

	it('checks client authentication at the token endpoint', async () => {
		const code = spotify.authorizeDirect({
			userId: 'fan-iv',
			scopes: [],
			redirectUri: REDIRECT_URI,
		});
		const badSecret = await token({
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT_URI,
			client_id: CLIENT_ID,
			client_secret: 'nope',
		});
		expect(badSecret).toEqual({
			status: 400,
			body: { error: 'invalid_client', error_description: 'Invalid client secret' },
		});
		const inBody = await token({
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT_URI,
			client_id: CLIENT_ID,
			client_secret: CLIENT_SECRET,
		});
		expect(inBody.status).toBe(200);
		expect(inBody.body.refresh_token).toEqual(expect.any(String));
		const noGrant = await token({});
		expect(noGrant.body.error).toBe('unsupported_grant_type');
	});
});
