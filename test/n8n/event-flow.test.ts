/**
 * The whole loop on real software: the hub (SQLite) delivers a signed "pre-save completed"
 * event to a Fanloop Trigger in a real n8n with the packed package installed as a community
 * node; the workflow asks Fanloop Next Layer where the fan goes and records the SMS opt-in
 * back in the hub's ledger, layered on the pre-save.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { HubClient, type HubAction } from './hub-client';
import { eventually, N8n, sleep, untilHubSubscribed, withN8nLog } from './harness';

const workflow = JSON.parse(
	fs.readFileSync(path.join(__dirname, 'fixtures/presave-to-sms-optin.workflow.json'), 'utf8'),
) as { id: string; nodes: Array<{ type: string; webhookId?: string }> };
const triggerWebhookPath = `${workflow.nodes.find((n) => n.type.endsWith('.fanloopTrigger'))?.webhookId}/webhook`;

jest.setTimeout(240_000);

describe('hub events into a real n8n running the Fanloop package', () => {
	let dataDir: string;
	let hub: RunningHub;
	let api: HubClient;
	let n8n: N8n | undefined;
	let campaignId: string;

	beforeAll(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-hub-'));
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			// Quick redelivery so the "n8n was down" case does not wait on a long backoff.
			delivery: { pollMs: 100, maxBackoffMs: 1_000 },
		});
		api = new HubClient(hub.url, await hub.createApiKey('n8n'));
		n8n = await N8n.start({
			name: 'event-flow',
			credentials: [
				{
					id: 'fanloopHubCred1',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n workflow') },
				},
			],
			workflows: [workflow],
		});
		await untilHubSubscribed(hub, [workflow]);
		campaignId = await api.createCampaign(`second-layer-${randomBytes(3).toString('hex')}`);
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	/** A test whose failure message ends with the tail of n8n's log. */
	function n8nIt(name: string, body: () => Promise<void>): void {
		it(
			name,
			withN8nLog(() => n8n, body),
		);
	}

	async function followUpOf(fanId: string, presave: HubAction): Promise<HubAction[]> {
		const { actions } = await api.exportFan(fanId);
		return actions.filter((a) => a.kind === 'optin_sms' && a.parentActionId === presave.id);
	}

	n8nIt(
		'records the SMS opt-in layered on a pre-save, through the trigger, Next Layer and Fan nodes',
		async () => {
			const fanId = await api.upsertFan(`fan-${randomBytes(4).toString('hex')}@example.com`);
			const presave = await api.recordAction({
				fanId,
				campaignId,
				kind: 'presave',
				status: 'done',
			});

			const [optin] = await eventually(
				'the optin_sms action in the ledger',
				async () => {
					const found = await followUpOf(fanId, presave);
					return found.length ? found : undefined;
				},
				60_000,
				() => n8n!.logTail(),
			);
			expect(optin).toMatchObject({
				kind: 'optin_sms',
				status: 'pending',
				parentActionId: presave.id,
			});

			const executions = await n8n!.waitForExecutions(workflow.id, 1);
			expect(executions.every((e) => e.status === 'success')).toBe(true);
		},
	);

	n8nIt(
		'delivers an event recorded while n8n is down once n8n is back, and records its follow-up once',
		async () => {
			await n8n!.stop();
			const fanId = await api.upsertFan(`fan-${randomBytes(4).toString('hex')}@example.com`);
			const presave = await api.recordAction({
				fanId,
				campaignId,
				kind: 'presave',
				status: 'done',
			});
			// Let the hub fail at least one delivery against the stopped n8n.
			await sleep(2_000);
			expect(await followUpOf(fanId, presave)).toHaveLength(0);

			await n8n!.start();
			let deliveries: unknown[] = [];
			await eventually(
				'the optin_sms action after n8n came back',
				async () => {
					deliveries = await hub.ledger.store.all(
						'SELECT d.subscription_id, d.status, d.attempts, d.last_error, s.url FROM deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id ORDER BY d.event_id DESC LIMIT 4',
					);
					return (await followUpOf(fanId, presave)).length ? true : undefined;
				},
				60_000,
				() => `hub deliveries: ${JSON.stringify(deliveries)}\n${n8n!.logTail()}`,
			);
			// Any redelivery has had time to arrive; the idempotency key keeps the follow-up single.
			await sleep(3_000);
			expect(await followUpOf(fanId, presave)).toHaveLength(1);
		},
	);

	n8nIt(
		'answers 401 to forged and unsigned posts to the production webhook and starts no execution',
		async () => {
			const before = (await n8n!.executions(workflow.id)).length;
			const body = JSON.stringify({
				id: 'evt_forged',
				type: 'presave.completed',
				createdAt: new Date().toISOString(),
				campaignId,
				data: { fan: { id: 'fan_forged' }, action: { id: 'act_forged', kind: 'presave' } },
			});
			const t = Math.floor(Date.now() / 1000);
			const forgedSignature = createHmac('sha256', 'not-the-subscription-secret')
				.update(`${t}.${body}`)
				.digest('hex');
			const post = (headers: Record<string, string>): Promise<Response> =>
				fetch(n8n!.webhookUrl(triggerWebhookPath), {
					method: 'POST',
					headers: {
						'content-type': 'application/json',
						'fanloop-event-id': 'evt_forged',
						...headers,
					},
					body,
				});

			expect((await post({ 'fanloop-signature': `t=${t},v1=${forgedSignature}` })).status).toBe(
				401,
			);
			expect((await post({})).status).toBe(401);

			await sleep(2_000);
			expect(await n8n!.executions(workflow.id)).toHaveLength(before);
		},
	);
});
