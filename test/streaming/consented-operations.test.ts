import { startHub, type RunningHub } from '../../hub/src';
import { YouTubePlatform } from '../../hub/src/providers/youtube';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { channelIdOf } from '../../sandbox/src/streaming/youtube';
import { freePort } from '../n8n/harness';
import { consentRoundTrip, musicKitRoundTrip } from '../support/consent-round-trip';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const PLAYLIST_URI = 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M';
const RELEASE = SANDBOX_DEMO_RELEASE;

/** A hub on the streaming stand-ins, with the campaigns the tests connect fans through. */
class ConsentHub {
	private constructor(
		readonly sandbox: StreamingSandbox,
		readonly hub: RunningHub,
		private readonly database: TestDatabase,
		private readonly api: HubApi,
		private readonly campaignIds: Record<string, string>,
	) {}

	/** `spotifyDevModeUserCap` 0 makes the Spotify stand-in, and the hub's adapter, an extended-quota app. */
	static async start(spotifyDevModeUserCap?: number): Promise<ConsentHub> {
		const clock = new SandboxClock();
		const port = await freePort();
		const sandbox = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
			spotifyDevModeUserCap,
		});
		const { youtube } = sandbox.credentials;
		const platforms = sandboxPlatforms(sandbox);
		platforms.set(
			'youtube',
			new YouTubePlatform({
				clientId: youtube.clientId,
				clientSecret: youtube.clientSecret,
				tokenUrl: `${sandbox.urls.youtube}/token`,
				apiUrl: sandbox.urls.youtube,
				clock: () => clock.now(),
			}),
		);
		const database = await createTestDatabase('sqlite');
		const hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: platforms,
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
			jobs: { pollMs: 20 },
		});
		const api = new HubApi(hub.url, await hub.createApiKey('consented operations'));
		const campaigns = {
			// Names a Spotify playlist to follow, so the Spotify consent asks for the playlist scope.
			'with-playlist': {
				spotify: {
					albumId: RELEASE.spotify.albumUri,
					artistId: RELEASE.spotify.artistUri,
					playlistId: PLAYLIST_URI,
				},
				deezer: { albumId: RELEASE.deezer.albumId, artistId: RELEASE.deezer.artistId },
				apple_music: { albumId: RELEASE.appleMusic.albumId },
				youtube: { artistId: RELEASE.youtube.channelId },
			},
			'without-playlist': { spotify: { albumId: RELEASE.spotify.albumUri } },
		};
		const campaignIds: Record<string, string> = {};
		for (const [slug, campaignPlatforms] of Object.entries(campaigns)) {
			const created = await api.call('POST', '/v1/campaigns', {
				slug,
				artist: RELEASE.artistName,
				title: RELEASE.title,
				releaseAtUtc: new Date(clock.now() - 3_600_000).toISOString(),
				platforms: campaignPlatforms,
				layers: ['follow'],
			});
			expect(created.status).toBe(200);
			campaignIds[slug] = created.body.campaign.id;
		}
		return new ConsentHub(sandbox, hub, database, api, campaignIds);
	}

	async stop(): Promise<void> {
		await this.hub.close();
		await this.sandbox.stop();
		await this.database.drop();
	}

	/** The fan a consent on `slug`'s page leads to, by the account the platform named. */
	async connect(
		slug: string,
		platform: 'spotify' | 'deezer' | 'youtube',
		userId: string,
		query = '',
	): Promise<string> {
		const landed = await consentRoundTrip(
			`${this.hub.url}/c/${slug}/connect/${platform}${query}`,
			userId,
		);
		expect(landed.url).toContain('/layers?');
		const account = platform === 'youtube' ? channelIdOf(userId) : userId;
		return (await this.hub.ledger.fans.getByIdentity(platform, account)).id;
	}

	/** The fan an Apple Music connect on `slug`'s page leads to (Apple names no account: the only one connected). */
	async connectAppleMusic(slug: string, userId: string): Promise<string> {
		const landed = await musicKitRoundTrip(`${this.hub.url}/c/${slug}/connect/apple_music`, userId);
		expect(landed.url).toContain('/layers?');
		const fans = await this.hub.ledger.store.all<{ fan_id: string }>(
			"SELECT fan_id FROM tokens WHERE platform = 'apple_music'",
		);
		expect(fans).toHaveLength(1);
		return fans[0].fan_id;
	}

	/** The scopes the hub's connect link asks the platform's consent screen for. */
	async consentScopes(slug: string, platform: string, query = ''): Promise<string[]> {
		const response = await fetch(`${this.hub.url}/c/${slug}/connect/${platform}${query}`, {
			redirect: 'manual',
		});
		const location = new URL(response.headers.get('location') as string);
		return (location.searchParams.get('scope') ?? '').split(' ');
	}

	save(fanId: string, campaign: string, platform: string) {
		return this.api.call('POST', '/v1/streaming/save', {
			fanId,
			campaignId: this.campaignIds[campaign],
			platform,
		});
	}

	checkSaved(fanId: string, campaign: string, platform: string) {
		const query = new URLSearchParams({ fanId, campaignId: this.campaignIds[campaign], platform });
		return this.api.call('GET', `/v1/streaming/saved?${query}`);
	}

	/** A connection imported from another tool (`POST /v1/fans/{id}/connections/…`), with the scopes it names. */
	async importConnection(userId: string, platform: 'spotify', scopes: string[]): Promise<string> {
		const fan = await this.api.call('POST', '/v1/fans', {
			identities: [{ channel: platform, value: userId }],
		});
		const fanId = fan.body.fan.id as string;
		const imported = await this.api.call('POST', `/v1/fans/${fanId}/connections/${platform}`, {
			accessToken: 'imported-access-token',
			scopes,
		});
		expect(imported.status).toBe(204);
		return fanId;
	}

	/** The fan's reconnect link, once the hub lists their connection as needing a new consent. */
	async reconnectUrlOf(fanId: string, platform: string): Promise<string> {
		const expiring = await this.api.call('GET', `/v1/connections/expiring?platform=${platform}`);
		const connection = (
			expiring.body.connections as Array<{ fanId: string; status: string; reconnectUrl: string }>
		).find((candidate) => candidate.fanId === fanId);
		expect(connection?.status).toBe('needs_reconsent');
		return connection!.reconnectUrl;
	}

	follow(fanId: string, platform: string, target: Record<string, string>) {
		return this.api.call('POST', '/v1/streaming/follow', { fanId, platform, ...target });
	}
}

