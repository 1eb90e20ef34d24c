/**
 * Insights at scale: a campaign filled with 100,000 and 1,000,000 layered actions on
 * SQLite and on PostgreSQL. Printed per run: the p95 of the insights endpoint (over HTTP,
 * the whole report) next to the p95 of one raw `SELECT kind, COUNT(*) … GROUP BY kind` over
 * the same rows through the same store, and their ratio. Targets: ratio ≤ 2 and the
 * endpoint under 250 ms at 1,000,000 actions. The rows go in by bulk SQL; the kept
 * insights figures are then built the way the product builds them from a ledger it did
 * not write itself: `insights rebuild` (InsightsAggregates.rebuild), timed on its own.
 * Sizes: BENCH_INSIGHTS_ACTIONS (comma-separated, default 100000,1000000); stores:
 * BENCH_INSIGHTS_STORES (comma-separated, default both).
 */
import { startHub, type RunningHub } from '../hub/src';
import { newId } from '../hub/src/core/ids';
import { InsightsAggregates } from '../hub/src/core/insights/aggregates';
import type { SqlExecutor, SqlValue } from '../hub/src/store/sql-store';
import { HubApi } from '../test/support/hub-api';
import { newSealingKey } from '../test/support/ledger';
import { ensurePostgresServer, POSTGRES_URL_ENV } from '../test/support/postgres-server';
import { createTestDatabase, STORE_KINDS, type StoreKind } from '../test/support/stores';

const SIZES = (process.env.BENCH_INSIGHTS_ACTIONS ?? '100000,1000000').split(',').map(Number);
const STORES = (process.env.BENCH_INSIGHTS_STORES?.split(',') ?? STORE_KINDS) as StoreKind[];
const SAMPLES = 20;
const WARM_UP = 3;
const ROWS_PER_INSERT = 500;
const CAMPAIGN_DAYS = 30;
const FANS_PER_BATCH = 5_000;
/** Fans marked changed before one more report: what a burst of ledger writes leaves for the next read to fold in. */
const MARKED_FANS = 1_000;

/** One fan's actions in the seeded campaign: a pre-save, then layers on it, in the mix a campaign sees. */
function fanActions(
	index: number,
): { kind: string; platform: string | null; parent: number | null }[] {
	const actions: { kind: string; platform: string | null; parent: number | null }[] = [
		{ kind: 'presave', platform: index % 3 === 0 ? 'deezer' : 'spotify', parent: null },
	];
	if (index % 5 < 2) actions.push({ kind: 'optin_sms', platform: 'sms', parent: 0 });
	if (index % 10 < 3) {
		actions.push({ kind: 'click', platform: 'telegram', parent: 0 });
		if (index % 10 < 2)
			actions.push({ kind: 'join_telegram', platform: 'telegram', parent: actions.length - 1 });
	}
	if (index % 2 === 0) actions.push({ kind: 'save', platform: actions[0].platform, parent: 0 });
	return actions;
}

