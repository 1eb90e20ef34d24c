/**
 * The importable templates in workflows/, exactly as shipped: imported, published and run in
 * a real n8n with the packed package installed as a community node, against the hub (SQLite)
 * sending through the Twilio and SMTP stand-ins on a sandbox clock set to daytime in Berlin.
 * One n8n for the file: every template is published at once, as after `npm start`, so each
 * test also proves the other templates' triggers leave its events alone (no error runs).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_TWILIO,
	startMessagingSandbox,
	type MessagingSandbox,
} from '../../sandbox/src/messaging';
import { HubApi } from '../support/hub-api';
import { sandboxMessaging } from '../support/messaging';
import {
	eventually,
	loadTemplate,
	N8n,
	sleep,
	untilHubSubscribed,
	withN8nLog,
	type Execution,
	type WorkflowTemplate,
} from './harness';
import type { HubAction } from './hub-client';

const presave = loadTemplate('presave-next-layer.json');
const keyword = loadTemplate('sms-keyword-optin.json');
const email = loadTemplate('email-double-optin.json');
const templates = [presave, keyword, email];

/** 11:00 in Berlin (CET): inside the 8am–9pm window the hub sends marketing in. */
const BERLIN_MORNING = Date.parse('2026-12-03T10:00:00Z');

jest.setTimeout(180_000);

