import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	AppleMusicStandIn,
	DeezerStandIn,
	SANDBOX_DEMO_RELEASE,
	YOUTUBE_SCOPE,
	YouTubeStandIn,
	generateMusicKitKey,
	signDeveloperToken,
	startStreamingSandbox,
	type MusicKitKey,
} from '../../sandbox/src/streaming';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('Apple Music stand-in', () => {
	const TEAM_ID = 'TEAMID1234';
	let clock: SandboxClock;
	let key: MusicKitKey;
	let apple: AppleMusicStandIn;

	beforeEach(async () => {
		clock = new SandboxClock();
		key = generateMusicKitKey();
		apple = new AppleMusicStandIn({
			teamId: TEAM_ID,
			keyId: key.keyId,
			publicKeyPem: key.publicKeyPem,
			clock,
		});
		apple.addRelease({
			albumId: '1620500261',
			upc: '00602445868162',
			songIds: ['1620500262'],
			isrcs: ['USUM72200001'],
			name: 'Sandbox LP',
		});
		await apple.start();
	});

	afterEach(async () => {
		await apple.stop();
	});

	function developerToken(
		overrides: Partial<Parameters<typeof signDeveloperToken>[0]> = {},
	): string {
		const nowMs = clock.now();
		return signDeveloperToken({
			privateKeyPem: key.privateKeyPem,
			keyId: key.keyId,
			teamId: TEAM_ID,
			issuedAtMs: nowMs,
			expiresAtMs: nowMs + 30 * DAY_MS,
			...overrides,
		});
	}

	function get(
		path: string,
		token: string,
		headers: Record<string, string> = {},
	): Promise<Response> {
		return fetch(`${apple.url}${path}`, {
			headers: { authorization: `Bearer ${token}`, ...headers },
		});
	}

	it('answers the catalog by UPC and ISRC to a valid developer token', async () => {
		const albums = await get('/v1/catalog/us/albums?filter[upc]=00602445868162', developerToken());
		expect(albums.status).toBe(200);
		expect(await albums.json()).toMatchObject({
			data: [
				{
					id: '1620500261',
					type: 'albums',
					attributes: { upc: '00602445868162', name: 'Sandbox LP' },
				},
			],
		});
		const songs = await get('/v1/catalog/us/songs?filter[isrc]=USUM72200001', developerToken());
		expect(await songs.json()).toMatchObject({
			data: [{ id: '1620500262', type: 'songs', attributes: { isrc: 'USUM72200001' } }],
		});
	});

	it.each([
		[
			'signed with another key',
			() =>
				signDeveloperToken({
					privateKeyPem: generateMusicKitKey().privateKeyPem,
					keyId: key.keyId,
					teamId: TEAM_ID,
					issuedAtMs: Date.now(),
					expiresAtMs: Date.now() + DAY_MS,
				}),
		],
		[
			'expired',
			() =>
				developerToken({ issuedAtMs: Date.now() - 2 * DAY_MS, expiresAtMs: Date.now() - DAY_MS }),
		],
		['longer than six months', () => developerToken({ expiresAtMs: Date.now() + 200 * DAY_MS })],
		['for another team', () => developerToken({ teamId: 'OTHERTEAM1' })],
		['for another key id', () => developerToken({ keyId: 'ABCDEFGHIJ' })],
		['not a JWT', () => 'not-a-token'],
	])('refuses a developer token %s with 401 and Apple’s error body', async (_name, make) => {
		const response = await get('/v1/catalog/us/albums?filter[upc]=00602445868162', make());
		expect(response.status).toBe(401);
		const body = (await response.json()) as { errors: Array<Record<string, string>> };
		expect(body.errors).toHaveLength(1);
		expect(body.errors[0]).toMatchObject({
			status: '401',
			title: expect.any(String),
			detail: expect.any(String),
			code: expect.any(String),
			id: expect.any(String),
		});
	});

	it('adds to the library with 202 and no body, then reads it back', async () => {
		const userToken = apple.issueMusicUserToken('fan-ada');
		const add = await fetch(
			`${apple.url}/v1/me/library?ids[albums]=1620500261&ids[songs]=1620500262`,
			{
				method: 'POST',
				headers: { authorization: `Bearer ${developerToken()}`, 'music-user-token': userToken },
			},
		);
		expect(add.status).toBe(202);
		expect(await add.text()).toBe('');
		expect(apple.library('fan-ada')).toEqual({ albums: ['1620500261'], songs: ['1620500262'] });
		type LibraryPage = {
			data: Array<{
				type: string;
				attributes: { playParams: Record<string, unknown> };
				relationships?: { catalog: { data: Array<{ id: string }> } };
			}>;
			next?: string;
		};
		const listed = (await (
			await get('/v1/me/library/albums', developerToken(), { 'music-user-token': userToken })
		).json()) as LibraryPage;
		// Apple's documented library album carries its library id only; the catalog id is a relationship.
		expect(listed.data.map((item) => item.type)).toEqual(['library-albums']);
		expect(listed.data[0].attributes.playParams).not.toHaveProperty('catalogId');
		expect(listed.data[0].relationships).toBeUndefined();
		const withCatalog = (await (
			await get('/v1/me/library/albums?include=catalog', developerToken(), {
				'music-user-token': userToken,
			})
		).json()) as LibraryPage;
		expect(withCatalog.data[0].relationships?.catalog.data.map((item) => item.id)).toEqual([
			'1620500261',
		]);
	});

	it('pages the library: 25 by default, 100 at most, with `next` while more remain', async () => {
		const userToken = apple.issueMusicUserToken('fan-pag');
		apple.seedLibrary('fan-pag', {
			albums: Array.from({ length: 30 }, (_, index) => String(1_600_000_000 + index)),
		});
		const headers = { 'music-user-token': userToken };
		const first = (await (
			await get('/v1/me/library/albums', developerToken(), headers)
		).json()) as { data: unknown[]; next?: string };
		expect(first.data).toHaveLength(25);
		expect(first.next).toBeDefined();
		const second = (await (await get(first.next!, developerToken(), headers)).json()) as {
			data: unknown[];
			next?: string;
		};
		expect(second.data).toHaveLength(5);
		expect(second.next).toBeUndefined();
		expect((await get('/v1/me/library/albums?limit=101', developerToken(), headers)).status).toBe(
			400,
		);
	});

	it('needs a live Music User Token for /me: missing, revoked and six-month-old tokens are refused', async () => {
		const path = '/v1/me/library?ids[albums]=1620500261';
		const post = (headers: Record<string, string>): Promise<Response> =>
			fetch(`${apple.url}${path}`, {
				method: 'POST',
				headers: { authorization: `Bearer ${developerToken()}`, ...headers },
			});
		expect((await post({})).status).toBe(403);
		const revoked = apple.issueMusicUserToken('fan-bo');
		apple.revokeUserToken(revoked);
		expect((await post({ 'music-user-token': revoked })).status).toBe(403);
		const aging = apple.issueMusicUserToken('fan-bo');
		expect((await post({ 'music-user-token': aging })).status).toBe(202);
		clock.advance(183 * DAY_MS);
		expect((await post({ 'music-user-token': aging })).status).toBe(403);
	});
});

