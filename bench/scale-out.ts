/**
 * Scale-out: what more processes buy, on one machine (its core count is printed in the header).
 *
 * 1. Release day over 1, 2 and 3 `hub serve` processes (the build the bench compiles) on one
 *    PostgreSQL database, against the Spotify stand-in whose rolling window enforces the budget
 *    the hubs are told (BENCH_SCALE_OUT_RATE requests/s): BENCH_SCALE_OUT_FANS pending pre-saves
 *    per run, at a stand-in latency of 0 ms and of BENCH_SCALE_OUT_LATENCY_MS (100 ms: the
 *    latency at which one process must keep rate × latency calls in flight to spend the budget).
 *    Printed per run: saves/s, that ÷ the allowed rate, that ÷ the one-process figure at the same
 *    latency, the hub processes' CPU seconds per 1,000 saves (utime + stime from /proc, which
 *    holds on a busy machine where rates do not), and the stand-in's 429s (each run's and the
 *    whole bench's).
 * 2. Hub → n8n in queue mode (main + webhook process + workers, scripts/n8n/queue.ts): events
 *    recorded through the hub's API, delivered by the hub to a Fanloop Trigger that answers when
 *    its run has finished, so a delivered event is a successful execution. Events/s with 1 and 2
 *    workers and with 1 and 2 hub processes, each as a ratio to its neighbour.
 *
 * Fairness: every run starts after a warm-up conversion (or warm-up events) on the same processes,
 * so a process that has just started is not measured cold. Release-day runs go 1 → 2 → 3 processes
 * at one latency and 3 → 2 → 1 at the other, so neither count always comes first; the event runs
 * go 2 workers → 1 → 2 again (its two figures printed) and then 2 hub processes.
 *
 * Benchmarks measure throughput, not journeys: fans are put in the pending pre-save state straight
 * through the ledger (as the OAuth callback leaves them), once, and every release-day run is a new
 * campaign over the same fans. Everything the bench creates (processes, databases, Redis keys,
 * folders) is removed when it ends.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Ledger } from '../hub/src/core/ledger';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../sandbox/src/streaming';
import { N8nQueue } from '../scripts/n8n/queue';
import { freePort, N8N_VERSION, untilHubSubscribed } from '../test/n8n/harness';
import { HubClient } from '../test/n8n/hub-client';
import { eventually } from '../test/support/eventually';
import { HubApi } from '../test/support/hub-api';
import { HubProcess, hubProcessEnv } from '../test/support/hub-process';
import { openLedger } from '../test/support/ledger';
import { inParallel, range } from '../test/support/in-parallel';
import { ensurePostgresServer, POSTGRES_URL_ENV } from '../test/support/postgres-server';
import { createTestDatabase, type TestDatabase } from '../test/support/stores';
import { recordPendingPresave, sandboxSpotifyEnv, seedSpotifyFan } from '../test/support/streaming';
import { cpuSeconds } from './support/process-stats';

const RATE = Number(process.env.BENCH_SCALE_OUT_RATE ?? 200);
const FANS = Number(process.env.BENCH_SCALE_OUT_FANS ?? 2_500);
const WARMUP_FANS = 300;
const LATENCY_MS = Number(process.env.BENCH_SCALE_OUT_LATENCY_MS ?? 100);
const HUB_PROCESSES = 3;
// Some 7 events/s on 2 busy cores: 4 runs of this many keep the bench near 6 minutes.
const EVENTS = Number(process.env.BENCH_SCALE_OUT_EVENTS ?? 200);
const WARMUP_EVENTS = 30;
const WORKER_CONCURRENCY = 10; // n8n's default `--concurrency`
/** The stand-in's rolling window: Spotify's is 30 s; a shorter one catches a burst sooner. */
const WINDOW_MS = 5_000;
/** The hubs' slots are spaced exactly; requests reach the stand-in with a few ms of jitter. */
const JITTER_ALLOWANCE = 1.05;
const SEED_CONCURRENCY = 16;
const RECORD_CONCURRENCY = 8;
const hubCli = path.join(__dirname, '../hub/src/cli.js');
const TRIGGER = 'Fanloop Trigger';

