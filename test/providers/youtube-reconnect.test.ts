import { startHub, type RunningHub } from '../../hub/src';
import { YouTubePlatform } from '../../hub/src/providers/youtube';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	startStreamingSandbox,
	YOUTUBE_SCOPE,
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

/** Past Google's one-hour access token: the next call needs the refresh token. */
const ACCESS_TOKEN_LIFETIME_PASSED_MS = 2 * 3_600_000;
/** A channel id shaped like YouTube's: UC and 22 characters. */
const channel = (name: string) => `UC${name.padEnd(22, '0').slice(0, 22)}`;
const ARTIST_CHANNEL = channel('reconnectArtist');
const OTHER_CHANNEL = channel('reconnectOther');
const THIRD_CHANNEL = channel('reconnectThird');

/**
 * Google issues a refresh token on a fan's first consent to an app only. Whenever the hub
 * holds none that works for a fan, the consent it asks for must bring one, even though Google
 * still counts the fan's earlier consent as standing: it asks Google to show the consent screen
 * anew (prompt=consent), and keeps the token through later consents that bring none.
 */
describe('a YouTube fan whose earlier consent still stands at Google', () => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let hubUrl: string;

	const follow = (fanId: string, channelId: string) =>
		api.call('POST', '/v1/streaming/follow', { fanId, platform: 'youtube', artistId: channelId });

	/** The consent screens the fan's browser was sent to since `from`, with the prompt each asked for. */
	const consentScreensSince = (from: number) =>
		sandbox.youtube.server.requests
			.slice(from)
			.filter((request) => request.method === 'GET' && request.path === '/o/oauth2/v2/auth')
			.map((request) => request.query.get('prompt'));

	/**
	 * The fan allowed this Google client before, through a tool that is not this hub (or an
	 * install of it that no longer holds the grant): to Google their consent stands. Answers the
	 * access token that consent gave that tool.
	 */
	async function consentElsewhere(userId: string): Promise<string> {
		const { youtube } = sandbox.credentials;
		const redirectUri = `${hubUrl}/oauth/youtube/callback`;
		const code = sandbox.youtube.authorizeDirect({ userId, scopes: [YOUTUBE_SCOPE], redirectUri });
		const response = await fetch(`${sandbox.urls.youtube}/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				redirect_uri: redirectUri,
				client_id: youtube.clientId,
				client_secret: youtube.clientSecret,
			}),
		});
		const issued = (await response.json()) as { access_token: string; refresh_token?: string };
		expect(issued.refresh_token).toBeDefined();
		return issued.access_token;
	}

	beforeAll(async () => {
		const port = await freePort();
		hubUrl = `http://127.0.0.1:${port}`;
		sandbox = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(hubUrl),
			seedDemoRelease: false,
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
		api = new HubApi(hub.url, await hub.createApiKey('youtube refresh tokens'));
		for (const slug of ['youtube-first', 'youtube-second']) {
			const created = await api.call('POST', '/v1/campaigns', {
				slug,
				artist: 'Nia Vale',
				title: 'Glass Harbour',
				releaseAtUtc: new Date(clock.now() + 30 * 24 * 3_600_000).toISOString(),
				platforms: { youtube: { artistId: ARTIST_CHANNEL } },
				layers: ['follow'],
			});
			expect(created.status).toBe(200);
		}
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('pre-saving: the hub asks once more with the consent screen shown anew, then keeps the refresh token through a later consent', async () => {
		const userId = 'presave-youtube-fan';
		await consentElsewhere(userId);
		const before = sandbox.youtube.server.requests.length;
		const landed = await consentRoundTrip(
			`${hub.url}/c/youtube-first/connect/youtube?follow=1`,
			userId,
		);
		expect(landed.url).toContain('/layers?');
		// The first consent came back without a refresh token, and the hub held none for this fan.
		expect(consentScreensSince(before)).toEqual([null, 'consent']);
		const fanId = (await hub.ledger.fans.getByIdentity('youtube', channelIdOf(userId))).id;

		// Only a refresh token lets the hub act once Google's one-hour access token is gone.
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(fanId, OTHER_CHANNEL)).body.status).toBe('done');

		// A later consent brings none and asks nothing more: the one the hub holds stays.
		const later = sandbox.youtube.server.requests.length;
		const again = await consentRoundTrip(
			`${hub.url}/c/youtube-second/connect/youtube?follow=1`,
			userId,
		);
		expect(again.url).toContain('/layers?');
		expect(consentScreensSince(later)).toEqual([null]);
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(fanId, THIRD_CHANNEL)).body.status).toBe('done');
		expect(sandbox.youtube.subscriptions(userId)).toEqual([
			ARTIST_CHANNEL,
			OTHER_CHANNEL,
			THIRD_CHANNEL,
		]);
	}, 60_000);

	it('reconnecting: the reconnect link shows the consent screen anew at once, and the new refresh token keeps the connection working', async () => {
		const userId = 'reconnect-youtube-fan';
		const accessToken = await consentElsewhere(userId);
		// The connection was imported from that tool, which kept no refresh token.
		const fan = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'youtube', value: channelIdOf(userId) }],
		});
		const fanId = fan.body.fan.id as string;
		const imported = await api.call('POST', `/v1/fans/${fanId}/connections/youtube`, {
			accessToken,
			scopes: [YOUTUBE_SCOPE],
			accessExpiresAt: new Date(clock.now() + 3_599_000).toISOString(),
		});
		expect(imported.status).toBe(204);
		expect((await follow(fanId, ARTIST_CHANNEL)).body.status).toBe('done');
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(fanId, OTHER_CHANNEL)).body.status).toBe('reconsent');

		const expiring = await api.call('GET', '/v1/connections/expiring?platform=youtube');
		const connection = expiring.body.connections.find(
			(candidate: { fanId: string }) => candidate.fanId === fanId,
		);
		expect(connection).toMatchObject({ status: 'needs_reconsent' });
		const before = sandbox.youtube.server.requests.length;
		const reconnected = await consentRoundTrip(connection.reconnectUrl as string, userId);
		expect(reconnected.status).toBe(200);
		expect(reconnected.text).toContain('reconnected');
		expect(consentScreensSince(before)).toEqual(['consent']);

		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(fanId, OTHER_CHANNEL)).body.status).toBe('done');
		expect(sandbox.youtube.subscriptions(userId)).toEqual([ARTIST_CHANNEL, OTHER_CHANNEL]);
	}, 60_000);
});
