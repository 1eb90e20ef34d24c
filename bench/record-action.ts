/**
 * Record-action throughput on each store, and its ratio to a raw INSERT of the same
 * action row through the same driver: what the ledger's checks, outbox event and
 * transaction cost on top of the bare write.
 */
import { newId } from '../hub/src/core/ids';
import type { Ledger } from '../hub/src/core/ledger';
import { newSealingKey, openLedger } from '../test/support/ledger';
import { ensurePostgresServer, POSTGRES_URL_ENV } from '../test/support/postgres-server';
import { createTestDatabase, STORE_KINDS } from '../test/support/stores';

const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 5000);
const CONCURRENCY = 16;

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

async function measure(ledger: Ledger): Promise<{ recordPerSecond: number; rawPerSecond: number }> {
	const fan = (
		await ledger.fans.upsert({ identities: [{ channel: 'email', value: 'bench@example.com' }] })
	).fan;
	const campaign = (
		await ledger.campaigns.upsert({
			slug: 'bench',
			artist: 'Bench',
			title: 'Bench',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		})
	).campaign;
	await ledger.webhooks.create({ url: 'http://127.0.0.1:9/unreached', events: ['*'] });

	const recordPerSecond = await inParallel(ACTIONS, (i) =>
		ledger.actions.record({
			fanId: fan.id,
			campaignId: campaign.id,
			kind: 'click',
			idempotencyKey: `record-${i}`,
		}),
	);
	const rawPerSecond = await inParallel(ACTIONS, (i) => {
		const now = Date.now();
		return ledger.store.run(
			`INSERT INTO actions (id, fan_id, campaign_id, kind, platform, status, verification, source, parent_action_id,
				idempotency_key, error, data, created_at, updated_at)
			 VALUES ($1, $2, $3, 'click', NULL, 'done', 'soft', NULL, NULL, $4, NULL, NULL, $5, $5)`,
			[newId('act', now), fan.id, campaign.id, `raw-${i}`, now],
		);
	});
	return { recordPerSecond, rawPerSecond };
}

async function main(): Promise<void> {
	const server = await ensurePostgresServer();
	process.env[POSTGRES_URL_ENV] = server.url;
	try {
		console.log(
			`record action: ${ACTIONS} actions, ${CONCURRENCY} concurrent callers, one webhook subscription`,
		);
		for (const kind of STORE_KINDS) {
			const database = await createTestDatabase(kind);
			const ledger = await openLedger(database, newSealingKey());
			try {
				const { recordPerSecond, rawPerSecond } = await measure(ledger);
				console.log(
					`  ${kind.padEnd(8)} record ${recordPerSecond.toFixed(0).padStart(6)}/s   raw insert ${rawPerSecond
						.toFixed(0)
						.padStart(6)}/s   ratio ${(recordPerSecond / rawPerSecond).toFixed(2)} (target ≥ 0.5)`,
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