async function insertRows(
	tx: SqlExecutor,
	table: string,
	columns: string[],
	rows: SqlValue[][],
): Promise<void> {
	for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
		const values: SqlValue[] = [];
		const tuples = rows
			.slice(start, start + ROWS_PER_INSERT)
			.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
		await tx.run(
			`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
			values,
		);
	}
}

const ACTION_COLUMNS = [
	'id',
	'fan_id',
	'campaign_id',
	'kind',
	'platform',
	'status',
	'verification',
	'source',
	'parent_action_id',
	'created_at',
	'updated_at',
];
const CONSENT_COLUMNS = [
	'id',
	'fan_id',
	'channel',
	'purpose',
	'status',
	'wording_hash',
	'requested_at',
	'action_id',
];

/** Fills the campaign straight through SQL, spread over a month: the ledger's own write path would take hours at this size. */
async function seed(hub: RunningHub, campaignId: string, actionCount: number): Promise<void> {
	const startMs = Date.now() - CAMPAIGN_DAYS * 86_400_000;
	const stepMs = (CAMPAIGN_DAYS * 86_400_000) / actionCount;
	let written = 0;
	let fanIndex = 0;
	while (written < actionCount) {
		const fans: SqlValue[][] = [];
		const actions: SqlValue[][] = [];
		const consents: SqlValue[][] = [];
		for (; written < actionCount && fans.length < FANS_PER_BATCH; fanIndex++) {
			const fanId = newId('fan', Math.floor(startMs + written * stepMs));
			fans.push([fanId, Math.floor(startMs + written * stepMs)]);
			const ids: string[] = [];
			for (const action of fanActions(fanIndex)) {
				if (written >= actionCount) break;
				const atMs = Math.floor(startMs + written * stepMs);
				const id = newId('act', atMs);
				ids.push(id);
				const parent = action.parent === null ? null : ids[action.parent];
				actions.push([
					id,
					fanId,
					campaignId,
					action.kind,
					action.platform,
					'done',
					'hard',
					'bench',
					parent,
					atMs,
					atMs,
				]);
				// Half the fans who asked for texts confirmed them: a granted consent, an owned channel.
				if (action.kind === 'optin_sms' && fanIndex % 2 === 0)
					consents.push([
						newId('con', atMs),
						fanId,
						'phone',
						'marketing',
						'granted',
						'bench',
						atMs,
						id,
					]);
				written++;
			}
		}
		await hub.ledger.store.transaction(async (tx) => {
			await insertRows(tx, 'fans', ['id', 'created_at'], fans);
			await insertRows(tx, 'actions', ACTION_COLUMNS, actions);
			await insertRows(tx, 'consents', CONSENT_COLUMNS, consents);
		});
	}
	if (hub.ledger.store.dialect.name === 'postgres') await hub.ledger.store.run('ANALYZE');
}

function p95(samplesMs: number[]): number {
	const sorted = [...samplesMs].sort((a, b) => a - b);
	return sorted[Math.ceil(sorted.length * 0.95) - 1];
}

async function timed(work: () => Promise<unknown>): Promise<number[]> {
	for (let i = 0; i < WARM_UP; i++) await work();
	const samples: number[] = [];
	for (let i = 0; i < SAMPLES; i++) {
		const started = performance.now();
		await work();
		samples.push(performance.now() - started);
	}
	return samples;
}

async function once(request: () => Promise<{ status: number }>): Promise<number> {
	const started = performance.now();
	const response = await request();
	if (response.status !== 200) throw new Error(`insights answered ${response.status}`);
	return performance.now() - started;
}

async function run(kind: StoreKind, actionCount: number): Promise<void> {
	const database = await createTestDatabase(kind);
	const hub = await startHub({
		port: 0,
		dataDir: database.dataDir,
		databaseUrl: database.databaseUrl,
		sealingKey: newSealingKey(),
	});
	try {
		const api = new HubApi(hub.url, await hub.createApiKey('insights bench'));
		const { campaign } = await hub.ledger.campaigns.upsert({
			slug: 'bench-insights',
			artist: 'Bench',
			title: 'Bench',
			releaseAtUtc: new Date().toISOString(),
		});
		const seededAt = performance.now();
		await seed(hub, campaign.id, actionCount);
		const seedSeconds = (performance.now() - seededAt) / 1000;
		const rebuiltAt = performance.now();
		const rebuilt = await new InsightsAggregates(hub.ledger.store).rebuild();
		const rebuildSeconds = (performance.now() - rebuiltAt) / 1000;
		const endpoint = p95(
			await timed(async () => {
				const response = await api.call('GET', '/v1/campaigns/bench-insights/insights');
				if (response.status !== 200) throw new Error(`insights answered ${response.status}`);
			}),
		);
		const raw = p95(
			await timed(() =>
				hub.ledger.store.all(
					'SELECT kind, COUNT(*) AS n FROM actions WHERE campaign_id = $1 GROUP BY kind',
					[campaign.id],
				),
			),
		);
		const ratio = endpoint / raw;
		// What one report costs right after MARKED_FANS fans changed (marked as each write marks its fan).
		await hub.ledger.store.run(
			`INSERT INTO insights_stale_fans (fan_id) SELECT id FROM fans ORDER BY id LIMIT ${MARKED_FANS}`,
		);
		const afterWrites = await once(() => api.call('GET', '/v1/campaigns/bench-insights/insights'));
		// A time window reads the ledger, not the kept figures.
		const windowed = await once(() =>
			api.call('GET', '/v1/campaigns/bench-insights/insights?from=2000-01-01'),
		);
		console.log(
			[
				`  ${kind.padEnd(8)} ${String(actionCount).padStart(8)} actions`,
				`insights p95 ${endpoint.toFixed(1).padStart(6)} ms`,
				`raw GROUP BY p95 ${raw.toFixed(1).padStart(6)} ms`,
				`ratio ${ratio.toFixed(2).padStart(5)} (target ≤ 2: ${ratio <= 2 ? 'met' : 'MISSED'})`,
				`${endpoint < 250 ? 'under' : 'OVER'} 250 ms`,
				`bulk fill ${seedSeconds.toFixed(0)} s, insights rebuild ${rebuildSeconds.toFixed(0)} s (${rebuilt.shares} shares)`,
				`one report after ${MARKED_FANS} fans changed ${afterWrites.toFixed(0)} ms`,
				`one report over a time window (from the ledger) ${windowed.toFixed(0)} ms`,
			].join('   '),
		);
	} finally {
		await hub.close();
		await database.drop();
	}
}

async function main(): Promise<void> {
	const server = await ensurePostgresServer();
	process.env[POSTGRES_URL_ENV] = server.url;
	try {
		console.log(
			`insights: p95 of ${SAMPLES} requests after ${WARM_UP} warm-up, per store and size; ` +
				'rows bulk-inserted, then kept figures built by `insights rebuild` as the product does',
		);
		for (const actionCount of SIZES) for (const kind of STORES) await run(kind, actionCount);
	} finally {
		await server.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
