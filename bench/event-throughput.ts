/**
 * Hub → n8n event throughput: events recorded in the hub, delivered signed from its outbox
 * to a Fanloop Trigger workflow in a real n8n, counted as finished executions; against the
 * very bodies the hub delivered, POSTed straight to a bare n8n Webhook workflow on the same
 * instance with the hub's delivery concurrency (its window). The ratio is what the outbox,
 * signing and the Trigger cost over n8n's own webhook path. Both sides are warmed up first and
 * run twice, hub-bare-bare-hub, so neither gains from going second on a machine whose load
 * drifts; n8n's CPU per event is printed beside each rate. Loopback only, bounded counts.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub } from '../hub/src';
import { N8n, repoRoot, sleep } from '../test/n8n/harness';
import { HubClient } from '../test/n8n/hub-client';
import { cpuSeconds } from './support/process-stats';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500); // per side, over its two runs
const WARM_UP_EVENTS = 30;
const CONCURRENCY = 32; // the hub's default delivery window: POSTs in flight at once

const bare = JSON.parse(
	fs.readFileSync(path.join(repoRoot, 'test/n8n/fixtures/bare-webhook.workflow.json'), 'utf8'),
) as { id: string };

const triggerOnly = {
	id: 'fanloopBenchTrigger',
	name: 'Bench: Fanloop Trigger only',
	active: false,
	nodes: [
		{
			id: 'b3c6a1de-0000-4000-8000-000000000001',
			name: 'Fanloop Trigger',
			type: 'n8n-nodes-fanloop.fanloopTrigger',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'b3c6a1de-0000-4000-8000-0000000000aa',
			parameters: { events: ['presave.completed'], campaignId: '' },
			credentials: { fanloopHubApi: { id: 'fanloopBenchCred', name: 'Fanloop Hub' } },
		},
		{
			id: 'b3c6a1de-0000-4000-8000-000000000002',
			name: 'Done',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, 0],
			parameters: {},
		},
	],
	connections: {
		'Fanloop Trigger': { main: [[{ node: 'Done', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

async function finishedCount(n8n: N8n, workflowId: string): Promise<number> {
	// A busy n8n answers 503 "Database is not ready" now and then: ask again at the next poll.
	const executions = await n8n.executions(workflowId).catch(() => undefined);
	return executions === undefined ? -1 : executions.filter((e) => e.stoppedAt).length;
}

async function waitForCount(n8n: N8n, workflowId: string, count: number): Promise<void> {
	const deadline = Date.now() + 10 * 60_000;
	for (;;) {
		const done = await finishedCount(n8n, workflowId);
		if (done >= count) return;
		if (Date.now() > deadline) throw new Error(`${workflowId}: ${done}/${count} executions`);
		// Listing executions loads n8n's database too: poll gently (adds < 1 s to a 10+ s run).
		await sleep(1_000);
	}
}

interface Run {
	events: number;
	seconds: number;
	n8nCpuSeconds: number;
}

interface Side {
	runs: Run[];
}

function rate(side: Side): number {
	const events = side.runs.reduce((sum, run) => sum + run.events, 0);
	return events / side.runs.reduce((sum, run) => sum + run.seconds, 0);
}

function cpuMsPerEvent(side: Side): number {
	const events = side.runs.reduce((sum, run) => sum + run.events, 0);
	return (side.runs.reduce((sum, run) => sum + run.n8nCpuSeconds, 0) * 1000) / events;
}

async function main(): Promise<void> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bench-hub-'));
	const hub = await startHub({
		port: 0,
		host: '127.0.0.1',
		dataDir,
		sealingKey: randomBytes(32),
		delivery: { pollMs: 20 },
	});
	let n8n: N8n | undefined;
	try {
		const api = new HubClient(hub.url, await hub.createApiKey('bench'));
		n8n = await N8n.start({
			name: 'bench',
			credentials: [
				{
					id: 'fanloopBenchCred',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('bench n8n') },
				},
			],
			workflows: [triggerOnly, bare],
			env: { N8N_LOG_LEVEL: 'warn' },
		});
		const running = n8n;
		const n8nPid = running.pid;
		if (n8nPid === undefined) throw new Error('n8n is not running');
		const campaignId = await api.createCampaign('bench');
		const fanIds: string[] = [];
		for (let i = 0; i < 20; i++) fanIds.push(await api.upsertFan(`bench-${i}@example.com`));

		/** Times `send` until `workflowId` has `events` more finished executions. */
		const timed = async (
			workflowId: string,
			events: number,
			send: () => Promise<void>,
		): Promise<Run> => {
			let before = await finishedCount(running, workflowId);
			while (before < 0) before = await finishedCount(running, workflowId);
			const cpuBefore = cpuSeconds(n8nPid);
			const started = performance.now();
			await send();
			await waitForCount(running, workflowId, before + events);
			return {
				events,
				seconds: (performance.now() - started) / 1000,
				n8nCpuSeconds: cpuSeconds(n8nPid) - cpuBefore,
			};
		};

		// Through the hub: record pre-saves; the outbox delivers each as a signed event.
		let recorded = 0;
		const throughHub = (events: number): Promise<Run> =>
			timed(triggerOnly.id, events, async () => {
				const first = recorded;
				recorded += events;
				let next = first;
				await Promise.all(
					Array.from({ length: 8 }, async () => {
						while (next < first + events) {
							const i = next++;
							await api.recordAction({
								fanId: fanIds[i % fanIds.length],
								campaignId,
								kind: 'presave',
								status: 'done',
								idempotencyKey: `bench-presave-${i}`,
							});
						}
					}),
				);
			});

		// Straight to a bare Webhook: the bodies the hub delivered, unsigned.
		const url = running.webhookUrl('fanloop-bare');
		const toBare = async (events: number): Promise<Run> => {
			const bodies = (
				await hub.ledger.store.all<{ payload: string }>(
					'SELECT payload FROM outbox ORDER BY created_at, id LIMIT $1',
					[events],
				)
			).map((row) => row.payload);
			return timed(bare.id, bodies.length, async () => {
				let next = 0;
				await Promise.all(
					Array.from({ length: CONCURRENCY }, async () => {
						while (next < bodies.length) {
							const payload = bodies[next++];
							// An overloaded n8n answers 500 now and then; the hub's delivery retries too.
							for (let attempt = 1; ; attempt++) {
								const res = await fetch(url, {
									method: 'POST',
									headers: { 'content-type': 'application/json' },
									body: payload,
								});
								await res.arrayBuffer();
								if (res.status === 200) break;
								if (attempt === 3) throw new Error(`bare webhook answered ${res.status}`);
							}
						}
					}),
				);
			});
		};

		await throughHub(WARM_UP_EVENTS);
		await toBare(WARM_UP_EVENTS);
		const half = Math.ceil(EVENTS / 2);
		const hubSide: Side = { runs: [] };
		const bareSide: Side = { runs: [] };
		hubSide.runs.push(await throughHub(half));
		bareSide.runs.push(await toBare(half));
		bareSide.runs.push(await toBare(half));
		hubSide.runs.push(await throughHub(half));

		const describe = (run: Run) =>
			`${(run.events / run.seconds).toFixed(1)}/s (${run.seconds.toFixed(1)} s)`;
		const ratio = rate(hubSide) / rate(bareSide);
		process.stdout.write(
			[
				`event-throughput (${EVENTS} events a side in two runs, hub-bare-bare-hub, after ${WARM_UP_EVENTS} each to warm up; n8n ${'2.41.1'}, SQLite hub, loopback)`,
				`  hub → Fanloop Trigger workflow: ${rate(hubSide).toFixed(1)} events/s, ${cpuMsPerEvent(hubSide).toFixed(0)} n8n CPU ms an event (runs: ${hubSide.runs.map(describe).join(', ')}; record → finished execution, ${CONCURRENCY} in flight)`,
				`  POST → bare Webhook workflow:   ${rate(bareSide).toFixed(1)} events/s, ${cpuMsPerEvent(bareSide).toFixed(0)} n8n CPU ms an event (runs: ${bareSide.runs.map(describe).join(', ')}; the hub's bodies, ${CONCURRENCY} in flight)`,
				`  hub first: ${(hubSide.runs[0].events / hubSide.runs[0].seconds / (bareSide.runs[0].events / bareSide.runs[0].seconds)).toFixed(2)}, bare first: ${(hubSide.runs[1].events / hubSide.runs[1].seconds / (bareSide.runs[1].events / bareSide.runs[1].seconds)).toFixed(2)}`,
				`  hub → Fanloop Trigger vs bare n8n Webhook: ${ratio.toFixed(2)} (target ≥ 0.8)`,
				'',
			].join('\n'),
		);
	} finally {
		await n8n?.stop();
		await hub.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exitCode = 1;
});
