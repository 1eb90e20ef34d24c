/**
 * What a marketer sets up in a real n8n before any workflow runs: the Fanloop Hub credential,
 * tested from the credential dialog, and a campaign named by its slug, not its id — a Fanloop
 * Trigger filtered by the slug starts its workflow for that campaign's events only, and a
 * Fanloop node that names the campaign by slug records under the campaign's id.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { freePort } from '../../scripts/n8n/free-port';
import { eventually, N8n, untilHubSubscribed, withN8nLog, type WorkflowTemplate } from './harness';

jest.setTimeout(180_000);

const CREDENTIAL = { fanloopHubApi: { id: 'fanloopHub', name: 'Fanloop Hub' } };

const workflow: WorkflowTemplate = {
	id: 'flSlugCampaign01',
	name: 'Clicks after a pre-save, by campaign slug',
	nodes: [
		{
			id: 'b7d1c3e0-0000-4000-8000-000000000001',
			name: 'Pre-save completed',
			type: 'n8n-nodes-fanloop.fanloopTrigger',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'b7d1c3e0-0000-4000-8000-0000000000a1',
			parameters: { events: ['presave.completed'], campaignId: 'mia-neon-nights' },
			credentials: CREDENTIAL,
		},
		{
			id: 'b7d1c3e0-0000-4000-8000-000000000002',
			name: 'Record a click',
			type: 'n8n-nodes-fanloop.fanloopFan',
			typeVersion: 1,
			position: [260, 0],
			parameters: {
				resource: 'fan',
				operation: 'recordAction',
				kind: 'click',
				additionalFields: {
					campaignId: 'mia-neon-nights',
					parentActionId: '={{ $json.data.action.id }}',
				},
			},
			credentials: CREDENTIAL,
		},
	],
	connections: {
		'Pre-save completed': { main: [[{ node: 'Record a click', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

describe('a marketer setting up Fanloop in a real n8n', () => {
	let dataDir: string;
	let hub: RunningHub;
	let api: HubApi;
	let n8n: N8n | undefined;
	let apiKey: string;

	beforeAll(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-slug-hub-'));
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			delivery: { pollMs: 50, maxBackoffMs: 1_000 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('slug test'));
		for (const slug of ['mia-neon-nights', 'another-release']) {
			await api.call('POST', '/v1/campaigns', {
				slug,
				artist: 'Mia',
				title: slug,
				releaseAtUtc: '2026-12-04T00:00:00Z',
			});
		}
		apiKey = await hub.createApiKey('n8n');
		n8n = await N8n.start({
			name: 'marketer-setup',
			credentials: [
				{
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey },
				},
			],
			workflows: [workflow],
		});
		await untilHubSubscribed(hub, [workflow]);
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	/** What the credential dialog's test shows for these values, asked the way the editor asks. */
	async function credentialTest(data: { baseUrl: string; apiKey: string }) {
		const response = await fetch(`${n8n!.url}/rest/credentials/test`, {
			method: 'POST',
			headers: { cookie: await n8n!.login(), 'content-type': 'application/json' },
			body: JSON.stringify({
				credentials: { id: 'fanloopHub', name: 'Fanloop Hub', type: 'fanloopHubApi', data },
			}),
		});
		expect(response.status).toBe(200);
		return ((await response.json()) as { data: { status: string; message: string } }).data;
	}

	it('tests the credential and answers each mistake with a sentence', async () => {
		expect(await credentialTest({ baseUrl: `${hub.url}/v1`, apiKey })).toEqual({
			status: 'OK',
			message: 'Connected to the Fanloop hub.',
		});
		const wrongKey = await credentialTest({ baseUrl: hub.url, apiKey: 'not-a-key' });
		expect(wrongKey.status).toBe('Error');
		expect(wrongKey.message).toContain('fanloop-hub api-key create');
		const nowhere = `http://127.0.0.1:${await freePort()}`;
		expect(await credentialTest({ baseUrl: nowhere, apiKey })).toEqual({
			status: 'Error',
			message: `Could not reach the Fanloop hub at ${nowhere}: nothing accepts connections at that address. Check that the hub is running and that the Base URL is the address it answers at.`,
		});
	});

	it(
		'runs for the slug’s campaign only and records under its id',
		withN8nLog(
			() => n8n,
			async () => {
				const campaign = (await api.call('GET', '/v1/campaigns/mia-neon-nights')).body;
				const fanFor = async (email: string) =>
					(await api.call('POST', '/v1/fans', { identities: [{ channel: 'email', value: email }] }))
						.body.fan.id as string;
				const mine = await fanFor('mine@example.com');
				const other = await fanFor('other@example.com');
				await api.call('POST', '/v1/actions', {
					fanId: other,
					campaignId: 'another-release',
					kind: 'presave',
				});
				const presave = await api.call('POST', '/v1/actions', {
					fanId: mine,
					campaignId: campaign.id,
					kind: 'presave',
				});

				const clicks = await eventually(
					'the click the workflow records',
					async () => {
						const actions = (await api.call('GET', `/v1/fans/${mine}/export`)).body
							.actions as Array<{ kind: string }>;
						const found = actions.filter((action) => action.kind === 'click');
						return found.length > 0 ? found : undefined;
					},
					60_000,
					() => n8n!.logTail(),
				);
				expect(clicks).toEqual([
					expect.objectContaining({
						campaignId: campaign.id,
						parentActionId: presave.body.action.id,
					}),
				]);
				const executions = await n8n!.executions(workflow.id);
				expect(executions.map((execution) => execution.status)).toEqual(['success']);
				const otherActions = (await api.call('GET', `/v1/fans/${other}/export`)).body
					.actions as Array<{ kind: string }>;
				expect(otherActions.map((action) => action.kind)).toEqual(['presave']);
			},
		),
	);
});
