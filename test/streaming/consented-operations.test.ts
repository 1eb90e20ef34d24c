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
import { consentRoundTrip } from '../support/consent-round-trip';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const PLAYLIST_URI = 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M';
const RELEASE = SANDBOX_DEMO_RELEASE;

/**
 * Every operation of the Streaming node, for fans connected the only way a real fan connects:
 * the hub's own connect link and the platform's consent screen. Each one either works or is
 * answered up front with what the platform does not allow, before the platform is asked.
 */
describe('streaming operations for a fan connected through the consent screen', () => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	const campaignIds: Record<string, string> = {};

	/** The fan a consent on `slug`'s page leads to, by the account the platform named. */
	async function connectThroughConsent(
		slug: string,
		platform: 'spotify' | 'deezer' | 'youtube',
		userId: string,
		query = '',
	): Promise<string> {
		const landed = await consentRoundTrip(
			`${hub.url}/c/${slug}/connect/${platform}${query}`,
			userId,
		);
		expect(landed.url).toContain('/layers?');
		const account = platform === 'youtube' ? channelIdOf(userId) : userId;
		return (await hub.ledger.fans.getByIdentity(platform, account)).id;
	}

	/** The scopes the hub's connect link asks the platform's consent screen for. */
	async function consentScopes(slug: string, platform: string): Promise<string[]> {
		const response = await fetch(`${hub.url}/c/${slug}/connect/${platform}`, {
			redirect: 'manual',
		});
		const location = new URL(response.headers.get('location') as string);
		return (location.searchParams.get('scope') ?? '').split(' ');
	}

	const save = (fanId: string, campaign: string, platform: string) =>
		api.call('POST', '/v1/streaming/save', {
			fanId,
			campaignId: campaignIds[campaign],
			platform,
		});
	const checkSaved = (fanId: string, campaign: string, platform: string) =>
		api.call(
			'GET',
			`/v1/streaming/saved?${new URLSearchParams({ fanId, campaignId: campaignIds[campaign], platform })}`,
		);
	const follow = (fanId: string, platform: string, target: Record<string, string>) =>
		api.call('POST', '/v1/streaming/follow', { fanId, platform, ...target });

	beforeAll(async () => {
		const port = await freePort();
		sandbox = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
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
		database = await createTestDatabase('sqlite');
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: platforms,
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('consented operations'));
		const campaigns = {
			// Names a Spotify playlist to follow, so the Spotify consent asks for the playlist scope.
			'with-playlist': {
				spotify: { albumId: RELEASE.spotify.albumUri, playlistId: PLAYLIST_URI },
				deezer: { albumId: RELEASE.deezer.albumId, artistId: RELEASE.deezer.artistId },
				youtube: { artistId: RELEASE.youtube.channelId },
			},
			'without-playlist': { spotify: { albumId: RELEASE.spotify.albumUri } },
		};
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
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	describe('Spotify (development mode)', () => {
		it('asks for the playlist scope only when the campaign names a playlist', async () => {
			expect(await consentScopes('with-playlist', 'spotify')).toEqual([
				'user-library-modify',
				'user-library-read',
				'playlist-modify-public',
			]);
			expect(await consentScopes('without-playlist', 'spotify')).toEqual([
				'user-library-modify',
				'user-library-read',
			]);
		});

		it('saves, checks the save and follows the campaign’s playlist; an artist follow is refused up front', async () => {
			const fanId = await connectThroughConsent('with-playlist', 'spotify', 'ops-spotify-1');
			expect((await save(fanId, 'with-playlist', 'spotify')).body.status).toBe('done');
			expect(sandbox.spotify.library('ops-spotify-1')).toContain(RELEASE.spotify.albumUri);
			expect((await checkSaved(fanId, 'with-playlist', 'spotify')).body).toEqual({ saved: true });
			expect((await follow(fanId, 'spotify', { playlistId: PLAYLIST_URI })).body.status).toBe(
				'done',
			);
			expect(sandbox.spotify.follows('ops-spotify-1')).toContain(PLAYLIST_URI);
			const artist = await follow(fanId, 'spotify', { artistId: RELEASE.spotify.artistUri });
			expect(artist.status).toBe(400);
			expect(artist.body.error.message).toContain('cannot follow an artist');
		});

		it('answers missing_scope for a playlist the fan’s consent does not cover, without asking Spotify, and follows once they grant it', async () => {
			const fanId = await connectThroughConsent('without-playlist', 'spotify', 'ops-spotify-2');
			const callsBefore = sandbox.spotify.api.requests.length;
			const refused = await follow(fanId, 'spotify', { playlistId: PLAYLIST_URI });
			expect(refused.status).toBe(200);
			expect(refused.body.status).toBe('missing_scope');
			expect(refused.body.action.error).toContain('playlist-modify-public');
			expect(sandbox.spotify.api.requests.slice(callsBefore)).toEqual([]);
			expect(sandbox.spotify.follows('ops-spotify-2')).toEqual([]);

			// The fan connects again through a campaign that asks for the playlist scope.
			expect(await connectThroughConsent('with-playlist', 'spotify', 'ops-spotify-2')).toBe(fanId);
			const followed = await follow(fanId, 'spotify', { playlistId: PLAYLIST_URI });
			expect(followed.body.status).toBe('done');
			expect(sandbox.spotify.follows('ops-spotify-2')).toContain(PLAYLIST_URI);
		});
	});

	describe('Deezer', () => {
		it('saves, checks the save and follows the artist; a playlist follow is refused up front', async () => {
			const fanId = await connectThroughConsent('with-playlist', 'deezer', 'ops-deezer-1');
			expect((await save(fanId, 'with-playlist', 'deezer')).body.status).toBe('done');
			expect((await checkSaved(fanId, 'with-playlist', 'deezer')).body).toEqual({ saved: true });
			expect(
				(await follow(fanId, 'deezer', { artistId: RELEASE.deezer.artistId })).body.status,
			).toBe('done');
			expect(sandbox.deezer.library('ops-deezer-1').artists).toContain(RELEASE.deezer.artistId);
			const playlist = await follow(fanId, 'deezer', { playlistId: '908622995' });
			expect(playlist.status).toBe(400);
			expect(playlist.body.error.message).toContain('cannot follow a playlist');
		});
	});

	describe('YouTube', () => {
		it('answers missing_scope for a follow the read-only consent does not cover, and subscribes once the fan ticks follow', async () => {
			const fanId = await connectThroughConsent('with-playlist', 'youtube', 'ops-youtube-1');
			const callsBefore = sandbox.youtube.server.requests.length;
			const refused = await follow(fanId, 'youtube', { artistId: RELEASE.youtube.channelId });
			expect(refused.body.status).toBe('missing_scope');
			expect(refused.body.action.error).toContain('https://www.googleapis.com/auth/youtube');
			expect(sandbox.youtube.server.requests.slice(callsBefore)).toEqual([]);

			const ticked = await connectThroughConsent(
				'with-playlist',
				'youtube',
				'ops-youtube-1',
				'?follow=1',
			);
			expect(ticked).toBe(fanId);
			// The follow layer subscribed the fan as their consent came back; asked again, it is done.
			expect(sandbox.youtube.subscriptions('ops-youtube-1')).toEqual([RELEASE.youtube.channelId]);
			expect(
				(await follow(fanId, 'youtube', { artistId: RELEASE.youtube.channelId })).body.status,
			).toBe('done');
		});

		it('refuses a save and a save check up front: YouTube has no library', async () => {
			const fanId = await connectThroughConsent('with-playlist', 'youtube', 'ops-youtube-2');
			const saved = await save(fanId, 'with-playlist', 'youtube');
			expect(saved.status).toBe(400);
			expect(saved.body.error.message).toContain('no library');
			expect((await checkSaved(fanId, 'with-playlist', 'youtube')).status).toBe(400);
		});
	});
});