/**
 * Every operation of the Streaming node, for fans connected the only way a real fan connects:
 * the hub's own connect link and the platform's consent screen. Each one either works or is
 * answered up front with what the platform does not allow, before the platform is asked.
 */
describe('streaming operations for a fan connected through the consent screen', () => {
	let consent: ConsentHub;
	let sandbox: StreamingSandbox;

	beforeAll(async () => {
		consent = await ConsentHub.start();
		sandbox = consent.sandbox;
	});

	afterAll(async () => {
		await consent?.stop();
	});

	describe('Spotify (development mode)', () => {
		it('asks for the playlist scope only when the campaign names a playlist', async () => {
			expect(await consent.consentScopes('with-playlist', 'spotify')).toEqual([
				'user-library-modify',
				'user-library-read',
				'playlist-modify-public',
			]);
			expect(await consent.consentScopes('without-playlist', 'spotify')).toEqual([
				'user-library-modify',
				'user-library-read',
			]);
		});

		it('saves, checks the save and follows the campaign’s playlist; an artist follow is refused up front', async () => {
			const fanId = await consent.connect('with-playlist', 'spotify', 'ops-spotify-1');
			expect((await consent.save(fanId, 'with-playlist', 'spotify')).body.status).toBe('done');
			expect(sandbox.spotify.library('ops-spotify-1')).toContain(RELEASE.spotify.albumUri);
			expect((await consent.checkSaved(fanId, 'with-playlist', 'spotify')).body).toEqual({
				saved: true,
			});
			expect(
				(await consent.follow(fanId, 'spotify', { playlistId: PLAYLIST_URI })).body.status,
			).toBe('done');
			expect(sandbox.spotify.follows('ops-spotify-1')).toContain(PLAYLIST_URI);
			const artist = await consent.follow(fanId, 'spotify', {
				artistId: RELEASE.spotify.artistUri,
			});
			expect(artist.status).toBe(400);
			expect(artist.body.error.message).toContain('cannot follow an artist');
		});

		it('answers missing_scope for a playlist the fan’s consent does not cover, without asking Spotify, and follows once they grant it', async () => {
			const fanId = await consent.connect('without-playlist', 'spotify', 'ops-spotify-2');
			const callsBefore = sandbox.spotify.api.requests.length;
			const refused = await consent.follow(fanId, 'spotify', { playlistId: PLAYLIST_URI });
			expect(refused.status).toBe(200);
			expect(refused.body.status).toBe('missing_scope');
			expect(refused.body.action.error).toContain('playlist-modify-public');
			expect(sandbox.spotify.api.requests.slice(callsBefore)).toEqual([]);
			expect(sandbox.spotify.follows('ops-spotify-2')).toEqual([]);

			// The fan connects again through a campaign that asks for the playlist scope.
			expect(await consent.connect('with-playlist', 'spotify', 'ops-spotify-2')).toBe(fanId);
			const followed = await consent.follow(fanId, 'spotify', { playlistId: PLAYLIST_URI });
			expect(followed.body.status).toBe('done');
			expect(sandbox.spotify.follows('ops-spotify-2')).toContain(PLAYLIST_URI);
		});
	});

	describe('a Spotify connection imported without the read scope', () => {
		it('answers a save check with 409 missing_scope, naming the scope, without asking Spotify', async () => {
			const fanId = await consent.importConnection('ops-imported-1', 'spotify', [
				'user-library-modify',
			]);
			const callsBefore = sandbox.spotify.api.requests.length;
			const refused = await consent.checkSaved(fanId, 'with-playlist', 'spotify');
			expect(refused.status).toBe(409);
			expect(refused.body.error).toMatchObject({
				code: 'missing_scope',
				message: expect.stringContaining('user-library-read'),
			});
			expect(sandbox.spotify.api.requests.slice(callsBefore)).toEqual([]);
		});
	});

	describe('Deezer', () => {
		it('saves, checks the save and follows the artist; a playlist follow is refused up front', async () => {
			const fanId = await consent.connect('with-playlist', 'deezer', 'ops-deezer-1');
			expect((await consent.save(fanId, 'with-playlist', 'deezer')).body.status).toBe('done');
			expect((await consent.checkSaved(fanId, 'with-playlist', 'deezer')).body).toEqual({
				saved: true,
			});
			expect(
				(await consent.follow(fanId, 'deezer', { artistId: RELEASE.deezer.artistId })).body.status,
			).toBe('done');
			expect(sandbox.deezer.library('ops-deezer-1').artists).toContain(RELEASE.deezer.artistId);
			const playlist = await consent.follow(fanId, 'deezer', { playlistId: '908622995' });
			expect(playlist.status).toBe(400);
			expect(playlist.body.error.message).toContain('cannot follow a playlist');
		});
	});

	describe('Apple Music', () => {
		it('saves and checks the save; a follow is refused up front: Apple has no follow API', async () => {
			const fanId = await consent.connectAppleMusic('with-playlist', 'ops-apple-1');
			expect((await consent.save(fanId, 'with-playlist', 'apple_music')).body.status).toBe('done');
			expect((await consent.checkSaved(fanId, 'with-playlist', 'apple_music')).body).toEqual({
				saved: true,
			});
			const targets: Array<Record<string, string>> = [
				{ artistId: '1439433525' },
				{ playlistId: 'pl.u-8aAVZAaCoyGqX' },
			];
			for (const target of targets) {
				const refused = await consent.follow(fanId, 'apple_music', target);
				expect(refused.status).toBe(400);
				expect(refused.body.error.message).toContain('apple_music cannot follow');
			}
		});
	});

	describe('YouTube', () => {
		it('answers missing_scope for a follow the read-only consent does not cover, and subscribes once the fan ticks follow', async () => {
			const fanId = await consent.connect('with-playlist', 'youtube', 'ops-youtube-1');
			const callsBefore = sandbox.youtube.server.requests.length;
			const refused = await consent.follow(fanId, 'youtube', {
				artistId: RELEASE.youtube.channelId,
			});
			expect(refused.body.status).toBe('missing_scope');
			expect(refused.body.action.error).toContain('https://www.googleapis.com/auth/youtube');
			expect(sandbox.youtube.server.requests.slice(callsBefore)).toEqual([]);

			const ticked = await consent.connect(
				'with-playlist',
				'youtube',
				'ops-youtube-1',
				'?follow=1',
			);
			expect(ticked).toBe(fanId);
			// The follow layer subscribed the fan as their consent came back; asked again, it is done.
			expect(sandbox.youtube.subscriptions('ops-youtube-1')).toEqual([RELEASE.youtube.channelId]);
			expect(
				(await consent.follow(fanId, 'youtube', { artistId: RELEASE.youtube.channelId })).body
					.status,
			).toBe('done');
		});

		it('refuses a save and a save check up front: YouTube has no library', async () => {
			const fanId = await consent.connect('with-playlist', 'youtube', 'ops-youtube-2');
			const saved = await consent.save(fanId, 'with-playlist', 'youtube');
			expect(saved.status).toBe(400);
			expect(saved.body.error.message).toContain('no library');
			expect((await consent.checkSaved(fanId, 'with-playlist', 'youtube')).status).toBe(400);
		});
	});
});

