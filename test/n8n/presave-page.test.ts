/**
 * The pre-save hub end to end: the "Pre-save hub" template from workflows/ published in a real
 * n8n with the packed package installed as a community node, the hub on SQLite, the streaming
 * and Twilio stand-ins. The marketer's side: the template's Fanloop Campaign node creates the
 * campaign and hands back its page URL. The fan's side: the page in headless Chromium at phone
 * size, through the platform's consent screen to the layers page. The template's follow-up
 * then runs once per completed pre-save.
 *
 * The test's copy of the template differs from the shipped one in two places only: the Manual
 * Trigger (which nothing can click headlessly) is a Webhook of the same name answering with the
 * campaign, and the wait before the follow-up is a second instead of ten minutes.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { SANDBOX_TWILIO } from '../../sandbox/src/messaging';
import { TwilioStandIn } from '../../sandbox/src/messaging/twilio';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { HubApi } from '../support/hub-api';
import { sandboxPlatforms } from '../support/streaming';
import {
	eventually,
	N8n,
	repoRoot,
	untilHubSubscribed,
	withN8nLog,
	type Execution,
} from './harness';
import type { HubAction } from './hub-client';

interface TemplateNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	[k: string]: unknown;
}

interface Template {
	id: string;
	name: string;
	nodes: TemplateNode[];
	[k: string]: unknown;
}

const SETUP_HOOK = 'presave-hub-setup';
const CAMPAIGN_SLUG = 'loop-back-home';
/** 11:00 in Berlin two weeks before the release: inside the hours the hub texts in. */
const BEFORE_RELEASE = Date.parse('2026-11-20T10:00:00Z');

/** The shipped template, with the two changes the file comment names. */
function testedCopy(): Template {
	const shipped = JSON.parse(
		fs.readFileSync(path.join(repoRoot, 'workflows', 'presave-hub.json'), 'utf8'),
	) as Template;
	const copy = structuredClone(shipped);
	copy.nodes = copy.nodes.map((node) => {
		if (node.type === 'n8n-nodes-base.manualTrigger') {
			return {
				id: node.id,
				name: node.name,
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: node.position,
				webhookId: '0f5c2a8e-7d41-4c6b-9e3a-5d1b2c3a4f01',
				parameters: {
					httpMethod: 'POST',
					path: SETUP_HOOK,
					responseMode: 'lastNode',
					responseData: 'firstEntryJson',
					options: {},
				},
			};
		}
		if (node.type === 'n8n-nodes-base.wait') {
			return { ...node, parameters: { ...node.parameters, amount: 1, unit: 'seconds' } };
		}
		return node;
	});
	return copy;
}

jest.setTimeout(240_000);

