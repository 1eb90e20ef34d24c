import { startHub, type RunningHub } from '../../hub/src';
import { InsightsAggregates } from '../../hub/src/core/insights/aggregates';
import { migrate } from '../../hub/src/store/migrations';
import { openStore } from '../../hub/src/store/open-store';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess } from '../support/hub-process';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

const DAY_MS = 86_400_000;
const DAY_ONE = Date.parse('2026-11-01T10:00:00Z');
const SOURCES = [undefined, 'ig', 'form', 'tiktok'];
/** A window that holds every action: the report then sums the fans' shares straight from the ledger. */
const WHOLE_LEDGER = 'from=2000-01-01&to=2100-01-01';

/**
 * The kept insights figures (folded in as the ledger changes) against the same report
 * summed straight from the ledger and against a rebuild: one piece, driven through the
 * ledger's own operations, read through the insights endpoint.
 */
describe.each(STORE_KINDS)('kept insights figures (%s)', (kind) => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;
	let nowMs = DAY_ONE;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => nowMs,
		});
		api = new HubApi(hub.url, await hub.createApiKey('aggregates test'));
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	async function report(path: string, query = '') {
		const response = await api.call('GET', `${path}${query ? `?${query}` : ''}`);
		expect(response.status).toBe(200);
		return response.body;
	}

	/** A report's figures without its echo of the request. */
	async function figures(path: string, query = '') {
		const { scope: _scope, ...rest } = await report(path, query);
		return rest;
	}

	/** Every report, with and without a source, reads the same from the kept figures as from the ledger. */
	async function expectKeptToMatchLedger(paths: string[]): Promise<void> {
		for (const path of paths)
			for (const source of SOURCES) {
				const bySource = source === undefined ? '' : `source=${source}`;
				const kept = await figures(path, bySource);
				const ledger = await figures(path, [WHOLE_LEDGER, bySource].filter(Boolean).join('&'));
				expect({ path, source, figures: kept }).toEqual({ path, source, figures: ledger });
			}
	}

	async function fan(value: string): Promise<string> {
		return (await hub.ledger.fans.upsert({ identities: [{ channel: 'email', value }] })).fan.id;
	}

	async function act(
		fanId: string,
		campaignId: string,
		kind: string,
		extra: Record<string, unknown> = {},
	): Promise<string> {
		const { action } = await hub.ledger.actions.record({
			fanId,
			campaignId,
			kind,
			...extra,
		} as Parameters<typeof hub.ledger.actions.record>[0]);
		return action.id;
	}

	it('keeps every figure in step with the ledger as fans act, change and leave, and a rebuild reads the same', async () => {
		const first = (
			await hub.ledger.campaigns.upsert({
				slug: 'ada-first',
				artist: 'Ada Ray',
				title: 'First',
				releaseAtUtc: '2026-12-01T00:00:00Z',
			})
		).campaign;
		const second = (
			await hub.ledger.campaigns.upsert({
				slug: 'ada-second',
				artist: 'Ada Ray',
				title: 'Second',
				releaseAtUtc: '2027-02-01T00:00:00Z',
			})
		).campaign;
		const paths = [
			`/v1/campaigns/${first.slug}/insights`,
			`/v1/campaigns/${second.slug}/insights`,
			`/v1/artists/${first.artistId}/insights`,
		];

		// Day one: two pre-saves from Instagram (one layered with texts), one from TikTok still pending.
		const mia = await fan('mia@example.com');
		const presaveMia = await act(mia, first.id, 'presave', { platform: 'spotify', source: 'ig' });
		const smsMia = await act(mia, first.id, 'optin_sms', {
			platform: 'sms',
			parentActionId: presaveMia,
		});
		const phone = await hub.ledger.consents.request(mia, {
			channel: 'phone',
			purpose: 'marketing',
			wording: 'Texts from Ada Ray. Reply STOP to stop.',
			status: 'granted',
		});
		const leo = await fan('leo@example.com');
		await act(leo, first.id, 'presave', { platform: 'spotify', source: 'ig' });
		const kai = await fan('kai@example.com');
		const presaveKai = await act(kai, first.id, 'presave', {
			platform: 'deezer',
			source: 'tiktok',
			status: 'pending',
		});
		await hub.ledger.tokens.save(kai, 'deezer', {
			accessToken: 'deezer-access',
			refreshToken: null,
			scopes: ['manage_library'],
			authorizedAtMs: nowMs,
			accessExpiresAtMs: null,
			refreshExpiresAtMs: null,
		});

		// Day two: a form sign-up, Mia starts the bot and joins, then her save lands on release day.
		nowMs = DAY_ONE + DAY_MS;
		const zoe = await fan('zoe@example.com');
		await act(zoe, first.id, 'optin_email', { platform: 'email', source: 'form' });
		const email = await hub.ledger.consents.request(zoe, {
			channel: 'email',
			purpose: 'marketing',
			wording: 'News from Ada Ray by email.',
		});
		await hub.ledger.consents.confirm(email.id);
		const start = await act(mia, first.id, 'click', {
			platform: 'telegram',
			parentActionId: smsMia,
		});
		await act(mia, first.id, 'join_telegram', { platform: 'telegram', parentActionId: start });
		nowMs = DAY_ONE + 2 * DAY_MS;
		await act(mia, first.id, 'save', {
			platform: 'spotify',
			parentActionId: presaveMia,
			status: 'done',
			verification: 'hard',
		});

		const campaignFigures = await report(paths[0]);
		expect(campaignFigures.funnel).toMatchObject({ presaves: 3 });
		expect(campaignFigures.delivery).toEqual([
			{ platform: 'deezer', delivered: 0, waiting: 1, needs_reconnect: 0, refused: 0 },
			{ platform: 'spotify', delivered: 1, waiting: 1, needs_reconnect: 0, refused: 0 },
		]);
		expect(campaignFigures.reachability).toEqual([
			{ channels: '0', fans: 2 },
			{ channels: '1', fans: 1 },
			{ channels: '2', fans: 1 },
			{ channels: '3+', fans: 0 },
		]);
		expect((await report(paths[0], 'source=ig')).layering.fans).toBe(2);
		// From day two on, the pre-saves fall outside the window and the fans came in by later layers.
		const fromDayTwo = await report(paths[0], 'from=2026-11-02');
		expect(fromDayTwo.funnel.presaves).toBe(0);
		expect(fromDayTwo.layering.entries.map((entry: { entry: string }) => entry.entry)).toEqual([
			'email',
			'telegram',
		]);
		await expectKeptToMatchLedger(paths);

		// Kai's pending pre-save completes; his Deezer grant lapses; Zoe withdraws her email consent.
		nowMs = DAY_ONE + 3 * DAY_MS;
		await hub.ledger.store.transaction((tx) =>
			hub.ledger.actions.settleWithin(tx, presaveKai, 'done', 'hard'),
		);
		// Read between the two, so each change to Kai must move the kept figures on its own.
		await expectKeptToMatchLedger(paths.slice(0, 1));
		await hub.ledger.tokens.markNeedsReconsent(kai, 'deezer');
		await hub.ledger.consents.revoke(email.id, 'link');
		await hub.ledger.consents.revoke(phone.id, 'sms_stop');
		expect((await report(paths[0])).delivery[0]).toMatchObject({
			platform: 'deezer',
			needs_reconnect: 1,
		});
		await expectKeptToMatchLedger(paths);

		// The next release: Mia comes back through the bot, Leo's fan record turns out to be Zoe's.
		nowMs = DAY_ONE + 4 * DAY_MS;
		await act(mia, second.id, 'click', { platform: 'telegram' });
		await hub.ledger.fans.merge(zoe, leo);
		expect((await report(paths[2])).nextRelease).toEqual([
			{
				from: first.slug,
				to: second.slug,
				fans: 3,
				returned: 1,
				share: 0.333,
				byLayer: [{ layer: 'telegram', fans: 1 }],
			},
		]);
		await expectKeptToMatchLedger(paths);

		// Kai is erased (his actions stay, without their source); the second release moves to another artist.
		await hub.ledger.fans.erase(kai);
		const moved = (
			await hub.ledger.campaigns.upsert({
				slug: second.slug,
				artist: 'Bo Lin',
				title: 'Second',
				releaseAtUtc: '2027-02-01T00:00:00Z',
			})
		).campaign;
		expect((await report(paths[0], 'source=tiktok')).layering.fans).toBe(0);
		expect((await report(paths[2])).nextRelease).toEqual([]);
		const movedPath = `/v1/artists/${moved.artistId}/insights`;
		expect((await report(movedPath)).layering.fans).toBe(1);
		await expectKeptToMatchLedger([...paths, movedPath]);

		// A rebuild from the ledger gives back exactly the figures kept along the way.
		const kept = await Promise.all(
			[...paths, movedPath].flatMap((path) =>
				SOURCES.map((source) => figures(path, source ? `source=${source}` : '')),
			),
		);
		await new InsightsAggregates(hub.ledger.store).rebuild();
		const rebuilt = await Promise.all(
			[...paths, movedPath].flatMap((path) =>
				SOURCES.map((source) => figures(path, source ? `source=${source}` : '')),
			),
		);
		expect(rebuilt).toEqual(kept);
	});
});

