import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { connectFan, sandboxPlatforms } from '../support/streaming';

/** A fan who never connected Deezer has not refused anything: the marketer is told so, and nothing is recorded. */
describe('following for a fan who never connected the platform', () => {
	const clock = new SandboxClock();
	let sandbox: StreamingSandbox;
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-04T00:05:00Z'));
		sandbox = await startStreamingSandbox({ clock, spotifyDevModeUserCap: 0 });
		database = await createTestDatabase('sqlite');
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: sandboxPlatforms(sandbox),
		});
		api = new HubApi(hub.url, await hub.createApiKey('follow test'));
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('answers not_connected and records no action, so the follow counts once the fan connects', async () => {
		const fanId = (
			await api.call('POST', '/v1/fans', {
				identities: [{ channel: 'email', value: 'unlinked@example.com' }],
			})
		).body.fan.id;
		const follow = { fanId, platform: 'deezer', artistId: SANDBOX_DEMO_RELEASE.deezer.artistId };

		expect((await api.call('POST', '/v1/streaming/follow', follow)).body).toEqual({
			status: 'not_connected',
		});
		expect((await api.call('GET', `/v1/fans/${fanId}/export`)).body.actions).toEqual([]);

		const grant = await connectFan(sandbox, 'deezer', 'unlinked-fan');
		await api.call('POST', `/v1/fans/${fanId}/connections/deezer`, {
			accessToken: grant.accessToken,
			refreshToken: grant.refreshToken,
			scopes: grant.scopes,
		});
		const followed = await api.call('POST', '/v1/streaming/follow', follow);
		expect(followed.body).toMatchObject({
			status: 'done',
			action: { kind: 'follow', status: 'done' },
		});
	});
});