describe('Deezer stand-in', () => {
	const APP_ID = '123456';
	const SECRET = 'deezer-secret';
	const REDIRECT_URI = 'http://127.0.0.1:8790/oauth/deezer/callback';
	let clock: SandboxClock;
	let deezer: DeezerStandIn;

	beforeEach(async () => {
		clock = new SandboxClock();
		deezer = new DeezerStandIn({ appId: APP_ID, secret: SECRET, redirectUri: REDIRECT_URI, clock });
		deezer.addRelease({
			albumId: '302127',
			upc: '724384960650',
			trackIds: ['3135556'],
			isrcs: ['GBDUW0000059'],
			artistId: '27',
			title: 'Discovery',
		});
		await deezer.start();
	});

	afterEach(async () => {
		await deezer.stop();
	});

	async function connect(
		userId: string,
		perms = ['manage_library', 'offline_access'],
	): Promise<string> {
		const code = deezer.authorizeDirect({ userId, perms });
		const response = await fetch(
			`${deezer.connectUrl}/oauth/access_token.php?app_id=${APP_ID}&secret=${SECRET}&code=${code}&output=json`,
		);
		const body = (await response.json()) as { access_token: string; expires: number };
		expect(body.expires).toBe(0);
		return body.access_token;
	}

	it('walks the consent page and hands out a non-expiring token for offline_access', async () => {
		const page = await fetch(
			`${deezer.connectUrl}/oauth/auth.php?app_id=${APP_ID}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&perms=manage_library,offline_access&state=xyz`,
		);
		expect(await page.text()).toContain('id="agree"');
		const decision = await fetch(`${deezer.connectUrl}/oauth/auth.php`, {
			method: 'POST',
			body: new URLSearchParams({
				app_id: APP_ID,
				redirect_uri: REDIRECT_URI,
				perms: 'manage_library,offline_access',
				state: 'xyz',
				user_id: 'fan-cy',
				decision: 'agree',
			}),
			redirect: 'manual',
		});
		const callback = new URL(decision.headers.get('location')!);
		expect(callback.searchParams.get('state')).toBe('xyz');
		const plain = await fetch(
			`${deezer.connectUrl}/oauth/access_token.php?app_id=${APP_ID}&secret=${SECRET}&code=${callback.searchParams.get('code')}`,
		);
		expect(await plain.text()).toMatch(/^access_token=[^&]+&expires=0$/);
	});

	it('saves an album (answering true) and lists it back', async () => {
		const accessToken = await connect('fan-di');
		const save = await fetch(
			`${deezer.apiUrl}/user/me/albums?album_id=302127&access_token=${accessToken}`,
			{ method: 'POST' },
		);
		expect(save.status).toBe(200);
		expect(await save.text()).toBe('true');
		const track = await fetch(
			`${deezer.apiUrl}/user/me/tracks?track_id=3135556&access_token=${accessToken}`,
			{ method: 'POST' },
		);
		expect(await track.json()).toBe(true);
		const listed = (await (
			await fetch(`${deezer.apiUrl}/user/me/albums?access_token=${accessToken}`)
		).json()) as { data: Array<{ id: number; upc: string }> };
		expect(listed.data).toEqual([expect.objectContaining({ id: 302127, upc: '724384960650' })]);
		expect(deezer.library('fan-di')).toEqual({
			albums: ['302127'],
			tracks: ['3135556'],
			artists: [],
		});
		const byUpc = await fetch(`${deezer.apiUrl}/album/upc:724384960650`);
		expect(await byUpc.json()).toMatchObject({ id: 302127, title: 'Discovery' });
	});

	it('answers a bad or revoked token with OAuthException 300 in an HTTP 200', async () => {
		const bad = await fetch(`${deezer.apiUrl}/user/me/albums?album_id=302127&access_token=nope`, {
			method: 'POST',
		});
		expect(bad.status).toBe(200);
		expect(await bad.json()).toEqual({
			error: { type: 'OAuthException', message: 'Invalid OAuth access token.', code: 300 },
		});
		const accessToken = await connect('fan-ed');
		deezer.revoke('fan-ed');
		const revoked = await fetch(
			`${deezer.apiUrl}/user/me/albums?album_id=302127&access_token=${accessToken}`,
			{ method: 'POST' },
		);
		expect(await revoked.json()).toMatchObject({ error: { code: 300 } });
		expect(deezer.library('fan-ed').albums).toEqual([]);
	});

	it('refuses the 51st request in 5 seconds with quota code 4, then lets requests through again', async () => {
		const accessToken = await connect('fan-fi');
		for (let index = 0; index < 50; index += 1) {
			const response = await fetch(`${deezer.apiUrl}/user/me/albums?access_token=${accessToken}`);
			expect(await response.json()).toHaveProperty('data');
		}
		const limited = await fetch(
			`${deezer.apiUrl}/user/me/albums?album_id=302127&access_token=${accessToken}`,
			{ method: 'POST' },
		);
		expect(await limited.json()).toEqual({
			error: { type: 'Exception', message: 'Quota limit exceeded', code: 4 },
		});
		expect(deezer.library('fan-fi').albums).toEqual([]);
		clock.advance(5000);
		const later = await fetch(
			`${deezer.apiUrl}/user/me/albums?album_id=302127&access_token=${accessToken}`,
			{ method: 'POST' },
		);
		expect(await later.json()).toBe(true);
	});
});

