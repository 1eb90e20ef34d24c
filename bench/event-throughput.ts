/**
 * Hub → n8n event throughput: events recorded in the hub, delivered signed from its outbox
 * to a Fanloop Trigger workflow in a real n8n, counted as finished executions; against the
 * same event bodies POSTed straight to a bare n8n Webhook workflow on the same instance with
 * the hub's delivery concurrency (its batch size). The ratio is what the outbox, signing and
 * signature check cost over n8n's own webhook path. Loopback only, bounded counts.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub } from '../hub/src';
import { N8n, repoRoot, sleep } from '../test/n8n/harness';
import { HubClient } from '../test/n8n/hub-client';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500);
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
			typeVersion: 1,
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

async function waitForCount(n8n: N8n, workflowId: string, count: number): Promise<void> {
	const deadline = Date.now() + 10 * 60_000;
	for (;;) {
		// A busy n8n answers 503 "Database is not ready" now and then: ask again at the next poll.
		const done = (await n8n.executions(workflowId).catch(() => [])).filter((e) => e.stoppedAt);
		if (done.length >= count) return;
		if (Date.now() > deadline) throw new Error(`${workflowId}: ${done.length}/${count} executions`);
		// Listing executions loads n8n's database too: poll gently (adds < 1 s to a 10+ s run).
		await sleep(1_000);
	}
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
		const campaignId = await api.createCampaign('bench');
		const fanIds: string[] = [];
		for (let i = 0; i < 20; i++) fanIds.push(await api.upsertFan(`bench-${i}@example.com`));

		// Through the hub: record pre-saves; the outbox delivers each as a signed event.
		let started = performance.now();
		let next = 0;
		await Promise.all(
			Array.from({ length: 8 }, async () => {
				while (next < EVENTS) {
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
		await waitForCount(n8n, triggerOnly.id, EVENTS);
		const hubSeconds = (performance.now() - started) / 1000;
		console.log(
			`  hub → Fanloop Trigger workflow: ${(EVENTS / hubSeconds).toFixed(1)} events/s (${hubSeconds.toFixed(2)} s, record → finished execution)`,
		);

		// Straight to a bare Webhook: the same event shape, no signature.
		const body = (i: number): string =>
			JSON.stringify({
				id: `evt_bench_${i}`,
				type: 'presave.completed',
				createdAt: new Date().toISOString(),
				campaignId,
				data: {
					fan: { id: fanIds[i % fanIds.length] },
					action: { id: `act_${i}`, kind: 'presave' },
				},
			});
		started = performance.now();
		next = 0;
		const url = n8n.webhookUrl('fanloop-bare');
		await Promise.all(
			Array.from({ length: CONCURRENCY }, async () => {
				while (next < EVENTS) {
					const payload = body(next++);
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
		await waitForCount(n8n, bare.id, EVENTS);
		const bareSeconds = (performance.now() - started) / 1000;

		const hubRate = EVENTS / hubSeconds;
		const bareRate = EVENTS / bareSeconds;
		process.stdout.write(
			[
				`event-throughput (${EVENTS} events, n8n ${'2.41.1'}, SQLite hub, loopback)`,
				`  POST → bare Webhook workflow:   ${bareRate.toFixed(1)} events/s (${bareSeconds.toFixed(2)} s, ${CONCURRENCY} in flight)`,
				`  hub → Fanloop Trigger vs bare n8n Webhook: ${(hubRate / bareRate).toFixed(2)} (target ≥ 0.8)`,
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
