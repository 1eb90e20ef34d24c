/**
 * The statements the hub runs on paths that repeat or grow (a pre-save click, event delivery,
 * a trigger re-registering, retention, Discord invites, a broadcast's recipients) are recorded
 * as the hub really issues them, then planned by SQLite on a fresh ledger: no statistics, the
 * case where the planner guesses. None may read a whole big table or sort one per call.
 */
import { DatabaseSync } from 'node:sqlite';
import * as path from 'node:path';

import { DEFAULT_PROGRAM } from '../../hub/src';
import { BROADCAST_JOB } from '../../hub/src/core/community/broadcast';
import type { CommunityMessenger } from '../../hub/src/core/community/ports';
import { silentLogger } from '../../hub/src/core/logger';
import { openServices, type HubServices } from '../../hub/src/services';
import { openStore } from '../../hub/src/store/open-store';
import type { SqlExecutor, SqlStore } from '../../hub/src/store/sql-store';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** Tables that grow with fans, events or clicks; a full scan of one of them is what this test forbids. */
const GROWING_TABLES = [
	'campaigns',
	'fans',
	'identities',
	'consents',
	'actions',
	'outbox',
	'deliveries',
	'oauth_states',
	'community_invites',
	'community_deliveries',
];

/** Sorts of rows one fan has a handful of (their identities, one per channel): bounded, not growing. */
const BOUNDED_SORTS = ['SELECT channel, external_id FROM identities WHERE fan_id = $1 ORDER BY'];

/** Every statement that went through `store`, as written. */
function recording(store: SqlStore): { store: SqlStore; statements: Set<string> } {
	const statements = new Set<string>();
	const recorded = (executor: SqlExecutor): SqlExecutor => ({
		all: (sql, params) => (statements.add(sql), executor.all(sql, params)),
		get: (sql, params) => (statements.add(sql), executor.get(sql, params)),
		run: (sql, params) => (statements.add(sql), executor.run(sql, params)),
	});
	const direct = recorded(store);
	return {
		statements,
		store: {
			...direct,
			dialect: store.dialect,
			transaction: (work) => store.transaction((tx) => work(recorded(tx))),
			exclusive: (work) => store.exclusive((tx) => work(recorded(tx))),
			close: () => store.close(),
		},
	};
}

const telegram: CommunityMessenger = {
	platform: 'telegram',
	messagesPerSecond: 1000,
	sendDirect: async () => ({ messageId: '1' }),
	announce: async () => ({ messageId: '1' }),
};

