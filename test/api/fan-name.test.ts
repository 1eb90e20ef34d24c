import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

describe.each(STORE_KINDS)("a fan's name (%s)", (kind) => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
		});
		api = new HubApi(hub.url, await hub.createApiKey('fan name'));
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	it('is stored, kept when an update leaves it out, exported, and erased with the fan', async () => {
		const email = { channel: 'email', value: 'mia@example.com' };
		const created = await api.call('POST', '/v1/fans', { identities: [email], name: ' Mia ' });
		expect(created.body.fan.name).toBe('Mia');
		const fanId = created.body.fan.id;

		const updated = await api.call('POST', '/v1/fans', {
			identities: [email],
			timezone: 'Europe/Berlin',
		});
		expect(updated.body.fan).toMatchObject({ id: fanId, name: 'Mia', timezone: 'Europe/Berlin' });
		expect((await api.call('GET', `/v1/fans/${fanId}`)).body.name).toBe('Mia');
		expect((await api.call('GET', `/v1/fans/${fanId}/export`)).body.fan.name).toBe('Mia');

		await api.call('DELETE', `/v1/fans/${fanId}`);
		const row = await hub.ledger.store.get<{ name: string | null }>(
			'SELECT name FROM fans WHERE id = $1',
			[fanId],
		);
		expect(row?.name).toBeNull();
	});

	it('refuses an empty name', async () => {
		const refused = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: 'nameless@example.com' }],
			name: '  ',
		});
		expect(refused.status).toBe(400);
		expect(refused.body.error.message).toContain('name');
	});
});
