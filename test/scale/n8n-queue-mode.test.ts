/**
 * n8n in queue mode (PostgreSQL, Redis, a main process, a webhook process and two workers, all
 * with the packed Fanloop package) receiving the hub's events through the Fanloop Trigger, and
 * a worker SIGKILLed while it runs one of them. n8n fails the job of a worker that died (it
 * never retries a stalled job), the Trigger answers the hub only when the run has finished, so
 * the webhook process answers that delivery with a 500 and the hub delivers the event again:
 * every event ends with a successful execution, de-duplicated by event id as templates do.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { N8nQueue } from '../../scripts/n8n/queue';
import { eventually, untilHubSubscribed, type Execution } from '../n8n/harness';
import { HubClient } from '../n8n/hub-client';
import { createTestDatabase, type TestDatabase } from '../support/stores';

jest.setTimeout(300_000);

const EVENTS = 12;
const TRIGGER = 'Fanloop Trigger';

/** Trigger → Wait 2 s (long enough to kill the worker running it) → No Op. */
const workflow = {
	id: 'fanloopQueueMode1',
	name: 'Queue mode: pre-save, wait, done',
	active: false,
	nodes: [
		{
			id: '7d1c1a52-0c7e-4b8e-a0f6-6b0f6f9e3001',
			name: TRIGGER,
			type: 'n8n-nodes-fanloop.fanloopTrigger',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '7d1c1a52-0c7e-4b8e-a0f6-6b0f6f9e3002',
			parameters: { events: ['presave.completed'], campaignId: '', respondWhen: 'lastNode' },
			credentials: { fanloopHubApi: { id: 'fanloopHubCredQ', name: 'Fanloop Hub' } },
		},
		{
			id: '7d1c1a52-0c7e-4b8e-a0f6-6b0f6f9e3003',
			name: 'Wait',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [220, 0],
			webhookId: '7d1c1a52-0c7e-4b8e-a0f6-6b0f6f9e3004',
			parameters: { amount: 2, unit: 'seconds' },
		},
		{
			id: '7d1c1a52-0c7e-4b8e-a0f6-6b0f6f9e3005',
			name: 'Done',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [440, 0],
			parameters: {},
		},
	],
	connections: {
		[TRIGGER]: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] },
		Wait: { main: [[{ node: 'Done', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
	pinData: {},
};

function eventIdOf(execution: Execution): string | undefined {
	const item = execution.data?.resultData.runData[TRIGGER]?.[0]?.data?.main[0]?.[0]?.json as
		{ id?: string } | undefined;
	return item?.id;
}

describe('n8n in queue mode receiving the hub’s events', () => {
	let dataDir: string;
	let n8nDatabase: TestDatabase;
	let hub: RunningHub;
	let queue: N8nQueue | undefined;
	/** Why the hub had to deliver an event again, as its delivery loop logs it. */
	const failedDeliveries: string[] = [];

	beforeAll(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-hub-'));
		n8nDatabase = await createTestDatabase('postgres');
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			// The request timeout outlasts n8n's stall detection below, so a redelivery here is the
			// webhook process's 500 for the lost run, not the hub giving up on waiting.
			delivery: { pollMs: 100, maxBackoffMs: 1_000, requestTimeoutMs: 60_000 },
			logger: {
				info() {},
				error() {},
				warn(message, fields) {
					if (message === 'event delivery failed') failedDeliveries.push(String(fields?.reason));
				},
			},
		});
		queue = await N8nQueue.start({
			name: 'queue-mode',
			databaseUrl: n8nDatabase.databaseUrl!,
			workers: 2,
			workerConcurrency: 5,
			credentials: [
				{
					id: 'fanloopHubCredQ',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n') },
				},
			],
			workflows: [workflow],
			env: {
				// A dead worker's job is found stalled within ~15 s instead of n8n's ~90 s.
				QUEUE_WORKER_LOCK_DURATION: '10000',
				QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
				QUEUE_WORKER_STALLED_INTERVAL: '5000',
			},
		});
		await untilHubSubscribed(hub, [workflow]);
	});

	afterAll(async () => {
		await queue?.stop();
		await queue?.dropQueueKeys();
		await hub?.close();
		await n8nDatabase?.drop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it('runs every event once, de-duplicated by event id, with a worker SIGKILLed mid-run', async () => {
		const n8n = queue!;
		try {
			const subscription = (await hub.ledger.webhooks.list()) as Array<{ url: string }>;
			expect(subscription[0]?.url.startsWith(n8n.webhookUrl)).toBe(true);

			const api = new HubClient(hub.url, await hub.createApiKey('test'));
			const campaignId = await api.createCampaign(`queue-${randomBytes(3).toString('hex')}`);
			for (let i = 0; i < EVENTS; i++) {
				const fanId = await api.upsertFan(`fan-${i}-${randomBytes(3).toString('hex')}@example.com`);
				await api.recordAction({ fanId, campaignId, kind: 'presave', status: 'done' });
			}

			// SIGKILL the first worker as soon as it has started a run (each waits 2 s in it).
			const [victim] = n8n.workers;
			await eventually(
				'a run started on worker 1',
				async () =>
					fs.readFileSync(victim!.logFile, 'utf8').includes('Worker started execution') ||
					undefined,
				60_000,
				() => n8n.logTail(),
			);
			await victim!.kill();

			const events = await hub.ledger.store.all<{
				event_id: string;
				status: string;
				attempts: number;
			}>('SELECT event_id, status, attempts FROM deliveries');
			expect(events).toHaveLength(EVENTS);
			const eventIds = new Set(events.map((row) => row.event_id));

			let executions: Execution[] = [];
			const succeeded = await eventually(
				'a successful execution for every event',
				async () => {
					executions = await n8n.main.executions(workflow.id, true);
					const ids = new Set(executions.filter((e) => e.status === 'success').map(eventIdOf));
					return [...eventIds].every((id) => ids.has(id)) ? ids : undefined;
				},
				150_000,
				() =>
					`executions: ${JSON.stringify(executions.map((e) => [e.id, e.status, eventIdOf(e)]))}\n${n8n.logTail()}`,
			);
			const lost = executions.filter((e) => e.status !== 'success');
			const perEvent = new Map<string, number>();
			for (const e of executions.filter((e) => e.status === 'success')) {
				const id = eventIdOf(e)!;
				perEvent.set(id, (perEvent.get(id) ?? 0) + 1);
			}
			process.stdout.write(
				`queue mode: ${EVENTS} events, ${executions.length} executions (${lost.length} lost with the worker: ${lost
					.map((e) => `${e.id} ${e.status}`)
					.join(', ')}), ${[...perEvent.values()].filter((n) => n > 1).length} events run twice\n`,
			);

			// Nothing lost: one successful run per event once de-duplicated by its id, and only hub
			// events at that.
			expect([...succeeded].sort()).toEqual([...eventIds].sort());
			// The worker really died mid-run: its execution did not succeed and was delivered again.
			expect(lost.length).toBeGreaterThan(0);
			await eventually(
				'every delivery settled',
				async () => {
					const rows = await hub.ledger.store.all<{ status: string }>(
						'SELECT status FROM deliveries',
					);
					return rows.every((row) => row.status === 'delivered') || undefined;
				},
				30_000,
			);
			const redelivered = await hub.ledger.store.all<{ attempts: number }>(
				'SELECT attempts FROM deliveries WHERE attempts > 1',
			);
			expect(redelivered.length).toBeGreaterThan(0);
			// The webhook process answered the lost runs with a 500; the hub did not merely time out.
			expect(failedDeliveries.length).toBeGreaterThan(0);
			expect(failedDeliveries.every((reason) => reason === 'HTTP 500')).toBe(true);
			// The surviving worker kept running: nothing waits on the dead one.
			expect(n8n.workers[1]!.running).toBe(true);
		} catch (error) {
			if (error instanceof Error) error.message += `\n\n${n8n.logTail()}`;
			throw error;
		}
	});
});