/** Trigger (answering when the run has finished, as queue mode wants) → No Op. */
const workflow = {
	id: 'fanloopBenchScaleOut',
	name: 'Bench: scale-out trigger',
	active: false,
	nodes: [
		{
			id: 'b3c6a1de-5ca1-4000-8000-000000000001',
			name: TRIGGER,
			type: 'n8n-nodes-fanloop.fanloopTrigger',
			typeVersion: 1,
			position: [0, 0],
			webhookId: 'b3c6a1de-5ca1-4000-8000-0000000000aa',
			parameters: { events: ['presave.completed'], campaignId: '', respondWhen: 'lastNode' },
			credentials: { fanloopHubApi: { id: 'fanloopBenchScaleCred', name: 'Fanloop Hub' } },
		},
		{
			id: 'b3c6a1de-5ca1-4000-8000-000000000002',
			name: 'Done',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, 0],
			parameters: {},
		},
	],
	connections: { [TRIGGER]: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
};

interface Bench {
	database: TestDatabase;
	sandbox: StreamingSandbox;
	ledger: Ledger;
	hubs: HubProcess[];
	apiKey: string;
	fanIds: string[];
	workDir: string;
}

const running = (bench: Bench) => bench.hubs.filter((hub) => hub.running);

/** Exactly the first `count` hub processes running: the others stopped as an operator would. */
async function scaleTo(bench: Bench, count: number): Promise<void> {
	await Promise.all(bench.hubs.slice(count).map((hub) => hub.kill('SIGTERM')));
	for (const hub of bench.hubs.slice(0, count)) if (!hub.running) await hub.start();
}

/** The 429s the stand-in has answered so far: any is a request over the budget the hubs share. */
const refusals = (bench: Bench) => bench.sandbox.spotify.api.answered.get(429) ?? 0;

const hubsCpuSeconds = (hubs: HubProcess[]) =>
	hubs.reduce((sum, hub) => sum + cpuSeconds(hub.pid as number), 0);

/** One release day over every seeded fan's first `fans`: a new campaign, its conversion run to the end. */
async function releaseDay(bench: Bench, fans: number, label: string) {
	const hubs = running(bench);
	const api = new HubApi(hubs[0].url, bench.apiKey);
	const created = await api.call<{ campaign: { id: string } }>('POST', '/v1/campaigns', {
		slug: `bench-scale-out-${label}-${randomBytes(3).toString('hex')}`,
		artist: SANDBOX_DEMO_RELEASE.artistName,
		title: SANDBOX_DEMO_RELEASE.title,
		releaseAtUtc: new Date(Date.now() - 3_600_000).toISOString(),
		upc: SANDBOX_DEMO_RELEASE.upc,
		platforms: { spotify: {} },
	});
	if (created.status !== 200) throw new Error(`campaign: ${JSON.stringify(created.body)}`);
	const campaignId = created.body.campaign.id;
	await inParallel(range(fans), SEED_CONCURRENCY, (index) =>
		recordPendingPresave(bench.ledger, bench.fanIds[index], campaignId),
	);
	const requestsBefore = bench.sandbox.spotify.api.requests.length;
	const refusedBefore = refusals(bench);
	const cpuBefore = hubsCpuSeconds(hubs);
	const startedMs = Date.now();
	const started = await api.call<{ jobId: string }>(
		'POST',
		`/v1/campaigns/${campaignId}/conversions`,
		{},
	);
	if (started.status !== 202) throw new Error(`conversion: ${JSON.stringify(started.body)}`);
	const job = await eventually(
		`the ${label} conversion`,
		async () => {
			const read = await api.call<{ status: string; progress: { converted?: number } }>(
				'GET',
				`/v1/jobs/${started.body.jobId}`,
			);
			if (read.body.status === 'failed') throw new Error(`${label}: ${JSON.stringify(read.body)}`);
			return read.body.status === 'done' ? read.body : undefined;
		},
		(fans / RATE) * 5_000 + 120_000,
		() => hubs.map((hub) => hub.log.slice(-2_000)).join('\n'),
		100,
	);
	const seconds = (Date.now() - startedMs) / 1000;
	const cpuUsed = hubsCpuSeconds(hubs) - cpuBefore;
	const converted = job.progress.converted ?? 0;
	if (converted !== fans) throw new Error(`${label}: converted ${converted} of ${fans}`);
	return {
		seconds,
		savesPerSecond: converted / seconds,
		requests: bench.sandbox.spotify.api.requests.length - requestsBefore,
		refused: refusals(bench) - refusedBefore,
		cpuSecondsPer1000: (cpuUsed * 1000) / converted,
	};
}