describe('the pre-save hub: Campaign node, pre-save page and follow-up in a real n8n', () => {
	const clock = new SandboxClock();
	const template = testedCopy();
	let dataDir: string;
	let sandbox: StreamingSandbox;
	let twilio: TwilioStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let n8n: N8n | undefined;

	async function call<T = any>(method: string, url: string, body?: unknown): Promise<T> {
		const response = await api.call<T>(method, url, body);
		if (response.status >= 300) {
			throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
		}
		return response.body;
	}

	function textsTo(phone: string) {
		return twilio.sent().filter((message) => message.to === phone);
	}

	/** The template's runs once `count` have finished, each with the nodes it went through. */
	async function finishedRuns(count: number): Promise<Execution[]> {
		const runs = await n8n!.waitForExecutions(template.id, count, 60_000, true);
		expect(runs.filter((run) => run.status !== 'success').map((run) => run.status)).toEqual([]);
		return runs;
	}

	function ranNodes(execution: Execution): string[] {
		return Object.keys(execution.data?.resultData.runData ?? {});
	}

	beforeAll(async () => {
		clock.set(BEFORE_RELEASE);
		sandbox = await startStreamingSandbox({ clock, spotifyDevModeUserCap: 0 });
		twilio = new TwilioStandIn({
			accountSid: SANDBOX_TWILIO.accountSid,
			authToken: SANDBOX_TWILIO.authToken,
			clock,
		});
		await twilio.start();
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-presave-page-hub-'));
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			clock: () => clock.now(),
			messaging: { twilio: { ...SANDBOX_TWILIO, apiUrl: twilio.url } },
			streamingPlatforms: sandboxPlatforms(sandbox),
			// n8n checks signatures against its own clock, not the sandbox's.
			delivery: { pollMs: 50, maxBackoffMs: 1_000, signingClock: Date.now },
			jobs: { pollMs: 50 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('presave page test'));
		n8n = await N8n.start({
			name: 'presave-page',
			credentials: [
				{
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n presave hub') },
				},
			],
			workflows: [template],
		});
		await untilHubSubscribed(hub, [template]);
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		await sandbox?.stop();
		await twilio?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	function n8nIt(name: string, body: () => Promise<void>): void {
		it(
			name,
			withN8nLog(() => n8n, body),
		);
	}

	n8nIt(
		'the Campaign node creates the campaign in the hub and answers with its pre-save page URL',
		async () => {
			const response = await fetch(n8n!.webhookUrl(SETUP_HOOK), { method: 'POST' });
			expect(response.status).toBe(200);
			const output = (await response.json()) as Record<string, unknown>;
			expect(output).toMatchObject({
				slug: CAMPAIGN_SLUG,
				pageUrl: `${hub.url}/c/${CAMPAIGN_SLUG}`,
				created: true,
			});

			const stored = await call('GET', `/v1/campaigns/${CAMPAIGN_SLUG}`);
			expect(stored).toMatchObject({
				id: output.id,
				artist: SANDBOX_DEMO_RELEASE.artistName,
				title: SANDBOX_DEMO_RELEASE.title,
				// Local midnight: the release date at 00:00 UTC, each fan's own midnight on the day.
				releaseAtUtc: '2026-12-04T00:00:00.000Z',
				localMidnight: true,
				timezone: 'Europe/Berlin',
				upc: SANDBOX_DEMO_RELEASE.upc,
				isrcs: [SANDBOX_DEMO_RELEASE.isrc],
				platforms: {
					apple_music: {},
					deezer: { artistId: SANDBOX_DEMO_RELEASE.deezer.artistId },
					spotify: { artistId: SANDBOX_DEMO_RELEASE.spotify.artistUri },
				},
				layers: ['sms', 'email', 'telegram', 'discord', 'follow'],
				consentWordings: {
					sms: expect.stringContaining('Reply STOP to opt out'),
					email: expect.stringContaining('Unsubscribe any time'),
				},
				locale: 'en',
			});

			// Running it again updates the same campaign.
			const again = (await (
				await fetch(n8n!.webhookUrl(SETUP_HOOK), { method: 'POST' })
			).json()) as Record<string, unknown>;
			expect(again).toMatchObject({ id: output.id, created: false });
		},
	);

	n8nIt(
		'a fan known by phone who pre-saved is asked for SMS by the follow-up, layered on the pre-save',
		async () => {
			const { id: campaignId } = await call('GET', `/v1/campaigns/${CAMPAIGN_SLUG}`);
			const phone = '+4915120000101';
			const { fan } = await call('POST', '/v1/fans', {
				identities: [{ channel: 'phone', value: phone }],
				timezone: 'Europe/Berlin',
			});
			const before = (await n8n!.executions(template.id)).length;
			const { action: presave } = await call<{ action: HubAction }>('POST', '/v1/actions', {
				fanId: fan.id,
				campaignId,
				kind: 'presave',
				platform: 'spotify',
				status: 'pending',
			});

			const [ask] = await eventually('the "reply YES" text', async () =>
				textsTo(phone).length ? textsTo(phone) : undefined,
			);
			expect(ask.body).toMatch(/reply YES/i);
			const [run] = await finishedRuns(before + 1);
			expect(ranNodes(run)).toEqual(
				expect.arrayContaining([
					'Pre-save completed',
					'Give the fan time on the page',
					'Next layer',
					'Ask for SMS opt-in',
				]),
			);
			const exported = await call('GET', `/v1/fans/${fan.id}/export`);
			expect(
				(exported.actions as HubAction[]).filter((action) => action.kind === 'optin_sms'),
			).toEqual([
				expect.objectContaining({ status: 'pending', parentActionId: presave.id, campaignId }),
			]);
			expect(exported.consents).toContainEqual(
				expect.objectContaining({
					channel: 'phone',
					status: 'pending',
					source: 'presave-follow-up',
				}),
			);
		},
	);
});
