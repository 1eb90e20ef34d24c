/**
 * The one test of the API path into release day: a pre-save recorded with POST /v1/actions
 * and a connection handed over with POST /v1/fans/:id/connections/:platform, as a marketer's
 * own pre-save tool would (its grant made with the stand-in's authorization shortcut: what
 * that tool's OAuth would have produced). Every other release-day test gets its fans from
 * the pre-save page and the platforms' consent screens.
 */
import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { connectFan, sandboxPlatforms } from '../support/streaming';

describe.each(STORE_KINDS)('a pre-save recorded through the API on %s', (kind) => {
	const clock = new SandboxClock();
	let sandbox: StreamingSandbox;
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-03T20:00:00Z'));
		sandbox = await startStreamingSandbox({ clock, spotifyDevModeUserCap: 0 });
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: sandboxPlatforms(sandbox),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('api path test'));
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('is converted on release day like a page pre-save, once, even when recorded as done', async () => {
		const campaign = await api.call('POST', '/v1/campaigns', {
			slug: `api-path-${kind}`,
			artist: SANDBOX_DEMO_RELEASE.artistName,
			title: SANDBOX_DEMO_RELEASE.title,
			releaseAtUtc: '2026-12-04T00:00:00Z',
			upc: SANDBOX_DEMO_RELEASE.upc,
		});
		const campaignId = campaign.body.campaign.id as string;
		const userId = `api-path-${kind}`;
		const fan = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: `${userId}@example.com` }],
		});
		const fanId = fan.body.fan.id as string;
		const grant = await connectFan(sandbox, 'spotify', userId);
		const connected = await api.call('POST', `/v1/fans/${fanId}/connections/spotify`, {
			accessToken: grant.accessToken,
			refreshToken: grant.refreshToken,
			scopes: grant.scopes,
			accessExpiresAt: new Date(grant.accessExpiresAtMs!).toISOString(),
			refreshExpiresAt: new Date(grant.refreshExpiresAtMs!).toISOString(),
		});
		expect(connected.status).toBeLessThan(300);
		const presave = await api.call('POST', '/v1/actions', {
			fanId,
			campaignId,
			kind: 'presave',
			platform: 'spotify',
			status: 'done',
			verification: 'hard',
		});
		expect(presave.status).toBe(201);
		// Only release day says a pre-save is converted: a given "done" waits like any other.
		expect(presave.body.action).toMatchObject({ status: 'pending' });

		clock.set(Date.parse('2026-12-04T00:05:00Z'));
		const started = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {});
		const job = await eventually('the conversion job', async () => {
			const read = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
			return read.body.status === 'done' ? read.body : undefined;
		});
		expect(job.progress).toMatchObject({ converted: 1, reconsent: 0, failed: 0, waiting: 0 });
		expect(
			sandbox.spotify
				.library(userId)
				.filter((uri) => uri === SANDBOX_DEMO_RELEASE.spotify.albumUri),
		).toHaveLength(1);
		expect((await api.call('GET', `/v1/actions/${presave.body.action.id}`)).body).toMatchObject({
			status: 'done',
			verification: 'hard',
		});
	});
});
