/**
 * The "Weekly layering report" template as shipped, in a real n8n with the packed package
 * installed as a community node: its own Schedule Trigger (set in the imported copy to fire
 * every few seconds instead of Monday morning) starts Get Insights against the hub, and the
 * email to the team reaches the SMTP stand-in with the figures of a campaign the test built
 * the way fans build one: page visits, pre-saves through the platforms' consent screens, an
 * email opt-in confirmed from its link, a release-day conversion job.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { teamSmtpCredential } from '../../scripts/n8n/smtp-credential';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { consentRoundTrip } from '../support/consent-round-trip';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { sandboxPlatforms } from '../support/streaming';
import {
	eventually,
	freePort,
	loadTemplate,
	N8n,
	withN8nLog,
	type WorkflowTemplate,
} from './harness';

const EMAIL_WORDING = 'Yes, email me news about Nia Vale. Unsubscribe any time.';
const SLUG = 'nia-vale-weekly-lights';

jest.setTimeout(300_000);

describe('the weekly layering report template in a real n8n', () => {
	const clock = new SandboxClock();
	let dataDir: string;
	let streaming: StreamingSandbox;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let n8n: N8n | undefined;

	beforeAll(async () => {
		// Three days before the release, in the afternoon.
		clock.set(Date.parse('2026-12-01T14:00:00Z'));
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
		streaming = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(hubUrl),
			spotifyDevModeUserCap: 0,
		});
		messaging = await startMessagingSandbox({ clock });
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-weekly-report-hub-'));
		hub = await startHub({
			port,
			dataDir,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			messaging: sandboxMessaging(messaging),
			streamingPlatforms: sandboxPlatforms(streaming),
			fanAuthorizations: sandboxFanAuthorizations(streaming),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('weekly report test'));
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		await streaming?.stop();
		await messaging?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	async function call<T = any>(method: string, url: string, body?: unknown): Promise<T> {
		const response = await api.call<T>(method, url, body);
		if (response.status >= 300)
			throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
		return response.body;
	}

	/** A fan opens the shared link, picks a platform and agrees on its consent screen. */
	async function presaveFromLink(platform: 'spotify' | 'deezer', userId: string, src?: string) {
		const query = src ? `?src=${src}` : '';
		expect((await fetch(`${hub.url}/c/${SLUG}${query}`)).status).toBe(200);
		const landed = await consentRoundTrip(
			`${hub.url}/c/${SLUG}/connect/${platform}${query}`,
			userId,
		);
		expect(landed.url).toContain('/layers?');
		return hub.ledger.fans.getByIdentity(platform, userId);
	}

	/** The shipped template with its Schedule Trigger firing every few seconds, reporting on this campaign. */
	function firingSoon(template: WorkflowTemplate): WorkflowTemplate {
		const copy = structuredClone(template);
		for (const node of copy.nodes) {
			if (node.type === 'n8n-nodes-base.scheduleTrigger')
				node.parameters.rule = { interval: [{ field: 'seconds', secondsInterval: 5 }] };
			if (node.name === 'Get Insights') node.parameters.campaignId = SLUG;
		}
		return copy;
	}

	it('ships as the other templates do: inactive, the published node type, the credential npm start imports, a note', () => {
		const template = loadTemplate('weekly-layering-report.json');
		expect(template.id).toMatch(/^[A-Za-z0-9]{16}$/);
		expect(template.active).toBe(false);
		const insights = template.nodes.find((node) => node.name === 'Get Insights')!;
		expect(insights).toMatchObject({
			type: 'n8n-nodes-fanloop.fanloopCampaign',
			typeVersion: 1,
			credentials: { fanloopHubApi: { id: 'fanloopHub', name: 'Fanloop Hub' } },
			parameters: { resource: 'campaign', operation: 'getInsights' },
		});
		expect(template.nodes.some((node) => node.type === 'n8n-nodes-base.stickyNote')).toBe(true);
	});

	it(
		'emails the team the headline figures of the campaign on its schedule',
		withN8nLog(
			() => n8n,
			async () => {
				await call('POST', '/v1/campaigns', {
					slug: SLUG,
					artist: 'Nia Vale',
					title: 'Weekly Lights',
					releaseAtUtc: '2026-12-04T00:00:00Z',
					upc: SANDBOX_DEMO_RELEASE.upc,
					platforms: {
						spotify: { albumId: SANDBOX_DEMO_RELEASE.spotify.albumUri },
						deezer: { albumId: SANDBOX_DEMO_RELEASE.deezer.albumId },
					},
					layers: ['email'],
					consentWordings: { email: EMAIL_WORDING },
				});

				// A comes from Instagram and takes email updates; B from TikTok; C from no source in particular.
				const fanA = await presaveFromLink('spotify', 'weekly-a', 'instagram');
				const fanB = await presaveFromLink('deezer', 'weekly-b', 'tiktok');
				await presaveFromLink('spotify', 'weekly-c');
				const presaveA = (await call(`GET`, `/v1/fans/${fanA.id}/export`)).actions.find(
					(action: { kind: string }) => action.kind === 'presave',
				);
				expect(presaveA.source).toBe('instagram');
				await call('POST', '/v1/optins', {
					channel: 'email',
					address: 'weekly-a@example.com',
					fanId: fanA.id,
					campaignId: SLUG,
					parentActionId: presaveA.id,
					wording: EMAIL_WORDING,
				});
				const confirmation = await messaging.smtp.waitFor(
					(mail) => mail.to.includes('weekly-a@example.com'),
					10_000,
				);
				const link = confirmation.text.match(/https?:\/\/\S+\/optin\/confirm\?token=(\S+)/);
				expect(link).not.toBeNull();
				await call('POST', '/v1/optins/confirm', { token: decodeURIComponent(link![1]) });

				// Release day: C's Spotify authorization has ended, so C must reconnect.
				clock.set(Date.parse('2026-12-04T19:00:00Z'));
				streaming.spotify.revoke('weekly-c');
				const { jobId } = await call('POST', `/v1/campaigns/${SLUG}/conversions`, {});
				const job = await eventually('the conversion job', async () => {
					const current = await call('GET', `/v1/jobs/${jobId}`);
					return current.status === 'done' ? current : undefined;
				});
				expect(job.progress).toMatchObject({ converted: 2, reconsent: 1 });
				expect((await call('GET', `/v1/fans/${fanB.id}/export`)).actions.length).toBe(2);

				n8n = await N8n.start({
					name: 'weekly-report',
					credentials: [
						{
							id: 'fanloopHub',
							name: 'Fanloop Hub',
							type: 'fanloopHubApi',
							data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n weekly report') },
						},
						teamSmtpCredential(messaging.urls.smtp),
					],
					workflows: [firingSoon(loadTemplate('weekly-layering-report.json'))],
				});

				const report = await messaging.smtp.waitFor(
					(mail) => mail.to.includes('team@example.com'),
					120_000,
				);
				expect(report.from).toBe('reports@example.com');
				expect(report.subject).toBe('Layering report: Weekly Lights (Nia Vale)');
				// A: pre-save, save, email opt-in. B: pre-save, save. C: pre-save (waiting on the reconnect).
				expect(report.text.trim().split('\n')).toEqual([
					'Layering report for Weekly Lights by Nia Vale, so far.',
					'',
					'Actions per entry fan: 2 (6 actions by 3 fans)',
					'Pre-saves: 3 from 3 page views',
					'Pre-saves per source: direct 1, instagram 1, tiktok 1',
					'Reachable on at least one owned channel: 1 of 3 fans (0 on two or more)',
					'Release day: 2 saved, 0 waiting, 0 refused by the platform',
					'1 fan needs to reconnect a streaming account.',
					'',
					"The charts are on the hub's dashboard (/dashboard).",
				]);
			},
		),
	);
});
