import { HubError } from '../../hub/src/core/errors';
import type { Ledger } from '../../hub/src/core/ledger';
import { LATEST_SCHEMA_VERSION } from '../../hub/src/store/migrations';
import { openLedger, newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

async function rejection(promise: Promise<unknown>): Promise<HubError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!(error instanceof HubError)) throw new Error(`expected a HubError, got ${String(error)}`);
	return error;
}

describe.each(STORE_KINDS)('the fan ledger on %s', (kind) => {
	let database: TestDatabase;
	let ledger: Ledger;
	const sealingKey = newSealingKey();

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		ledger = await openLedger(database, sealingKey);
	});

	afterAll(async () => {
		await ledger?.close();
		await database?.drop();
	});

	async function count(table: string): Promise<number> {
		const row = await ledger.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
		return Number(row?.n);
	}

	async function newFan(email: string) {
		return (await ledger.fans.upsert({ identities: [{ channel: 'email', value: email }] })).fan;
	}

	describe('fans and identities', () => {
		it('stores identities in one normal form and finds the fan again by any of them', async () => {
			const first = await ledger.fans.upsert({
				identities: [
					{ channel: 'email', value: '  Nia@Example.COM ' },
					{ channel: 'phone', value: '030 901820' },
				],
				country: 'DE',
				timezone: 'Europe/Berlin',
			});
			expect(first.created).toBe(true);
			expect(first.fan.identities).toEqual([
				{ channel: 'email', value: 'nia@example.com' },
				{ channel: 'phone', value: '+4930901820' },
			]);

			const again = await ledger.fans.upsert({
				identities: [
					{ channel: 'phone', value: '+49 30 901820' },
					{ channel: 'spotify', value: 'nia-listens' },
				],
			});
			expect(again.created).toBe(false);
			expect(again.fan.id).toBe(first.fan.id);
			expect(again.fan.identities).toContainEqual({ channel: 'spotify', value: 'nia-listens' });
			expect(again.fan.timezone).toBe('Europe/Berlin');
			expect((await ledger.fans.getByIdentity('email', 'NIA@example.com')).id).toBe(first.fan.id);
		});

		it.each([
			['unknown_channel', { channel: 'fax', value: '123' }, '"fax"'],
			['invalid_identity', { channel: 'phone', value: '12' }, '"12"'],
			['invalid_identity', { channel: 'email', value: 'not-an-address' }, '"not-an-address"'],
			['invalid_identity', { channel: 'telegram', value: '@handle' }, '"@handle"'],
		])('refuses %s for %j and writes nothing', async (code, identity, named) => {
			const fansBefore = await count('fans');
			const error = await rejection(
				ledger.fans.upsert({
					identities: [{ channel: 'email', value: 'valid@example.com' }, identity],
				}),
			);
			expect(error.code).toBe(code);
			expect(error.message).toContain(named);
			expect(await count('fans')).toBe(fansBefore);
		});

		it('refuses identities that belong to two fans until they are merged, then resolves the old id', async () => {
			const a = await newFan('merge-a@example.com');
			const b = (await ledger.fans.upsert({ identities: [{ channel: 'telegram', value: '4242' }] }))
				.fan;
			await ledger.tokens.save(b.id, 'spotify', {
				accessToken: 'b-access',
				refreshToken: 'b-refresh',
				scopes: ['user-library-modify'],
				authorizedAtMs: Date.now(),
				refreshExpiresAtMs: null,
				accessExpiresAtMs: null,
			});
			const action = (await ledger.actions.record({ fanId: b.id, kind: 'join_telegram' })).action;

			const conflict = await rejection(
				ledger.fans.upsert({
					identities: [
						{ channel: 'email', value: 'merge-a@example.com' },
						{ channel: 'telegram', value: '4242' },
					],
				}),
			);
			expect(conflict.code).toBe('identity_conflict');

			const merged = await ledger.fans.merge(a.id, b.id);
			expect(merged.identities).toEqual(
				expect.arrayContaining([
					{ channel: 'email', value: 'merge-a@example.com' },
					{ channel: 'telegram', value: '4242' },
				]),
			);
			expect((await ledger.fans.get(b.id)).id).toBe(a.id);
			expect((await ledger.actions.get(action.id)).fanId).toBe(a.id);
			expect((await ledger.tokens.open(a.id, 'spotify')).accessToken).toBe('b-access');
		});

		it('pages through a segment in creation order, filtered by what fans did', async () => {
			const campaign = (
				await ledger.campaigns.upsert({
					slug: 'segment-test',
					artist: 'Segment',
					title: 'Paging',
					releaseAtUtc: '2026-12-04T00:00:00Z',
				})
			).campaign;
			const fans = [];
			for (let i = 0; i < 5; i++) fans.push(await newFan(`segment-${i}@example.com`));
			for (const fan of fans.slice(0, 3)) {
				await ledger.actions.record({ fanId: fan.id, campaignId: campaign.id, kind: 'presave' });
			}
			await ledger.actions.record({
				fanId: fans[0].id,
				campaignId: campaign.id,
				kind: 'optin_sms',
				status: 'pending',
			});

			const seen: string[] = [];
			let cursor: string | undefined;
			do {
				const page = await ledger.fans.list({
					campaignId: campaign.id,
					hasAction: 'presave',
					limit: 2,
					cursor,
				});
				expect(page.fans.length).toBeLessThanOrEqual(2);
				seen.push(...page.fans.map((fan) => fan.id));
				cursor = page.nextCursor ?? undefined;
			} while (cursor);
			expect(seen).toEqual(fans.slice(0, 3).map((fan) => fan.id));

			const noSms = await ledger.fans.list({
				campaignId: campaign.id,
				hasAction: 'presave',
				lacksAction: 'optin_sms',
				limit: 10,
			});
			expect(noSms.fans.map((fan) => fan.id)).toEqual([fans[1].id, fans[2].id]);
		});
	});

	describe('actions', () => {
		it('records an action layered on its parent, once per idempotency key, with one event', async () => {
			const fan = await newFan('layers@example.com');
			const presave = await ledger.actions.record({
				fanId: fan.id,
				kind: 'presave',
				platform: 'spotify',
				verification: 'hard',
			});
			const outboxBefore = await count('outbox');

			const first = await ledger.actions.record({
				fanId: fan.id,
				kind: 'optin_sms',
				status: 'pending',
				parentActionId: presave.action.id,
				idempotencyKey: 'sms-after-presave',
			});
			const repeat = await ledger.actions.record({
				fanId: fan.id,
				kind: 'optin_sms',
				status: 'pending',
				parentActionId: presave.action.id,
				idempotencyKey: 'sms-after-presave',
			});

			expect(first.created).toBe(true);
			expect(repeat).toEqual({ action: first.action, created: false });
			expect(first.action.parentActionId).toBe(presave.action.id);
			expect(await count('outbox')).toBe(outboxBefore + 1);
			const event = await ledger.store.get<{ type: string; payload: string }>(
				'SELECT type, payload FROM outbox WHERE id = (SELECT MAX(id) FROM outbox)',
			);
			expect(event?.type).toBe('layer.accepted');
			expect(JSON.parse(event!.payload).data.action.id).toBe(first.action.id);
		});

		it('refuses a parent from another fan, an unknown fan or campaign, and leaves no event behind', async () => {
			const fan = await newFan('parent-a@example.com');
			const other = await newFan('parent-b@example.com');
			const othersAction = (await ledger.actions.record({ fanId: other.id, kind: 'presave' }))
				.action;
			const outboxBefore = await count('outbox');
			const actionsBefore = await count('actions');

			expect(
				(
					await rejection(
						ledger.actions.record({
							fanId: fan.id,
							kind: 'follow',
							parentActionId: othersAction.id,
						}),
					)
				).code,
			).toBe('validation_failed');
			expect(
				(await rejection(ledger.actions.record({ fanId: 'fan_missing', kind: 'follow' }))).code,
			).toBe('fan_not_found');
			expect(
				(
					await rejection(
						ledger.actions.record({ fanId: fan.id, kind: 'follow', campaignId: 'cmp_missing' }),
					)
				).code,
			).toBe('campaign_not_found');
			expect(await count('outbox')).toBe(outboxBefore);
			expect(await count('actions')).toBe(actionsBefore);
		});

		it('offers the layers a fan has not taken, pending opt-ins counting as taken', async () => {
			const fan = await newFan('next@example.com');
			const campaign = (
				await ledger.campaigns.upsert({
					slug: 'next-layers',
					artist: 'Layered',
					title: 'Next',
					releaseAtUtc: '2026-12-04T00:00:00Z',
					layers: ['sms', 'telegram', 'follow', 'save'],
				})
			).campaign;
			await ledger.actions.record({ fanId: fan.id, campaignId: campaign.id, kind: 'presave' });
			await ledger.actions.record({ fanId: fan.id, kind: 'optin_sms', status: 'pending' });
			await ledger.actions.record({ fanId: fan.id, kind: 'join_telegram', status: 'failed' });

			const next = await ledger.layers.nextLayers(fan.id, { campaignId: campaign.slug });
			expect(next).toEqual({
				fanId: fan.id,
				campaignId: campaign.id,
				taken: ['sms', 'save'],
				next: ['telegram', 'follow'],
			});
			const ordered = await ledger.layers.nextLayers(fan.id, {
				layers: ['follow', 'email', 'sms'],
			});
			expect(ordered.next).toEqual(['follow', 'email']);
		});
	});

	describe('secrets and consent', () => {
		it('seals tokens at rest and opens them only with the right key', async () => {
			const fan = await newFan('sealed@example.com');
			await ledger.tokens.save(fan.id, 'spotify', {
				accessToken: 'access-TOKEN-visible-nowhere',
				refreshToken: 'refresh-TOKEN-visible-nowhere',
				scopes: ['user-library-modify'],
				authorizedAtMs: Date.parse('2026-06-01T00:00:00Z'),
				refreshExpiresAtMs: Date.parse('2026-12-01T00:00:00Z'),
				accessExpiresAtMs: null,
			});

			const raw = JSON.stringify(await ledger.store.all('SELECT * FROM tokens'));
			expect(raw).not.toContain('TOKEN-visible-nowhere');
			expect(await ledger.tokens.open(fan.id, 'spotify')).toMatchObject({
				accessToken: 'access-TOKEN-visible-nowhere',
				refreshToken: 'refresh-TOKEN-visible-nowhere',
				status: 'valid',
			});

			const wrongKey = await rejection(openLedger(database, newSealingKey()));
			expect(wrongKey.code).toBe('sealing_key_mismatch');
			expect(wrongKey.message).toContain('FANLOOP_SEALING_KEY');
		});

		it('keeps consent proof: the exact wording, its hash, where and when', async () => {
			const fan = await newFan('consent@example.com');
			const wording = 'Text me about Midnight City. Reply STOP to stop.';
			const requested = await ledger.consents.request(fan.id, {
				channel: 'phone',
				purpose: 'marketing_sms',
				wording,
				source: 'presave-page',
				ip: '203.0.113.7',
				userAgent: 'Mozilla/5.0 (iPhone)',
			});
			const granted = await ledger.consents.confirm(requested.id);
			const revoked = await ledger.consents.revoke(requested.id, 'sms_stop');

			expect(granted.status).toBe('granted');
			expect(revoked).toMatchObject({
				status: 'revoked',
				revokeMethod: 'sms_stop',
				wording,
				ip: '203.0.113.7',
			});
			expect(revoked.wordingHash).toMatch(/^[0-9a-f]{64}$/);
			const exported = await ledger.exportFan(fan.id);
			expect(exported.consents).toEqual([revoked]);
		});

		it('erases a fan: tokens, identities and consents go, a suppression stays and refuses re-import', async () => {
			const fan = (
				await ledger.fans.upsert({
					identities: [
						{ channel: 'email', value: 'erase-me@example.com' },
						{ channel: 'phone', value: '+14155550123' },
					],
				})
			).fan;
			await ledger.tokens.save(fan.id, 'deezer', {
				accessToken: 'deezer-token',
				refreshToken: null,
				scopes: ['manage_library'],
				authorizedAtMs: Date.now(),
				refreshExpiresAtMs: null,
				accessExpiresAtMs: null,
			});
			await ledger.consents.request(fan.id, {
				channel: 'email',
				purpose: 'news',
				wording: 'Email me',
				ip: '198.51.100.1',
			});
			await ledger.actions.record({ fanId: fan.id, kind: 'presave', data: { note: 'personal' } });

			const erased = await ledger.fans.erase(fan.id);

			expect(erased.suppressed).toBe(2);
			for (const table of ['tokens', 'identities', 'consents']) {
				const row = await ledger.store.get<{ n: number }>(
					`SELECT COUNT(*) AS n FROM ${table} WHERE fan_id = $1`,
					[fan.id],
				);
				expect(Number(row?.n)).toBe(0);
			}
			const leftovers = JSON.stringify(
				await ledger.store.all('SELECT * FROM actions WHERE fan_id = $1', [fan.id]),
			);
			expect(leftovers).not.toContain('personal');
			expect((await rejection(ledger.fans.get(fan.id))).code).toBe('fan_erased');
			expect((await rejection(ledger.actions.record({ fanId: fan.id, kind: 'click' }))).code).toBe(
				'fan_erased',
			);
			const reimport = await rejection(
				ledger.fans.upsert({ identities: [{ channel: 'phone', value: '+1 415 555 0123' }] }),
			);
			expect(reimport.code).toBe('identity_suppressed');
		});
	});

	it('migrates once when several hub processes start on the same database together', async () => {
		const ledgers = await Promise.all([1, 2, 3].map(() => openLedger(database, sealingKey)));
		try {
			const versions = await ledger.store.all<{ version: number }>(
				'SELECT version FROM schema_migrations',
			);
			const applied = versions.map((row) => Number(row.version));
			expect(new Set(applied).size).toBe(applied.length);
			expect(Math.max(...applied)).toBe(LATEST_SCHEMA_VERSION);
		} finally {
			await Promise.all(ledgers.map((opened) => opened.close()));
		}
	});
});