async function releaseDays(bench: Bench): Promise<void> {
	for (const [round, latencyMs] of [0, LATENCY_MS].entries()) {
		bench.sandbox.spotify.api.faults.set({ delayMs: latencyMs });
		const counts = Array.from({ length: HUB_PROCESSES }, (_, i) => i + 1);
		if (round % 2 === 1) counts.reverse();
		const figures = new Map<number, Awaited<ReturnType<typeof releaseDay>>>();
		for (const count of counts) {
			await scaleTo(bench, count);
			await releaseDay(bench, WARMUP_FANS, `warm-up-${count}`);
			figures.set(count, await releaseDay(bench, FANS, `${count}-hubs-${latencyMs}ms`));
		}
		const single = figures.get(1)!;
		console.log(`  stand-in latency ${latencyMs} ms (runs in order ${counts.join(' → ')}):`);
		for (const count of [...figures.keys()].sort()) {
			const run = figures.get(count)!;
			console.log(
				`    ${count} hub process${count > 1 ? 'es' : '  '}: ${run.savesPerSecond.toFixed(1).padStart(6)} saves/s ` +
					`= ${(run.savesPerSecond / RATE).toFixed(3)} of the allowed ${RATE}/s; ` +
					`${(run.savesPerSecond / single.savesPerSecond).toFixed(2)}× one process; ` +
					`${run.cpuSecondsPer1000.toFixed(2)} hub CPU s per 1,000 saves; ` +
					`${run.refused} × 429 (${run.requests} Spotify calls in ${run.seconds.toFixed(1)} s)`,
			);
		}
	}
	const refused = refusals(bench);
	console.log(
		`  budget exceeded: the stand-in answered ${refused} request${refused === 1 ? '' : 's'} 429 over every run above, warm-ups included ` +
			`(its window: ${Math.floor(((RATE * WINDOW_MS) / 1000) * JITTER_ALLOWANCE)} calls per ${WINDOW_MS / 1000} s)`,
	);
}

/** Events recorded through the hub's API, timed until the hub has delivered every one. */
async function deliverEvents(bench: Bench, client: HubClient, campaignId: string, events: number) {
	const delivered = async () =>
		Number(
			(
				await bench.ledger.store.get<{ n: number | string }>(
					`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'delivered'`,
				)
			)?.n,
		);
	const before = await delivered();
	const startedMs = Date.now();
	await inParallel(range(events), RECORD_CONCURRENCY, async (index) => {
		await client.recordAction({
			fanId: bench.fanIds[index % bench.fanIds.length],
			campaignId,
			kind: 'presave',
			status: 'done',
		});
	});
	await eventually(
		`${events} events delivered`,
		async () => ((await delivered()) >= before + events ? true : undefined),
		events * 1_000 + 120_000,
		undefined,
		100,
	);
	return events / ((Date.now() - startedMs) / 1000);
}

async function eventThroughput(bench: Bench): Promise<void> {
	await scaleTo(bench, 1);
	const n8nDatabase = await createTestDatabase('postgres');
	let queue: N8nQueue | undefined;
	try {
		const hub = bench.hubs[0];
		queue = await N8nQueue.start({
			name: 'bench-scale-out',
			// Inside the bench's folder, so its logs go with it when the bench ends.
			userFolder: path.join(bench.workDir, 'n8n'),
			databaseUrl: n8nDatabase.databaseUrl!,
			workers: 2,
			workerConcurrency: WORKER_CONCURRENCY,
			credentials: [
				{
					id: 'fanloopBenchScaleCred',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: bench.apiKey },
				},
			],
			workflows: [workflow],
			env: { N8N_LOG_LEVEL: 'warn' },
		});
		const n8n = queue;
		await untilHubSubscribed(bench, [workflow]);
		const client = new HubClient(hub.url, bench.apiKey);
		const campaignId = await client.createCampaign(
			`bench-events-${randomBytes(3).toString('hex')}`,
		);
		const measure = async () => {
			await deliverEvents(bench, client, campaignId, WARMUP_EVENTS);
			return deliverEvents(bench, client, campaignId, EVENTS);
		};
		const twoWorkers = await measure();
		await n8n.workers[1]!.stop();
		const oneWorker = await measure();
		await n8n.restartWorker(n8n.workers[1]!);
		const twoWorkersAgain = await measure();
		await scaleTo(bench, 2);
		const twoHubs = await measure();

		const executions = (await n8n.main.executions(workflow.id)).filter(
			(execution) => execution.status === 'success',
		).length;
		const recorded = 4 * (WARMUP_EVENTS + EVENTS);
		const redelivered = Number(
			(
				await bench.ledger.store.get<{ n: number | string }>(
					'SELECT COUNT(*) AS n FROM deliveries WHERE attempts > 1',
				)
			)?.n,
		);
		const twoWorkersMean = (twoWorkers + twoWorkersAgain) / 2;
		console.log(
			[
				`  n8n workers (1 hub process; runs in order 2 → 1 → 2 workers):`,
				`    1 worker:  ${oneWorker.toFixed(1).padStart(6)} events/s`,
				`    2 workers: ${twoWorkersMean.toFixed(1).padStart(6)} events/s (${twoWorkers.toFixed(1)} before, ${twoWorkersAgain.toFixed(1)} after the 1-worker run) = ${(twoWorkersMean / oneWorker).toFixed(2)}× one worker`,
				`  hub processes (2 workers; the 2-hub run right after the second 2-worker run):`,
				`    1 hub process:   ${twoWorkersAgain.toFixed(1).padStart(6)} events/s`,
				`    2 hub processes: ${twoHubs.toFixed(1).padStart(6)} events/s = ${(twoHubs / twoWorkersAgain).toFixed(2)}× one process`,
				`  ${executions} successful executions for ${recorded} events recorded; ${redelivered} events delivered more than once ` +
					`(a run that outlasted the hub's delivery timeout is sent again: de-duplicated by event id downstream)`,
			].join('\n'),
		);
	} catch (error) {
		if (error instanceof Error && queue) error.message += `\n\n${queue.logTail()}`;
		throw error;
	} finally {
		await queue?.stop();
		await queue?.dropQueueKeys();
		await n8nDatabase.drop();
	}
}