describe('the workflow templates in a real n8n', () => {
	const clock = new SandboxClock();
	let dataDir: string;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let inboundUrl: string;
	let n8n: N8n | undefined;

	beforeAll(async () => {
		clock.set(BERLIN_MORNING);
		messaging = await startMessagingSandbox({ clock });
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-templates-hub-'));
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			clock: () => clock.now(),
			program: {
				name: 'Nia Vale',
				helpText: 'Nia Vale updates. Reply STOP to opt out.',
				stopSuppresses: ['sms', 'email'],
			},
			messaging: sandboxMessaging(messaging),
			// n8n checks signatures against its own clock, not the sandbox's.
			delivery: { pollMs: 50, maxBackoffMs: 1_000, signingClock: Date.now },
			jobs: { pollMs: 50 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('templates test'));
		inboundUrl = `${hub.url}/webhooks/twilio/sms`;
		n8n = await N8n.start({
			name: 'templates',
			credentials: [
				{
					// The id every template names, as `npm start` imports it.
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n templates') },
				},
			],
			workflows: templates,
		});
		await untilHubSubscribed(hub, templates);
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		await messaging?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	function n8nIt(name: string, body: () => Promise<void>): void {
		it(
			name,
			withN8nLog(() => n8n, body),
		);
	}

	function smsTo(phone: string) {
		return messaging.twilio.sent().filter((message) => message.to === phone);
	}

	function emailsTo(address: string) {
		return messaging.smtp.messages().filter((mail) => mail.to.includes(address));
	}

	async function call<T = any>(method: string, url: string, body?: unknown): Promise<T> {
		const response = await api.call<T>(method, url, body);
		if (response.status >= 300) {
			throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
		}
		return response.body;
	}

	async function text(phone: string, body: string): Promise<void> {
		const result = await messaging.twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: body,
		});
		expect(result.status).toBe(200);
	}

	/**
	 * Every execution of every template has finished, none with an error, and each named
	 * template ran at least as often as asked.
	 */
	async function expectOnlySuccessfulRuns(atLeast: Map<WorkflowTemplate, number>): Promise<void> {
		const runs = await eventually(
			'every template execution to finish',
			async () => {
				const all = new Map<WorkflowTemplate, Execution[]>();
				for (const workflow of templates) all.set(workflow, await n8n!.executions(workflow.id));
				const running = [...all.values()].flat().some((e) => !e.stoppedAt && !e.finished);
				const enough = [...atLeast].every(
					([workflow, count]) => all.get(workflow)!.length >= count,
				);
				return running || !enough ? undefined : all;
			},
			30_000,
			() => n8n!.logTail(),
		);
		for (const [workflow, executions] of runs) {
			expect({
				workflow: workflow.name,
				statuses: executions.map((e) => e.status).filter((s) => s !== 'success'),
			}).toEqual({ workflow: workflow.name, statuses: [] });
		}
	}

	/** What each node of a template's recent runs output, for failure messages. */
	async function runsOf(workflow: WorkflowTemplate): Promise<string> {
		const executions = await n8n!.executions(workflow.id, true).catch(() => []);
		return executions
			.slice(0, 5)
			.map((e) => {
				const nodes = Object.entries(e.data?.resultData.runData ?? {}).map(
					([name, runs]) =>
						`  ${name}: ${JSON.stringify(runs.map((r) => r.data?.main ?? r)).slice(0, 600)}`,
				);
				return [`${workflow.name} #${e.id} ${e.status}`, ...nodes].join('\n');
			})
			.join('\n');
	}

	it('ships templates that use the published node types and the credential npm start imports', () => {
		for (const workflow of templates) {
			expect(workflow.id).toMatch(/^[A-Za-z0-9]{16}$/);
			const fanloopNodes = workflow.nodes.filter((n) => n.type.startsWith('n8n-nodes-fanloop.'));
			expect(fanloopNodes.length).toBeGreaterThan(0);
			for (const node of fanloopNodes) {
				// Each node at its current version: the Trigger's 2, which spares n8n an expression per event.
				expect(node.typeVersion).toBe(node.type === 'n8n-nodes-fanloop.fanloopTrigger' ? 2 : 1);
				expect(node.credentials).toEqual({
					fanloopHubApi: { id: 'fanloopHub', name: 'Fanloop Hub' },
				});
			}
			expect(workflow.nodes.some((n) => n.type === 'n8n-nodes-base.stickyNote')).toBe(true);
			expect(workflow.active).toBe(false);
		}
	});

	n8nIt(
		'pre-save recorded through the API for an imported fan: asks for SMS at the number on record, layered on the pre-save',
		async () => {
			const phone = '+4915120000001';
			const { campaign } = await call('POST', '/v1/campaigns', {
				slug: `night-drive-${randomBytes(3).toString('hex')}`,
				artist: 'Nia Vale',
				title: 'Night Drive',
				releaseAtUtc: '2027-01-15T00:00:00Z',
			});
			const { fan } = await call('POST', '/v1/fans', {
				identities: [
					{ channel: 'email', value: `presave.${randomBytes(3).toString('hex')}@example.com` },
					{ channel: 'phone', value: phone },
				],
				timezone: 'Europe/Berlin',
			});
			const { action: presaveAction } = await call<{ action: HubAction }>('POST', '/v1/actions', {
				fanId: fan.id,
				campaignId: campaign.id,
				kind: 'presave',
				status: 'done',
			});

			const [request] = await eventually(
				'the "reply YES" text',
				async () => (smsTo(phone).length ? smsTo(phone) : undefined),
				60_000,
				() => n8n!.logTail(),
			);
			expect(request.body).toMatch(/reply YES/i);

			const exported = await call('GET', `/v1/fans/${fan.id}/export`);
			const optins = (exported.actions as HubAction[]).filter((a) => a.kind === 'optin_sms');
			expect(optins).toEqual([
				expect.objectContaining({
					status: 'pending',
					parentActionId: presaveAction.id,
					campaignId: campaign.id,
				}),
			]);
			expect(exported.consents).toContainEqual(
				expect.objectContaining({
					channel: 'phone',
					status: 'pending',
					source: 'presave-follow-up',
					wording: expect.stringContaining('Reply STOP'),
				}),
			);
			// Email is the layer after SMS: not offered while SMS is the next one.
			expect((exported.actions as HubAction[]).some((a) => a.kind === 'optin_email')).toBe(false);
			await expectOnlySuccessfulRuns(new Map([[presave, 1]]));
		},
	);

	n8nIt(
		'pre-save recorded through the API: asks an imported fan with no number on record for email instead',
		async () => {
			const address = `email-only.${randomBytes(3).toString('hex')}@example.com`;
			const { fan } = await call('POST', '/v1/fans', {
				identities: [{ channel: 'email', value: address }],
				timezone: 'Europe/Berlin',
			});
			const { action: presaveAction } = await call<{ action: HubAction }>('POST', '/v1/actions', {
				fanId: fan.id,
				kind: 'presave',
				status: 'done',
			});
			const mail = await messaging.smtp.waitFor((m) => m.to.includes(address), 60_000);
			expect(mail.text).toMatch(/\/optin\/confirm\?token=/);
			const exported = await call('GET', `/v1/fans/${fan.id}/export`);
			expect((exported.actions as HubAction[]).filter((a) => a.kind.startsWith('optin_'))).toEqual([
				expect.objectContaining({
					kind: 'optin_email',
					status: 'pending',
					parentActionId: presaveAction.id,
				}),
			]);
			await expectOnlySuccessfulRuns(new Map([[presave, 2]]));
		},
	);

	n8nIt(
		'SMS keyword: JOIN → reply YES → one welcome text; quiet hours hold a late send; STOP suppresses',
		async () => {
			const phone = '+4915120000002';
			await text(phone, 'join');
			await eventually(
				'the "reply YES" text after JOIN',
				async () => (smsTo(phone).some((m) => /reply YES/i.test(m.body)) ? true : undefined),
				60_000,
				() => n8n!.logTail(),
			);

			await text(phone, 'YES');
			const isWelcome = (m: { body: string }) => m.body.startsWith('Welcome to the list!');
			await eventually(
				'the welcome text',
				async () => (smsTo(phone).some(isWelcome) ? true : undefined),
				60_000,
				() => n8n!.logTail(),
			);
			// Time for a redelivery or a second run to show up.
			await sleep(2_000);
			const welcomes = smsTo(phone).filter(isWelcome);
			expect(welcomes).toHaveLength(1);
			expect(welcomes[0].body).toContain('Reply STOP to opt out');
			await expectOnlySuccessfulRuns(
				new Map([
					[keyword, 2],
					[email, 1],
				]),
			);

			const fanId = await fanIdOf('phone', phone);
			const exported = await call('GET', `/v1/fans/${fanId}/export`);
			expect(exported.consents).toContainEqual(
				expect.objectContaining({
					channel: 'phone',
					status: 'granted',
					source: 'sms-keyword',
					wording: expect.stringContaining('Texted JOIN'),
				}),
			);

			// 23:00 in Berlin: the hub holds the send until 8am there, then sends it once.
			clock.set(Date.parse('2026-12-03T22:00:00Z'));
			const late = await call('POST', '/v1/messages', {
				fanId,
				channel: 'sms',
				text: 'Night Drive is out at midnight. Reply STOP to opt out.',
				idempotencyKey: `late-${randomBytes(3).toString('hex')}`,
			});
			expect(late).toMatchObject({ status: 'scheduled', sendAt: '2026-12-04T07:00:00.000Z' });
			await sleep(300);
			const isLate = (m: { body: string }) => m.body.startsWith('Night Drive is out');
			expect(smsTo(phone).some(isLate)).toBe(false);
			clock.set(Date.parse('2026-12-04T07:00:30Z'));
			await eventually('the 8am send', async () => (smsTo(phone).some(isLate) ? true : undefined));
			expect((await call('GET', `/v1/messages/${late.id}`)).status).toBe('sent');
			await sleep(300);
			expect(smsTo(phone).filter(isLate)).toHaveLength(1);

			// STOP: a later send (as a workflow's Send would call it) reaches nobody.
			await text(phone, 'STOP');
			const before = smsTo(phone).length;
			const after = await call('POST', '/v1/messages', {
				fanId,
				channel: 'sms',
				text: 'Out now! Reply STOP to opt out.',
			});
			expect(after.status).toBe('suppressed');
			await sleep(500);
			expect(smsTo(phone)).toHaveLength(before);
			await expectOnlySuccessfulRuns(new Map([[keyword, 2]]));
		},
	);

	n8nIt('email double opt-in: form POST → confirmation link → one welcome email', async () => {
		const address = `signup.${randomBytes(3).toString('hex')}@example.com`;
		const response = await fetch(n8n!.webhookUrl('fanloop-email-signup'), {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-forwarded-for': '203.0.113.7, 10.0.0.1',
				'user-agent': 'Mozilla/5.0 (Fanloop test)',
			},
			body: JSON.stringify({ email: address, timezone: 'Europe/Berlin' }),
		});
		expect(response.status).toBe(202);
		expect(await response.json()).toMatchObject({ ok: true, status: 'pending' });

		const mail = await messaging.smtp.waitFor((m) => m.to.includes(address), 30_000);
		const link = mail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)?.[0];
		expect(link).toBeDefined();
		const page = await fetch(link!);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('<form method="post" action="/optin/confirm">');
		const confirmed = await fetch(`${hub.url}/optin/confirm`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ token: new URL(link!).searchParams.get('token')! }).toString(),
		});
		expect(await confirmed.text()).toContain('You are subscribed');

		const isWelcome = (m: { subject: string }) => m.subject.startsWith('Welcome - the new single');
		const welcome = await eventually(
			'the welcome email',
			async () => emailsTo(address).find(isWelcome),
			60_000,
		).catch(async (error: Error) => {
			error.message += `\n${await runsOf(email)}\n${emailsTo(address)
				.map((m) => m.subject)
				.join(' | ')}`;
			throw error;
		});
		expect(welcome.text).toContain('https://fanloop.example/presave');
		expect(welcome.headers['list-unsubscribe']).toMatch(/\/unsubscribe\?token=/);
		await sleep(2_000);
		expect(emailsTo(address).filter(isWelcome)).toHaveLength(1);

		const exported = await call('GET', `/v1/fans/${await fanIdOf('email', address)}/export`);
		expect(exported.consents).toContainEqual(
			expect.objectContaining({
				channel: 'email',
				status: 'granted',
				source: 'signup-form',
				ip: '203.0.113.7',
				userAgent: 'Mozilla/5.0 (Fanloop test)',
				wording: 'Email me about new releases. Unsubscribe any time.',
			}),
		);

		// A malformed address gets the form's error answer, and the run still ends well.
		const bad = await fetch(n8n!.webhookUrl('fanloop-email-signup'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ email: 'not-an-address' }),
		});
		expect(bad.status).toBe(400);
		await expectOnlySuccessfulRuns(new Map([[email, 3]]));
	});

	async function fanIdOf(channel: 'phone' | 'email', value: string): Promise<string> {
		const q = new URLSearchParams({ channel, value });
		return (await call<{ id: string }>('GET', `/v1/fans/by-identity?${q}`)).id;
	}
});
