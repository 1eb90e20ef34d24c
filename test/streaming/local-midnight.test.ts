import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { presaveThroughConsent } from '../support/consent-round-trip';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

/** Fans in three zones, each converted at midnight of the release date where they are. */
const ZONES = [
	{ name: 'auckland', timezone: 'Pacific/Auckland', midnightUtc: '2026-12-03T11:00:00Z' },
	{ name: 'berlin', timezone: 'Europe/Berlin', midnightUtc: '2026-12-03T23:00:00Z' },
	{ name: 'new-york', timezone: 'America/New_York', midnightUtc: '2026-12-04T05:00:00Z' },
] as const;

describe.each(STORE_KINDS)('a local-midnight release on %s', (kind) => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	const slug = `midnight-${kind}`;
	const user = (name: string) => `midnight-${name}-${kind}`;
	const saved = (name: string) =>
		sandbox.deezer
			.library(user(name))
			.albums.filter((id) => String(id) === SANDBOX_DEMO_RELEASE.deezer.albumId).length;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-02T12:00:00Z'));
		const port = await freePort();
		sandbox = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
		});
		messaging = await startMessagingSandbox({ clock });
		database = await createTestDatabase(kind);
		hub = await startHub({
			messaging: sandboxMessaging(messaging),
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: sandboxPlatforms(sandbox),
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('local midnight'));
		const created = await api.call('POST', '/v1/campaigns', {
			slug,
			artist: 'Nia Vale',
			title: 'Glass Harbour',
			releaseAtUtc: '2026-12-04T00:00:00Z',
			timezone: 'UTC',
			localMidnight: true,
			platforms: { deezer: { albumId: SANDBOX_DEMO_RELEASE.deezer.albumId } },
		});
		expect(created.status).toBe(200);
		for (const zone of ZONES) {
			await presaveThroughConsent(hub.url, slug, 'deezer', user(zone.name));
			// The marketer's workflow adds what it knows of the fan: their time zone.
			const fan = await api.call('POST', '/v1/fans', {
				identities: [{ channel: 'deezer', value: user(zone.name) }],
				timezone: zone.timezone,
			});
			expect(fan.status).toBe(200);
		}
		// A zone stored before zones were checked: this fan falls back to the campaign's zone (UTC).
		await presaveThroughConsent(hub.url, slug, 'deezer', user('bad-zone'));
		const badZone = await hub.ledger.fans.getByIdentity('deezer', user('bad-zone'));
		await hub.ledger.store.run('UPDATE fans SET timezone = $2 WHERE id = $1', [
			badZone.id,
			'../../etc/passwd',
		]);
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await messaging?.stop();
		await database?.drop();
	});

	it('converts each fan at their own midnight, and a fan with a broken zone at the campaign’s', async () => {
		const started = await api.call('POST', `/v1/campaigns/${slug}/conversions`, {});
		expect(started.status).toBe(202);
		const jobId = started.body.jobId as string;
		const job = () => api.call('GET', `/v1/jobs/${jobId}`).then((response) => response.body);
		// The clock moves only between passes: a pass still running when it jumps would set its
		// next run a minute after the new time, which the frozen clock never reaches.
		const passEnded = () =>
			eventually('the pass to end', async () =>
				(await job()).status !== 'running' ? true : undefined,
			);
		await eventually('the first pass', async () =>
			(await job()).progress?.passes >= 1 ? true : undefined,
		);
		await passEnded();
		expect((await job()).progress).toMatchObject({ converted: 0, waiting: 4 });

		const steps: { atUtc: string; savedNow: string[] }[] = [
			{ atUtc: '2026-12-03T11:30:00Z', savedNow: ['auckland'] },
			{ atUtc: '2026-12-03T23:30:00Z', savedNow: ['auckland', 'berlin'] },
			{ atUtc: '2026-12-04T00:30:00Z', savedNow: ['auckland', 'berlin', 'bad-zone'] },
			{ atUtc: '2026-12-04T05:30:00Z', savedNow: ['auckland', 'berlin', 'bad-zone', 'new-york'] },
		];
		for (const step of steps) {
			// Just before the next zone's midnight nothing more is saved; the job's next pass is due a minute later.
			clock.set(Date.parse(step.atUtc));
			await eventually(`the saves at ${step.atUtc}`, () =>
				step.savedNow.every((name) => saved(name) === 1) ? true : undefined,
			);
			const waitingFor = ['auckland', 'berlin', 'bad-zone', 'new-york'].filter(
				(name) => !step.savedNow.includes(name),
			);
			for (const name of waitingFor) expect(saved(name)).toBe(0);
			await passEnded();
		}
		const done = await eventually('the job to finish', async () => {
			const current = await job();
			return current.status === 'done' ? current : undefined;
		});
		expect(done.progress).toMatchObject({ converted: 4, waiting: 0, failed: 0 });
		// Each save was recorded at the first pass after the fan's own midnight, not before.
		for (const zone of ZONES) {
			const fan = await hub.ledger.fans.getByIdentity('deezer', user(zone.name));
			const save = (await hub.ledger.exportFan(fan.id)).actions.find(
				(action) => action.kind === 'save',
			);
			expect(Date.parse(save!.createdAt)).toBeGreaterThanOrEqual(Date.parse(zone.midnightUtc));
		}
	}, 120_000);

	it('answers a message to the fan with a broken stored zone instead of failing', async () => {
		const fan = await hub.ledger.fans.getByIdentity('deezer', user('bad-zone'));
		const address = `${user('bad-zone')}@example.com`;
		const requested = await api.call('POST', '/v1/optins', {
			channel: 'email',
			address,
			fanId: fan.id,
			wording: 'Email me news about Nia Vale. Unsubscribe any time.',
		});
		expect(requested.status).toBeLessThan(300);
		const mail = await messaging.smtp.waitFor((email) => email.to.includes(address), 10_000);
		const token = new URL(
			mail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)![0],
		).searchParams.get('token');
		expect((await api.call('POST', '/v1/optins/confirm', { token })).status).toBe(200);

		const sent = await api.call('POST', '/v1/messages', {
			fanId: fan.id,
			channel: 'email',
			text: 'Out now!',
			subject: 'Out now',
		});
		expect(sent.status).toBe(200);
		// The broken zone counts as none: quiet hours are judged without it.
		expect(['sent', 'scheduled']).toContain(sent.body.status);
	});
});