describe.each(STORE_KINDS)('insights on a ledger an older hub left (%s)', (kind) => {
	let database: TestDatabase;
	let hub: RunningHub | undefined;
	const sealingKey = newSealingKey();

	beforeAll(() => buildHub());

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	it('builds the kept figures from the ledger after the migration that adds them, and again with "insights rebuild"', async () => {
		database = await createTestDatabase(kind);
		const store = await openStore(database);
		await migrate(store, DAY_ONE, 8);
		// What a hub before kept insights wrote: a campaign, a fan and their pre-save.
		await store.run(
			`INSERT INTO artists (id, name, created_at, updated_at) VALUES ('art_old', 'Old Hub', $1, $1)`,
			[DAY_ONE],
		);
		await store.run(
			`INSERT INTO campaigns (id, slug, artist, artist_id, title, release_at_utc, local_midnight, isrcs, platforms,
				layers, consent_wordings, created_at, updated_at)
			 VALUES ('cmp_old', 'old-hub', 'Old Hub', 'art_old', 'Old', $1, 0, '[]', '{}', '[]', '{}', $1, $1)`,
			[DAY_ONE],
		);
		await store.run(`INSERT INTO fans (id, created_at) VALUES ('fan_old', $1)`, [DAY_ONE]);
		await store.run(
			`INSERT INTO actions (id, fan_id, campaign_id, kind, platform, status, verification, source, created_at, updated_at)
			 VALUES ('act_old', 'fan_old', 'cmp_old', 'presave', 'spotify', 'done', 'hard', 'ig', $1, $1)`,
			[DAY_ONE],
		);
		await store.close();

		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey,
		});
		const api = new HubApi(hub.url, await hub.createApiKey('migration test'));
		const read = async () => {
			const response = await api.call('GET', '/v1/campaigns/old-hub/insights?source=ig');
			expect(response.status).toBe(200);
			return response.body;
		};
		const migrated = await read();
		expect(migrated.funnel).toMatchObject({ presaves: 1 });
		expect(migrated.layering).toMatchObject({ fans: 1, actions: 1 });

		const cli = new HubProcess(
			{
				PATH: process.env.PATH,
				FANLOOP_SEALING_KEY: sealingKey.toString('base64'),
				...(database.databaseUrl
					? { FANLOOP_DATABASE_URL: database.databaseUrl }
					: { FANLOOP_DATA_DIR: database.dataDir }),
			},
			hub.url,
		);
		// One campaign and its artist; the fan's pre-save is a share of each figure in both.
		expect(cli.cli(['insights', 'rebuild'])).toMatch(
			/^Insights rebuilt from the ledger: 2 campaigns and artists, \d+ fan shares\.\n$/,
		);
		expect(await read()).toEqual(migrated);
	});
});