/** An extended-quota Spotify app keeps the artist follow endpoint, behind its own scope. */
describe('Spotify artist follow for a fan connected through the consent screen (extended quota)', () => {
	let consent: ConsentHub;

	beforeAll(async () => {
		consent = await ConsentHub.start(0);
	});

	afterAll(async () => {
		await consent?.stop();
	});

	it('asks for the artist follow scope only when the fan ticks follow', async () => {
		expect(await consent.consentScopes('with-playlist', 'spotify', '?follow=1')).toContain(
			'user-follow-modify',
		);
		expect(await consent.consentScopes('with-playlist', 'spotify')).not.toContain(
			'user-follow-modify',
		);
	});

	it('answers missing_scope to a fan who did not tick follow, and follows for one who did', async () => {
		const unticked = await consent.connect('with-playlist', 'spotify', 'ops-extended-1');
		const callsBefore = consent.sandbox.spotify.api.requests.length;
		const refused = await consent.follow(unticked, 'spotify', {
			artistId: RELEASE.spotify.artistUri,
		});
		expect(refused.body.status).toBe('missing_scope');
		expect(refused.body.action.error).toContain('user-follow-modify');
		expect(consent.sandbox.spotify.api.requests.slice(callsBefore)).toEqual([]);

		// The follow layer follows as the consent comes back; asked again, it is done.
		const ticked = await consent.connect('with-playlist', 'spotify', 'ops-extended-2', '?follow=1');
		expect(consent.sandbox.spotify.follows('ops-extended-2')).toContain(RELEASE.spotify.artistUri);
		const followed = await consent.follow(ticked, 'spotify', {
			artistId: RELEASE.spotify.artistUri,
		});
		expect(followed.body.status).toBe('done');
	});

	it('asks a reconnecting fan for the follow scope they had granted, so the reconnect narrows nothing', async () => {
		const fanId = await consent.connect('with-playlist', 'spotify', 'ops-extended-3', '?follow=1');
		consent.sandbox.spotify.revoke('ops-extended-3');
		// The next call to Spotify finds the grant revoked: the connection needs a new consent.
		const save = await consent.save(fanId, 'with-playlist', 'spotify');
		expect(save.body.status).toBe('reconsent');

		const authorizeCalls = consent.sandbox.spotify.accounts.requests.length;
		const reconnected = await consentRoundTrip(
			await consent.reconnectUrlOf(fanId, 'spotify'),
			'ops-extended-3',
		);
		expect(reconnected.text).toContain('reconnected');
		const asked = consent.sandbox.spotify.accounts.requests
			.slice(authorizeCalls)
			.find((request) => request.method === 'GET' && request.path === '/authorize');
		expect(asked?.query.get('scope')?.split(' ')).toContain('user-follow-modify');
		expect(await consent.hub.ledger.tokens.grantedScopes(fanId, 'spotify')).toContain(
			'user-follow-modify',
		);
	});
});