async function main(): Promise<void> {
	process.env[POSTGRES_URL_ENV] ??= (await ensurePostgresServer()).url;
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bench-scale-'));
	const database = await createTestDatabase('postgres');
	const sandbox = await startStreamingSandbox({
		spotifyDevModeUserCap: 0,
		rateLimits: {
			spotify: {
				requests: Math.floor(((RATE * WINDOW_MS) / 1000) * JITTER_ALLOWANCE),
				windowMs: WINDOW_MS,
			},
		},
	});
	const sealingKey = randomBytes(32);
	const hubs: HubProcess[] = [];
	let ledger: Ledger | undefined;
	try {
		for (let i = 0; i < HUB_PROCESSES; i++) {
			const port = await freePort();
			const dataDir = path.join(workDir, `hub-${i + 1}`);
			const env: NodeJS.ProcessEnv = {
				...hubProcessEnv({ port, dataDir, sealingKey, databaseUrl: database.databaseUrl }),
				FANLOOP_DELIVERY_POLL_MS: '50',
				...sandboxSpotifyEnv(sandbox, RATE),
			};
			fs.mkdirSync(dataDir);
			hubs.push(
				new HubProcess(env, `http://127.0.0.1:${port}`, {
					cli: hubCli,
					logFile: path.join(workDir, `hub-${i + 1}.log`),
				}),
			);
		}
		const apiKey = hubs[0].createApiKey('bench');
		ledger = await openLedger(database, sealingKey);
		const seeded = ledger;
		const fanIds: string[] = [];
		await inParallel(range(FANS), SEED_CONCURRENCY, async (index) => {
			fanIds[index] = await seedSpotifyFan(seeded, sandbox, `bench-scale-${index}`);
		});
		const bench: Bench = { database, sandbox, ledger, hubs, apiKey, fanIds, workDir };

		console.log(
			`scale-out on ${os.cpus().length} cores, every process on this machine, one PostgreSQL database\n` +
				`release day: ${FANS.toLocaleString('en')} Spotify pre-saves per run (after ${WARMUP_FANS} to warm up), ` +
				`budget ${RATE} requests/s told to every hub and enforced by the stand-in's rolling ${WINDOW_MS / 1000} s window; ` +
				`stand-in latency 0 ms, then ${LATENCY_MS} ms (one process then needs ${(RATE * LATENCY_MS) / 1000} calls in flight)`,
		);
		await releaseDays(bench);
		if (process.env.BENCH_SCALE_OUT_SKIP_EVENTS) return;
		console.log(
			`events: hub → n8n ${N8N_VERSION} in queue mode (main, webhook process, workers at --concurrency=${WORKER_CONCURRENCY}); ` +
				`${EVENTS} presave.completed events per run (after ${WARMUP_EVENTS} to warm up), ` +
				`timed from the first recorded to the last delivered, which the Trigger answers once its run succeeded`,
		);
		await eventThroughput(bench);
	} finally {
		await Promise.all(hubs.map((hub) => hub.kill('SIGTERM')));
		await ledger?.store.close();
		await sandbox.stop();
		await database.drop();
		fs.rmSync(workDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exitCode = 1;
});
