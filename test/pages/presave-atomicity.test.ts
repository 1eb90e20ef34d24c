import { startHub, type RunningHub } from '../../hub/src';
import type { Campaign } from '../../hub/src/core/model';
import type { PlatformConnection } from '../../hub/src/core/presave/authorization';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

function connectionOf(accountId: string): PlatformConnection {
	return {
		accountId,
		grant: {
			accessToken: `access-${accountId}`,
			refreshToken: `refresh-${accountId}`,
			scopes: ['user-library-modify'],
			authorizedAtMs: Date.now(),
			accessExpiresAtMs: Date.now() + 3_600_000,
			refreshExpiresAtMs: null,
		},
	};
}

describe.each(STORE_KINDS)(
	'a pre-save callback records the fan, grant and pre-save together on %s',
	(kind) => {
		let database: TestDatabase;
		let hub: RunningHub;
		let api: HubApi;

		async function newCampaign(slug: string): Promise<Campaign> {
			const created = await api.call('POST', '/v1/campaigns', {
				slug,
				artist: 'Nia Vale',
				title: 'Glass Harbour',
				releaseAtUtc: '2026-12-03T23:00:00.000Z',
				platforms: { spotify: { albumId: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy' } },
			});
			expect(created.status).toBe(200);
			return hub.services.ledger.campaigns.get(created.body.campaign.id);
		}

		function complete(campaign: Campaign, accountId: string) {
			return hub.services.presave.presaves.complete({
				campaign,
				platform: 'spotify',
				connection: connectionOf(accountId),
				follow: false,
				locale: 'en',
				source: 'direct',
			});
		}

		async function tokenRows(): Promise<number> {
			const row = await hub.services.ledger.store.get<{ n: number | string }>(
				'SELECT COUNT(*) AS n FROM tokens',
			);
			return Number(row?.n);
		}

		beforeAll(async () => {
			database = await createTestDatabase(kind);
			hub = await startHub({ port: 0, ...database, sealingKey: newSealingKey() });
			api = new HubApi(hub.url, await hub.createApiKey('pre-save atomicity test'));
		});

		afterAll(async () => {
			await hub?.close();
			await database?.drop();
		});

		it('records all three when the campaign is there', async () => {
			const campaign = await newCampaign(`kept-${kind}`);
			const { presave } = await complete(campaign, 'fan-kept');

			const fan = await hub.services.ledger.fans.getByIdentity('spotify', 'fan-kept');
			expect(presave).toMatchObject({
				fanId: fan.id,
				campaignId: campaign.id,
				kind: 'presave',
				status: 'pending',
			});
			expect(await hub.services.ledger.tokens.summaries(fan.id)).toEqual([
				expect.objectContaining({ platform: 'spotify', status: 'valid' }),
			]);
		});

		it('gives one fan to the same account connecting in several tabs at once', async () => {
			const campaign = await newCampaign(`tabs-${kind}`);
			const results = await Promise.all(
				Array.from({ length: 4 }, () => complete(campaign, 'fan-many-tabs')),
			);

			const fan = await hub.services.ledger.fans.getByIdentity('spotify', 'fan-many-tabs');
			expect(new Set(results.map(({ presave }) => presave.id)).size).toBe(1);
			expect(results[0].presave.fanId).toBe(fan.id);
		});

		it('leaves no fan and no sealed grant behind when the pre-save cannot be recorded', async () => {
			const campaign = await newCampaign(`deleted-${kind}`);
			const tokensBefore = await tokenRows();
			// The campaign goes away between the page and the callback: the pre-save, the last step, is refused.
			await hub.services.ledger.store.run('DELETE FROM campaigns WHERE id = $1', [campaign.id]);

			await expect(complete(campaign, 'fan-orphan')).rejects.toMatchObject({
				code: 'campaign_not_found',
			});

			await expect(
				hub.services.ledger.fans.getByIdentity('spotify', 'fan-orphan'),
			).rejects.toMatchObject({
				code: 'fan_not_found',
			});
			expect(await tokenRows()).toBe(tokensBefore);
		});
	},
);
