import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** A marketer types the slug they chose; every field that names a campaign takes it as well as the id. */
describe('a campaign named by its slug', () => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;
	let campaignId: string;
	let fanId: string;

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		hub = await startHub({ port: 0, dataDir: database.dataDir, sealingKey: newSealingKey() });
		api = new HubApi(hub.url, await hub.createApiKey('slugs'));
		const campaign = await api.call('POST', '/v1/campaigns', {
			slug: 'mia-neon-nights',
			artist: 'Mia',
			title: 'Neon Nights',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		});
		campaignId = campaign.body.campaign.id;
		fanId = (
			await api.call('POST', '/v1/fans', {
				identities: [{ channel: 'email', value: 'mia.fan@example.com' }],
			})
		).body.fan.id;
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	it('records an action under the campaign id', async () => {
		const recorded = await api.call('POST', '/v1/actions', {
			fanId,
			campaignId: 'mia-neon-nights',
			kind: 'click',
		});
		expect(recorded.status).toBe(201);
		expect(recorded.body.action.campaignId).toBe(campaignId);
	});

	it('finds the campaign segment by slug', async () => {
		await api.call('POST', '/v1/actions', {
			fanId,
			campaignId,
			kind: 'presave',
			platform: 'spotify',
		});
		const segment = await api.call('GET', '/v1/fans?campaignId=mia-neon-nights&hasAction=presave');
		expect(segment.body.fans.map((fan: { id: string }) => fan.id)).toEqual([fanId]);
	});

	it('subscribes a trigger filtered by slug to the events of that campaign', async () => {
		const created = await api.call('POST', '/v1/webhooks', {
			url: 'http://127.0.0.1:5678/webhook/slug-filter',
			events: ['*'],
			campaignId: 'mia-neon-nights',
		});
		expect(created.status).toBe(201);
		// Events carry the campaign id: the filter is kept as the id so that they match.
		expect(created.body.webhook.campaignId).toBe(campaignId);
	});

	it('says plainly when neither an id nor a slug matches', async () => {
		const refused = await api.call('POST', '/v1/actions', {
			fanId,
			campaignId: 'mia-neon-night',
			kind: 'click',
		});
		expect(refused.status).toBe(404);
		expect(refused.body.error).toMatchObject({
			code: 'campaign_not_found',
			message: 'No campaign with id or slug "mia-neon-night".',
		});
	});
});
