import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** The opt-in request answers with the action it recorded, so the next layer can name it as its parent. */
describe('an opt-in request', () => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		hub = await startHub({ port: 0, dataDir: database.dataDir, sealingKey: newSealingKey() });
		api = new HubApi(hub.url, await hub.createApiKey('opt-in action'));
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	it('returns its pending action, the same one when asked again, and a layer can build on it', async () => {
		const request = {
			channel: 'email',
			address: 'layered@example.com',
			wording: 'Email me about new releases.',
		};
		const first = await api.call('POST', '/v1/optins', request);
		expect(first.status).toBe(201);
		expect(first.body.action).toMatchObject({
			kind: 'optin_email',
			status: 'pending',
			fanId: first.body.fan.id,
		});

		const again = await api.call('POST', '/v1/optins', request);
		expect(again.body).toMatchObject({ created: false, action: { id: first.body.action.id } });

		const layered = await api.call('POST', '/v1/actions', {
			fanId: first.body.fan.id,
			kind: 'click',
			parentActionId: first.body.action.id,
		});
		expect(layered.status).toBe(201);
	});
});
