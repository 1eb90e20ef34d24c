import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

const FULL_CAMPAIGN = {
	slug: 'glass-harbour',
	artist: 'Nia Vale',
	title: 'Glass Harbour',
	artworkUrl: 'https://images.example.com/glass-harbour.jpg',
	locale: 'de',
	releaseAtUtc: '2026-12-03T23:00:00.000Z',
	timezone: 'Europe/Berlin',
	localMidnight: true,
	upc: '00602455123456',
	isrcs: ['GBUM72600001'],
	platforms: {
		spotify: {
			albumId: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy',
			artistId: 'spotify:artist:0OdUWJ0sBjDrqHygGUXeCF',
		},
		deezer: { albumId: '302127' },
		apple_music: {},
	},
	layers: ['sms', 'email', 'telegram', 'follow'],
	consentWordings: {
		sms: 'Yes, text me about Nia Vale releases. Up to 4 msgs/month. Reply STOP to stop.',
		email: 'Yes, email me about Nia Vale releases. Unsubscribe any time.',
	},
};

describe.each(STORE_KINDS)('the campaign API with pre-save pages on %s', (kind) => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		hub = await startHub({ port: 0, ...database, sealingKey: newSealingKey() });
		api = new HubApi(hub.url, await hub.createApiKey('campaign api test'));
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	it('keeps artwork, page language, platforms and consent wordings, and answers with the pre-save page URL', async () => {
		const created = await api.call('POST', '/v1/campaigns', FULL_CAMPAIGN);
		expect(created.status).toBe(200);
		expect(created.body.created).toBe(true);
		const { slug: _slug, ...given } = FULL_CAMPAIGN;
		expect(created.body.campaign).toMatchObject({
			...given,
			pageUrl: `${hub.url}/c/glass-harbour`,
		});

		const byId = await api.call('GET', `/v1/campaigns/${created.body.campaign.id}`);
		const bySlug = await api.call('GET', '/v1/campaigns/glass-harbour');
		expect(byId.body).toEqual(created.body.campaign);
		expect(bySlug.body).toEqual(created.body.campaign);
	});

	it('defaults to English and no artwork, and an update can clear the artwork', async () => {
		const minimal = await api.call('POST', '/v1/campaigns', {
			slug: 'minimal',
			artist: 'Nia Vale',
			title: 'Minimal',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		});
		expect(minimal.body.campaign).toMatchObject({
			artworkUrl: null,
			locale: 'en',
			platforms: {},
			consentWordings: {},
		});

		const updated = await api.call('POST', '/v1/campaigns', {
			...FULL_CAMPAIGN,
			artworkUrl: null,
			locale: 'fr',
		});
		expect(updated.body).toMatchObject({
			created: false,
			campaign: { artworkUrl: null, locale: 'fr' },
		});
	});

	it('refuses artwork that is not https, unknown platforms or fields, and bad language tags, changing nothing', async () => {
		const before = await api.call('GET', '/v1/campaigns/glass-harbour');
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ artworkUrl: 'http://images.example.com/a.jpg' }, /artworkUrl must be an https/],
			[{ artworkUrl: 'javascript:alert(1)' }, /artworkUrl must be an https/],
			[{ platforms: { napster: {} } }, /platforms: .*"napster"/],
			[{ platforms: { spotify: { albumUri: 'x' } } }, /albumUri/],
			[{ locale: 'German' }, /locale is a language tag/],
			[{ consentWordings: { fax: 'yes' } }, /consentWordings: .*"fax"/],
		];
		for (const [change, message] of cases) {
			const refused = await api.call('POST', '/v1/campaigns', { ...FULL_CAMPAIGN, ...change });
			expect(refused.status).toBe(400);
			expect(refused.body.error.message).toMatch(message);
		}
		expect((await api.call('GET', '/v1/campaigns/glass-harbour')).body).toEqual(before.body);
	});
});