describe('query plans on a ledger without statistics (SQLite)', () => {
	let database: TestDatabase;
	let services: HubServices;
	let statements: Set<string>;
	let planner: DatabaseSync;

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		const recorded = recording(await openStore(database));
		statements = recorded.statements;
		services = await openServices({
			store: recorded.store,
			sealingKey: newSealingKey(),
			program: { ...DEFAULT_PROGRAM, publicUrl: 'http://127.0.0.1:1' },
			messaging: {},
			logger: silentLogger,
			clock: Date.now,
			communityPlatforms: {
				messengers: { telegram },
				invites: { discordInvite: async () => ({ code: 'c0de', url: 'https://discord.gg/c0de' }) },
				pacers: {},
			},
		});
		// Migrations run once; what follows is what the hub repeats.
		statements.clear();
		planner = new DatabaseSync(path.join(database.dataDir as string, 'ledger.sqlite'));
	});

	afterAll(async () => {
		planner?.close();
		await services?.ledger.close();
		await database?.drop();
	});

	function plansOf(pick: (sql: string) => boolean): Map<string, string[]> {
		const plans = new Map<string, string[]>();
		for (const sql of statements) {
			if (!pick(sql)) continue;
			const sqlite = sql.replace(/\$(\d+)/g, '?$1');
			const rows = planner.prepare(`EXPLAIN QUERY PLAN ${sqlite}`).all() as { detail: string }[];
			plans.set(
				sql,
				rows.map((row) => row.detail),
			);
		}
		return plans;
	}

	/** `FROM actions a` → { a: 'actions' }: plans name tables by their alias. */
	function aliasesIn(sql: string): Record<string, string> {
		const named = sql.matchAll(
			/\b(?:FROM|JOIN)\s+(\w+)\s+(?!WHERE\b|ON\b|JOIN\b|LEFT\b|CROSS\b|ORDER\b|GROUP\b|LIMIT\b|UNION\b)(\w+)/gi,
		);
		return Object.fromEntries([...named].map(([, table, alias]) => [alias, table]));
	}

	/** Plan lines that read a growing table whole, or sort what was read. */
	function fullReads(plan: string[], aliases: Record<string, string> = {}): string[] {
		return plan.filter((line) => {
			const scanned = /^SCAN (\w+)/.exec(line)?.[1];
			const table = scanned && (aliases[scanned] ?? scanned);
			return (table && GROWING_TABLES.includes(table)) || /TEMP B-TREE/.test(line);
		});
	}

	it('plans the hot and growing paths as index lookups', async () => {
		const { ledger, presave, delivery, upkeep, community } = services;
		const { campaign } = await ledger.campaigns.upsert({
			slug: 'plans',
			artist: 'Plan Artist',
			title: 'Plans',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		});
		const fan = (await ledger.fans.upsert({ identities: [{ channel: 'telegram', value: '4242' }] }))
			.fan;
		// A pre-save click purges expired states.
		await presave.states.start({
			platform: 'spotify',
			campaignId: campaign.id,
			follow: false,
			locale: 'en',
			pkce: true,
		});
		// An event delivered, a trigger registering its URL again, then removed.
		await ledger.webhooks.create({ url: 'http://127.0.0.1:1/hook', events: ['*'] });
		await ledger.actions.record({ fanId: fan.id, campaignId: campaign.id, kind: 'presave' });
		await delivery.deliverDue();
		const again = await ledger.webhooks.create({ url: 'http://127.0.0.1:1/hook', events: ['*'] });
		await ledger.webhooks.delete(again.webhook.id);
		await upkeep.purgeSettledEvents();
		// Discord invites: the fan's open one, and the open ones a join is matched against.
		const reference = presave.references.issue({ kind: 'fan', fanId: fan.id });
		await community.links.discordInviteFor(reference);
		await community.desk.openInviteCodes();
		// A broadcast to a segment reads its recipients in batches.
		await community.broadcasts.run(
			{
				platform: 'telegram',
				text: 'Out now',
				messageKey: 'plans',
				segment: { campaignId: campaign.id, hasAction: 'presave' },
			},
			{
				id: `${BROADCAST_JOB}-plans`,
				reportProgress: async () => undefined,
				runOneOf: async () => false,
			},
		);

		const touchesGrowing = (sql: string) =>
			/^\s*(SELECT|UPDATE|DELETE)/i.test(sql) &&
			GROWING_TABLES.some((table) => new RegExp(`\\b${table}\\b`).test(sql));
		const plans = plansOf(touchesGrowing);
		const expected = [
			'DELETE FROM oauth_states WHERE expires_at',
			'FROM deliveries d JOIN outbox o',
			'DELETE FROM deliveries WHERE subscription_id',
			'DELETE FROM outbox WHERE id IN',
			"FROM community_invites WHERE platform = 'discord' AND fan_id",
			"FROM community_invites WHERE platform = 'discord' AND used_at IS NULL",
			'FROM fans f CROSS JOIN identities i',
			'SELECT id FROM campaigns WHERE id = $1 UNION ALL',
		];
		const missing = expected.filter(
			(fragment) => ![...plans.keys()].some((sql) => sql.includes(fragment)),
		);
		expect(missing).toEqual([]);
		const offenders = [...plans]
			.map(([sql, plan]) => ({
				sql,
				fullReads: fullReads(plan, aliasesIn(sql)),
			}))
			.filter(
				(entry) =>
					entry.fullReads.length > 0 && !BOUNDED_SORTS.some((sort) => entry.sql.startsWith(sort)),
			);
		expect(offenders).toEqual([]);
	});
});
