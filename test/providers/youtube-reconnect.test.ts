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
 * Google issues a refresh token on a fan's first consent to an app only. A fan whose grant the
 * hub cannot refresh any more goes through their reconnect link; that consent must bring a new
 * refresh token even though Google still counts the fan's earlier consent as standing.
 */
describe('a YouTube fan reconnecting through their reconnect link', () => {
	const clock = new SandboxClock();
	const userId = 'reconnect-youtube-fan';
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let fanId: string;

	const follow = (channelId: string) =>
		api.call('POST', '/v1/streaming/follow', { fanId, platform: 'youtube', artistId: channelId });

	beforeAll(async () => {
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
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
		api = new HubApi(hub.url, await hub.createApiKey('youtube reconnect'));
		for (const slug of ['reconnect-first', 'reconnect-second']) {
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

		// The fan allowed this Google client before, through a hub install that no longer holds
		// the grant: to Google their consent stands, so a plain consent brings no refresh token.
		const redirectUri = `${hubUrl}/oauth/youtube/callback`;
		const code = sandbox.youtube.authorizeDirect({ userId, scopes: [YOUTUBE_SCOPE], redirectUri });
		const earlier = await fetch(`${sandbox.urls.youtube}/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				redirect_uri: redirectUri,
				client_id: youtube.clientId,
				client_secret: youtube.clientSecret,
			}),
		});
		expect(((await earlier.json()) as { refresh_token?: string }).refresh_token).toBeDefined();

		const landed = await consentRoundTrip(
			`${hub.url}/c/reconnect-first/connect/youtube?follow=1`,
			userId,
		);
		expect(landed.url).toContain('/layers?');
		fanId = (await hub.ledger.fans.getByIdentity('youtube', channelIdOf(userId))).id;
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('gets a new refresh token from the consent screen, and keeps it through a later consent without one', async () => {
		// The pre-save's consent brought no refresh token: once the access token is gone, so is the connection.
		expect(sandbox.youtube.subscriptions(userId)).toEqual([ARTIST_CHANNEL]);
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		const lost = await follow(OTHER_CHANNEL);
		expect(lost.body.status).toBe('reconsent');

		const expiring = await api.call('GET', '/v1/connections/expiring?platform=youtube');
		const connection = expiring.body.connections.find(
			(candidate: { fanId: string }) => candidate.fanId === fanId,
		);
		expect(connection).toMatchObject({ status: 'needs_reconsent' });
		const reconnected = await consentRoundTrip(connection.reconnectUrl as string, userId);
		expect(reconnected.status).toBe(200);
		expect(reconnected.text).toContain('reconnected');

		// Only a refresh token received on reconnecting lets the hub act an hour later.
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(OTHER_CHANNEL)).body.status).toBe('done');

		// A later consent on the pre-save page (no prompt=consent) brings none; the one held stays.
		const again = await consentRoundTrip(
			`${hub.url}/c/reconnect-second/connect/youtube?follow=1`,
			userId,
		);
		expect(again.url).toContain('/layers?');
		clock.advance(ACCESS_TOKEN_LIFETIME_PASSED_MS);
		expect((await follow(THIRD_CHANNEL)).body.status).toBe('done');
		expect(sandbox.youtube.subscriptions(userId)).toEqual([
			ARTIST_CHANNEL,
			OTHER_CHANNEL,
			THIRD_CHANNEL,
		]);
	}, 60_000);
});
