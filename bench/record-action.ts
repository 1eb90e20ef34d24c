/**
 * Record-action throughput on each store, and its ratio to a raw INSERT of the same
 * action row through the same driver: what the ledger's checks, outbox event and
 * transaction cost on top of the bare write. The raw insert runs both as a statement of its
 * own and in a transaction of its own (which SQLite's store commits together with the others
 * queued beside it, as it does the ledger's); the ratio is to the faster of the two. The actions are spread over a campaign's
 * fans, as n8n records them: one fan's writes queue behind each other on its insights
 * mark (stale-fans.ts), which sixteen callers on a single fan would measure instead.
 */
import { newId } from '../hub/src/core/ids';
import type { Ledger } from '../hub/src/core/ledger';
import type { SqlExecutor } from '../hub/src/store/sql-store';
import { newSealingKey, openLedger } from '../test/support/ledger';
import { ensurePostgresServer, POSTGRES_URL_ENV } from '../test/support/postgres-server';
import { createTestDatabase, STORE_KINDS } from '../test/support/stores';

const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 5000);
const CONCURRENCY = 16;
const FANS = Number(process.env.BENCH_FANS ?? 1000);

async function inParallel(
	count: number,
	work: (index: number) => Promise<unknown>,
): Promise<number> {
	const started = performance.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < count) await work(next++);
		}),
	);
	return count / ((performance.now() - started) / 1000);
}

interface Rates {
	record: number;
	/** Each insert its own statement and commit. */
	rawAlone: number;
	/** Each insert in a transaction of its own, which the store may commit with others queued beside it. */
	rawInTransaction: number;
}

async function measure(ledger: Ledger): Promise<Rates> {
	const fanIds: string[] = [];
	for (let index = 0; index < FANS; index++) {
		const identity = { channel: 'email' as const, value: `bench${index}@example.com` };
		fanIds.push((await ledger.fans.upsert({ identities: [identity] })).fan.id);
	}
	const fanOf = (action: number) => fanIds[action % fanIds.length] as string;
	const campaign = (
		await ledger.campaigns.upsert({
			slug: 'bench',
			artist: 'Bench',
			title: 'Bench',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		})
	).campaign;
	await ledger.webhooks.create({ url: 'http://127.0.0.1:9/unreached', events: ['*'] });

	const record = (round: string) =>
		inParallel(ACTIONS, (i) =>
			ledger.actions.record({
				fanId: fanOf(i),
				campaignId: campaign.id,
				kind: 'click',
				idempotencyKey: `record-${round}-${i}`,
			}),
		);
	const insertRaw = (executor: SqlExecutor, round: string, i: number) => {
		const now = Date.now();
		return executor.run(
			`INSERT INTO actions (id, fan_id, campaign_id, kind, platform, status, verification, source, parent_action_id,
				idempotency_key, error, data, created_at, updated_at)
			 VALUES ($1, $2, $3, 'click', NULL, 'done', 'soft', NULL, NULL, $4, NULL, NULL, $5, $5)`,
			[newId('act', now), fanOf(i), campaign.id, `raw-${round}-${i}`, now],
		);
	};
	const rawAlone = (round: string) => inParallel(ACTIONS, (i) => insertRaw(ledger.store, round, i));
	const rawInTransaction = (round: string) =>
		inParallel(ACTIONS, (i) => ledger.store.transaction((tx) => insertRaw(tx, `tx-${round}`, i)));
	// A round of each warms every path up; then the order turns round, so none always meets
	// the others' leftovers (a bigger table, autovacuum, a WAL checkpoint).
	await record('warm');
	await rawAlone('warm');
	await rawInTransaction('warm');
	const first = {
		record: await record('a'),
		rawAlone: await rawAlone('a'),
		rawInTransaction: await rawInTransaction('a'),
	};
	const second = {
		rawInTransaction: await rawInTransaction('b'),
		rawAlone: await rawAlone('b'),
		record: await record('b'),
	};
	return {
		record: (first.record + second.record) / 2,
		rawAlone: (first.rawAlone + second.rawAlone) / 2,
		rawInTransaction: (first.rawInTransaction + second.rawInTransaction) / 2,
	};
}

async function main(): Promise<void> {
	const server = await ensurePostgresServer();
	process.env[POSTGRES_URL_ENV] = server.url;
	try {
		console.log(
			`record action: ${ACTIONS} actions over ${FANS} fans, ${CONCURRENCY} concurrent callers, one webhook subscription`,
		);
		for (const kind of STORE_KINDS) {
			const database = await createTestDatabase(kind);
			const ledger = await openLedger(database, newSealingKey());
			try {
				const rates = await measure(ledger);
				// Against the faster raw path, whichever it is on this store.
				const raw = Math.max(rates.rawAlone, rates.rawInTransaction);
				const rate = (perSecond: number) => `${perSecond.toFixed(0).padStart(6)}/s`;
				console.log(
					`  ${kind.padEnd(8)} record ${rate(rates.record)}   raw insert ${rate(rates.rawAlone)} alone, ${rate(rates.rawInTransaction)} in a transaction   ratio to the faster ${(rates.record / raw).toFixed(2)} (target ≥ 0.5)`,
				);
			} finally {
				await ledger.close();
				await database.drop();
			}
		}
	} finally {
		await server.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