describe('YouTube stand-in', () => {
	const CLIENT_ID = 'yt-client.apps.googleusercontent.com';
	const CLIENT_SECRET = 'yt-secret';
	const REDIRECT_URI = 'http://127.0.0.1:8790/oauth/youtube/callback';
	let clock: SandboxClock;
	let youtube: YouTubeStandIn;

	beforeEach(async () => {
		clock = new SandboxClock();
		// Mid-morning Pacific, so the test's inserts all fall on one quota day.
		clock.set(Date.parse('2026-06-01T17:00:00Z'));
		youtube = new YouTubeStandIn({
			clientId: CLIENT_ID,
			clientSecret: CLIENT_SECRET,
			redirectUris: [REDIRECT_URI],
			clock,
		});
		await youtube.start();
	});

	afterEach(async () => {
		await youtube.stop();
	});

	async function connect(userId: string): Promise<{ access_token: string; refresh_token: string }> {
		const code = youtube.authorizeDirect({
			userId,
			scopes: [YOUTUBE_SCOPE],
			redirectUri: REDIRECT_URI,
		});
		const response = await fetch(`${youtube.url}/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				client_id: CLIENT_ID,
				client_secret: CLIENT_SECRET,
				redirect_uri: REDIRECT_URI,
			}),
		});
		expect(response.status).toBe(200);
		return (await response.json()) as { access_token: string; refresh_token: string };
	}

	function channelId(index: number): string {
		return `UC${String(index).padStart(22, '0')}`;
	}

	function subscribe(accessToken: string, channel: string): Promise<Response> {
		return fetch(`${youtube.url}/youtube/v3/subscriptions?part=snippet`, {
			method: 'POST',
			headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
			body: JSON.stringify({
				snippet: { resourceId: { kind: 'youtube#channel', channelId: channel } },
			}),
		});
	}

	it('subscribes, refuses a duplicate with subscriptionDuplicate, and refreshes tokens', async () => {
		const grant = await connect('fan-gu');
		const first = await subscribe(grant.access_token, channelId(1));
		expect(first.status).toBe(200);
		expect(await first.json()).toMatchObject({
			kind: 'youtube#subscription',
			snippet: { resourceId: { channelId: channelId(1) } },
		});
		const duplicate = await subscribe(grant.access_token, channelId(1));
		expect(duplicate.status).toBe(400);
		expect(await duplicate.json()).toMatchObject({
			error: { code: 400, errors: [{ reason: 'subscriptionDuplicate' }] },
		});
		expect(youtube.subscriptions('fan-gu')).toEqual([channelId(1)]);
		expect(youtube.quotaUsed()).toBe(100);

		const refreshed = await fetch(`${youtube.url}/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'refresh_token',
				refresh_token: grant.refresh_token,
				client_id: CLIENT_ID,
				client_secret: CLIENT_SECRET,
			}),
		});
		expect(await refreshed.json()).toMatchObject({
			token_type: 'Bearer',
			access_token: expect.any(String),
		});
	});

	it('spends the 10,000-unit day on 200 inserts, answers quotaExceeded, and resets at midnight Pacific', async () => {
		const grant = await connect('fan-ha');
		for (let index = 0; index < 200; index += 1) {
			expect((await subscribe(grant.access_token, channelId(index))).status).toBe(200);
		}
		expect(youtube.quotaUsed()).toBe(10_000);
		const refused = await subscribe(grant.access_token, channelId(200));
		expect(refused.status).toBe(403);
		expect(await refused.json()).toMatchObject({
			error: { code: 403, errors: [{ reason: 'quotaExceeded', domain: 'youtube.quota' }] },
		});
		expect(youtube.subscriptions('fan-ha')).toHaveLength(200);

		// 17:00 UTC is 10:00 PDT; midnight Pacific is 14 hours on. The access token has expired by then.
		clock.advance(14 * 60 * 60 * 1000);
		const fresh = await connect('fan-ha');
		expect((await subscribe(fresh.access_token, channelId(200))).status).toBe(200);
		expect(youtube.quotaUsed()).toBe(50);
	});
});

