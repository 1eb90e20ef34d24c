import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

const WORDING = 'Email me news about Nia Vale. Unsubscribe any time.';

/** One fan however they arrive, and nothing stored from input the hub cannot use later. */
describe.each(STORE_KINDS)('the same fan, however they arrive, on %s', (kind) => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-02T12:00:00Z'));
		messaging = await startMessagingSandbox({ clock });
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			messaging: sandboxMessaging(messaging),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('same fan'));
	});

	afterAll(async () => {
		await hub?.close();
		await messaging?.stop();
		await database?.drop();
	});

	const fanCount = async () =>
		Number((await hub.ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM fans'))?.n);

	it.each([
		['a path for a time zone', { timezone: '../../etc/passwd' }],
		[
			'an email with markup',
			{ identities: [{ channel: 'email', value: '<script>alert(1)</script>@example.com' }] },
		],
		[
			'an email with a NUL byte',
			{ identities: [{ channel: 'email', value: 'fan\u0000@example.com' }] },
		],
		['a country that is not a code', { country: '1!' }],
	])('refuses %s with a 400 and stores nothing', async (_what, overrides) => {
		const before = await fanCount();
		const response = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: `strict-${kind}@example.com` }],
			...overrides,
		});
		expect(response.status).toBe(400);
		expect(response.body.error.code).toMatch(/validation_failed|invalid_identity/);
		expect(await fanCount()).toBe(before);
	});

	it('refuses a connection whose dates are not dates', async () => {
		const fan = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: `dates-${kind}@example.com` }],
		});
		const response = await api.call('POST', `/v1/fans/${fan.body.fan.id}/connections/spotify`, {
			accessToken: 'token',
			scopes: [],
			refreshExpiresAt: 'next spring',
		});
		expect(response.status).toBe(400);
		expect((await hub.ledger.tokens.summaries(fan.body.fan.id)).length).toBe(0);
	});

	it('gives fans racing through the same opt-in one fan, with no error', async () => {
		const address = `racing-${kind}@example.com`;
		const answers = await Promise.all(
			Array.from({ length: 8 }, () =>
				api.call('POST', '/v1/optins', { channel: 'email', address, wording: WORDING }),
			),
		);
		expect(answers.map((answer) => answer.status).filter((status) => status >= 300)).toEqual([]);
		expect(
			new Set(answers.map((answer) => answer.body.fanId ?? answer.body.consent?.fanId)).size,
		).toBe(1);
		const owners = await hub.ledger.store.all<{ fan_id: string }>(
			"SELECT fan_id FROM identities WHERE channel = 'email' AND external_id = $1",
			[address],
		);
		expect(owners).toHaveLength(1);
	});

	it('gives a Telegram user pressing Start in several chats at once one fan, with no error', async () => {
		const user = {
			platform: 'telegram' as const,
			userId: kind === 'sqlite' ? '700100' : '700200',
			locale: 'en',
		};
		const results = await Promise.all(
			Array.from({ length: 8 }, () => hub.services.community.desk.start(user)),
		);
		expect(results.map((result) => result.outcome)).toEqual(Array(8).fill('linked'));
		const owners = await hub.ledger.store.all<{ fan_id: string }>(
			"SELECT fan_id FROM identities WHERE channel = 'telegram' AND external_id = $1",
			[user.userId],
		);
		expect(owners).toHaveLength(1);
		expect(
			new Set(results.map((result) => (result.outcome === 'linked' ? result.fanId : undefined))),
		).toEqual(new Set([owners[0].fan_id]));
	});
});