describe('startStreamingSandbox', () => {
	it('starts every stand-in on loopback with the demo release seeded', async () => {
		const sandbox = await startStreamingSandbox();
		try {
			for (const url of Object.values(sandbox.urls))
				expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
			const demo = SANDBOX_DEMO_RELEASE;
			const code = sandbox.spotify.authorizeDirect({
				userId: 'demo-fan',
				scopes: ['user-library-modify'],
				redirectUri: sandbox.credentials.spotify.redirectUris[0],
			});
			const token = (await (
				await fetch(`${sandbox.urls.spotifyAccounts}/api/token`, {
					method: 'POST',
					headers: {
						authorization: `Basic ${Buffer.from(`${sandbox.credentials.spotify.clientId}:${sandbox.credentials.spotify.clientSecret}`).toString('base64')}`,
					},
					body: new URLSearchParams({
						grant_type: 'authorization_code',
						code,
						redirect_uri: sandbox.credentials.spotify.redirectUris[0],
					}),
				})
			).json()) as { access_token: string };
			const search = (await (
				await fetch(`${sandbox.urls.spotifyApi}/v1/search?q=upc:${demo.upc}&type=album`, {
					headers: { authorization: `Bearer ${token.access_token}` },
				})
			).json()) as { albums: { items: Array<{ uri: string }> } };
			expect(search.albums.items.map((album) => album.uri)).toEqual([demo.spotify.albumUri]);

			const { privateKeyPem, keyId, teamId } = sandbox.credentials.appleMusic;
			const developerToken = signDeveloperToken({
				privateKeyPem,
				keyId,
				teamId,
				issuedAtMs: sandbox.clock.now(),
				expiresAtMs: sandbox.clock.now() + DAY_MS,
			});
			const apple = await fetch(
				`${sandbox.urls.appleMusic}/v1/catalog/us/albums?filter[upc]=${demo.upc}`,
				{ headers: { authorization: `Bearer ${developerToken}` } },
			);
			expect(await apple.json()).toMatchObject({ data: [{ id: demo.appleMusic.albumId }] });

			const deezer = await fetch(`${sandbox.urls.deezerApi}/album/upc:${demo.upc}`);
			expect(await deezer.json()).toMatchObject({ id: Number(demo.deezer.albumId) });
		} finally {
			await sandbox.stop();
		}
	});
});
