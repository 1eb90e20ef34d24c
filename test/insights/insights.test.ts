import type { Message } from 'grammy/types';
import type { Browser, Page } from 'playwright-core';
import { BUTTON } from '../../bot/src/telegram/replies';
import { startHub, type RunningHub } from '../../hub/src';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { launchChromium, phoneContext, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const SMS_WORDING = 'Yes, text me news about Nia Vale. Reply STOP to stop.';
const FAN_PHONE = '+14155550123';

/**
 * A campaign built through the surfaces fans and marketers use — the pre-save page in
 * Chromium with the sandbox's consent screens, the layers page, the Telegram bot, the
 * API — and then read back through the insights endpoint and the dashboard.
 */
describe.each(STORE_KINDS)('insights of a layered campaign (%s)', (kind) => {
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let telegram: TelegramStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let apiKey: string;
	let browser: Browser;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
		sandbox = await startStreamingSandbox({ redirectUris: sandboxRedirectUris(hubUrl) });
		telegram = await startTelegramStandIn();
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			streamingPlatforms: sandboxPlatforms(sandbox),
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
			jobs: { pollMs: 20 },
			community: {
				telegram: {
					botToken: SANDBOX_TELEGRAM.token,
					apiRoot: telegram.apiRoot,
					updates: { mode: 'polling' },
				},
			},
		});
		apiKey = await hub.createApiKey('insights test');
		api = new HubApi(hub.url, apiKey);
		browser = await launchChromium();
	});

	afterAll(async () => {
		await browser?.close();
		await hub?.close();
		await telegram?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	async function campaign(slug: string, title: string, releaseAtUtc: string) {
		const created = await api.call('POST', '/v1/campaigns', {
			slug,
			artist: 'Nia Vale',
			title,
			releaseAtUtc,
			upc: SANDBOX_DEMO_RELEASE.upc,
			platforms: {
				spotify: { albumId: SANDBOX_DEMO_RELEASE.spotify.albumUri },
				deezer: { albumId: SANDBOX_DEMO_RELEASE.deezer.albumId },
			},
			layers: ['sms', 'telegram'],
			consentWordings: { sms: SMS_WORDING },
		});
		expect(created.status).toBe(200);
		return created.body.campaign as { id: string; slug: string };
	}

	/** A fan on a phone: the pre-save page (from a link with `src`), a platform, its consent screen, the layers page. */
	async function presaveOnPage(
		path: string,
		platform: 'spotify' | 'deezer',
		userId: string,
	): Promise<Page> {
		const context = await phoneContext(browser);
		const page = await context.newPage();
		expect((await page.goto(`${hub.url}${path}`))?.status()).toBe(200);
		await page.locator(`#connect-${platform}`).click();
		await page.locator('#user-id').fill(userId);
		await page.locator('#agree').click();
		await page.waitForURL(/\/c\/[a-z0-9-]+\/layers\?/);
		return page;
	}

	async function botReply(userId: number, count: number): Promise<Message> {
		return eventually(`bot message #${count}`, () => telegram.messages(userId)[count - 1], 10_000);
	}

	async function insights(path: string) {
		const response = await api.call('GET', path);
		expect(response.status).toBe(200);
		return response.body;
	}

	let fanA: string;

	it('counts the funnel, release-day delivery, layers, reachability and the return from the last release as the fans acted', async () => {
		const first = await campaign('nia-vale-first-light', 'First Light', '2026-06-01T00:00:00Z');
		const next = await campaign('nia-vale-glass-harbour', 'Glass Harbour', '2026-12-04T00:00:00Z');

		// The previous release: this fan pre-saved it (recorded through the API, as an n8n flow would).
		const returning = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'spotify', value: 'fan-a' }],
		});
		fanA = returning.body.fan.id;
		expect(
			(
				await api.call('POST', '/v1/actions', {
					fanId: fanA,
					campaignId: first.id,
					kind: 'presave',
					platform: 'spotify',
				})
			).status,
		).toBe(201);

		// A link preview fetches the page: not a fan, not a view.
		const preview = await fetch(`${hub.url}/c/${next.slug}?src=ig`, {
			headers: { 'user-agent': 'facebookexternalhit/1.1' },
		});
		expect(preview.status).toBe(200);

		// Fan A comes from Instagram, pre-saves on Spotify, asks for texts and starts the Telegram bot from the layers page.
		const pageA = await presaveOnPage(`/c/${next.slug}?src=ig`, 'spotify', 'fan-a');
		await pageA.getByLabel('Mobile number').fill(FAN_PHONE);
		await pageA.locator('#sms-consent').check();
		await pageA.locator('#sms-submit').click();
		await pageA.waitForURL(/\/layers\?/);
		const reference = (await pageA.locator('#telegram-link').getAttribute('href'))!
			.split('/')
			.pop()!;
		await pageA.context().close();
		const chat = telegram.createUser({ languageCode: 'en' });
		telegram.send(chat.id, `/start ${reference}`);
		const offer = await botReply(chat.id, 2);
		telegram.press(chat.id, offer, BUTTON.join);
		await botReply(chat.id, 3);

		// Fan B comes straight to the page and pre-saves on Deezer.
		await (await presaveOnPage(`/c/${next.slug}`, 'deezer', 'fan-b')).context().close();

		// Fan C signs up for email through a form (the API), with no pre-save.
		const formFan = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: 'c@example.com' }],
		});
		expect(
			(
				await api.call('POST', '/v1/actions', {
					fanId: formFan.body.fan.id,
					campaignId: next.id,
					kind: 'optin_email',
					platform: 'email',
					source: 'form',
				})
			).status,
		).toBe(201);

		// Release day: fan A's save lands; fan B's Deezer grant has lapsed, so B must reconnect.
		const fanB = (await api.call('GET', '/v1/fans/by-identity?channel=deezer&value=fan-b')).body
			.id as string;
		const presaves = (await hub.ledger.store.all<{ id: string; fan_id: string }>(
			`SELECT id, fan_id FROM actions WHERE campaign_id = $1 AND kind = 'presave'`,
			[next.id],
		)) as { id: string; fan_id: string }[];
		const presaveA = presaves.find((row) => row.fan_id === fanA)!;
		expect(
			(
				await api.call('POST', '/v1/actions', {
					fanId: fanA,
					campaignId: next.id,
					kind: 'save',
					platform: 'spotify',
					parentActionId: presaveA.id,
					status: 'done',
					verification: 'hard',
				})
			).status,
		).toBe(201);
		await hub.ledger.tokens.markNeedsReconsent(fanB, 'deezer');

		const report = await insights(`/v1/campaigns/${next.slug}/insights`);
		expect(report.funnel).toMatchObject({ views: 2, clicks: 2, consents: 2, presaves: 2 });
		expect(report.funnel.byPlatform).toEqual(
			expect.arrayContaining([
				{ platform: 'spotify', clicks: 1, consents: 1, presaves: 1 },
				{ platform: 'deezer', clicks: 1, consents: 1, presaves: 1 },
			]),
		);
		expect(report.funnel.bySource).toEqual(
			expect.arrayContaining([
				{ source: 'ig', views: 1, clicks: 1, consents: 1, presaves: 0 },
				{ source: 'direct', views: 1, clicks: 1, consents: 1, presaves: 0 },
				{ source: 'presave_page', views: 0, clicks: 0, consents: 0, presaves: 2 },
			]),
		);
		expect(report.delivery).toEqual(
			expect.arrayContaining([
				{ platform: 'spotify', delivered: 1, waiting: 0, needs_reconnect: 0, refused: 0 },
				{ platform: 'deezer', delivered: 0, waiting: 0, needs_reconnect: 1, refused: 0 },
			]),
		);
		// A: pre-save, SMS request, Telegram start, Telegram join, save. B: pre-save. C: email.
		expect(report.layering).toMatchObject({ fans: 3, actions: 7, actionsPerEntryFan: 2.333 });
		const byEntry = Object.fromEntries(
			report.layering.entries.map((entry: { entry: string }) => [entry.entry, entry]),
		);
		expect(byEntry.presave).toMatchObject({ fans: 2, actions: 6, actionsPerFan: 3 });
		expect(byEntry.presave.layers).toEqual([
			{ layer: 'presave', fans: 2, share: 1 },
			{ layer: 'save', fans: 1, share: 0.5 },
			{ layer: 'sms', fans: 1, share: 0.5 },
			{ layer: 'telegram', fans: 1, share: 0.5 },
		]);
		expect(byEntry.email).toMatchObject({
			fans: 1,
			actions: 1,
			layers: [{ layer: 'email', fans: 1, share: 1 }],
		});
		expect(report.layering.graph).toEqual(
			expect.arrayContaining([
				{ from: 'presave', to: 'optin_sms', count: 1 },
				{ from: 'presave', to: 'telegram_start', count: 1 },
				{ from: 'telegram_start', to: 'join_telegram', count: 1 },
				{ from: 'presave', to: 'save', count: 1 },
			]),
		);
		expect(report.layering.graph).toHaveLength(4);
		// Only A can be reached on an owned channel: the Telegram chat (texts wait for A's YES).
		expect(report.reachability).toEqual([
			{ channels: '0', fans: 2 },
			{ channels: '1', fans: 1 },
			{ channels: '2', fans: 0 },
			{ channels: '3+', fans: 0 },
		]);
		expect(report.nextRelease).toEqual([
			{
				from: first.slug,
				to: next.slug,
				fans: 1,
				returned: 1,
				share: 1,
				byLayer: [{ layer: 'presave', fans: 1 }],
			},
		]);
		const today = new Date().toISOString().slice(0, 10);
		expect(report.daily).toEqual([
			{
				day: today,
				views: 2,
				reachable: 1,
				layers: { presave: 2, sms: 1, telegram: 2, save: 1, email: 1 },
			},
		]);

		// The window and the source narrow every figure.
		const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
		const later = await insights(`/v1/campaigns/${next.slug}/insights?from=${tomorrow}`);
		expect(later.funnel).toMatchObject({ views: 0, presaves: 0 });
		expect(later.layering.fans).toBe(0);
		const fromInstagram = await insights(`/v1/campaigns/${next.slug}/insights?source=ig`);
		expect(fromInstagram.funnel).toMatchObject({ views: 1, clicks: 1, consents: 1, presaves: 0 });
		const fromForms = await insights(`/v1/campaigns/${next.slug}/insights?source=form`);
		expect(fromForms.layering).toMatchObject({ fans: 1, actions: 1 });

		// The artist's view spans both releases.
		const artist = await insights(`/v1/artists/${encodeURIComponent('Nia Vale')}/insights`);
		expect(artist.scope.campaigns.map((c: { slug: string }) => c.slug)).toEqual([
			first.slug,
			next.slug,
		]);
		expect(artist.layering.fans).toBe(3);
		expect(artist.nextRelease).toEqual(report.nextRelease);

		// The same tables as CSV, behind the same key.
		const csv = await fetch(`${hub.url}/v1/campaigns/${next.slug}/insights.csv`, {
			headers: { authorization: `Bearer ${apiKey}` },
		});
		expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		const lines = (await csv.text()).split('\r\n');
		expect(lines[0]).toBe('table,dimension,measure,value');
		expect(lines).toEqual(
			expect.arrayContaining([
				'funnel,all,views,2',
				'delivery,deezer,needs_reconnect,1',
				'reachability,1,fans,1',
			]),
		);
		expect((await fetch(`${hub.url}/v1/campaigns/${next.slug}/insights.csv`)).status).toBe(401);
	});

	it('is in the OpenAPI document, and refuses a bad window or an unknown campaign or artist with the hub error body', async () => {
		const openApi = (await api.call('GET', '/v1/openapi.json')).body;
		const campaignInsights = openApi.paths['/v1/campaigns/{idOrSlug}/insights'].get;
		expect(
			campaignInsights.parameters.map((parameter: { name: string }) => parameter.name),
		).toEqual(['idOrSlug', 'from', 'to', 'source']);
		expect(openApi.paths['/v1/artists/{id}/insights'].get.tags).toEqual(['insights']);

		const backwards = await api.call(
			'GET',
			'/v1/campaigns/nia-vale-glass-harbour/insights?from=2026-12-05&to=2026-12-01',
		);
		expect(backwards.status).toBe(400);
		expect(backwards.body.error.code).toBe('validation_failed');
		const unreadable = await api.call(
			'GET',
			'/v1/campaigns/nia-vale-glass-harbour/insights?from=yesterday',
		);
		expect(unreadable.status).toBe(400);
		expect((await api.call('GET', '/v1/campaigns/no-such-campaign/insights')).body.error.code).toBe(
			'campaign_not_found',
		);
		expect((await api.call('GET', '/v1/artists/Nobody/insights')).status).toBe(404);
		expect((await fetch(`${hub.url}/v1/campaigns/nia-vale-glass-harbour/insights`)).status).toBe(
			401,
		);
	});

	it('shows the dashboard only after sign-in, with figures and never a fan', async () => {
		const sizes = [
			{ name: 'phone', context: () => phoneContext(browser) },
			{
				name: 'desktop',
				context: () => browser.newContext({ viewport: { width: 1280, height: 900 } }),
			},
		];
		for (const size of sizes) {
			const context = await size.context();
			const page = await context.newPage();

			// Signed out: every dashboard page sends the visitor to sign in, with no figures.
			await page.goto(`${hub.url}/dashboard/campaigns/nia-vale-glass-harbour`);
			expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
			expect(await page.locator('#headline').count()).toBe(0);
			const csv = await context.request.get(
				`${hub.url}/dashboard/campaigns/nia-vale-glass-harbour/insights.csv`,
				{
					maxRedirects: 0,
				},
			);
			expect(csv.status()).toBe(303);
			if (kind === 'sqlite') await screenshot(page, 'dashboard', `${size.name}-signed-out`);

			await page.locator('#api-key').fill('flk_wrong');
			await page.locator('#sign-in').click();
			await expect(page.locator('#sign-in-problem').textContent()).resolves.toBe(
				'That API key is wrong or revoked.',
			);

			await page.locator('#api-key').fill(apiKey);
			await page.locator('#sign-in').click();
			await page.waitForURL(`${hub.url}/dashboard`);
			const cookie = (await context.cookies()).find((c) => c.name === 'fanloop_dashboard')!;
			expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
			expect(cookie.value).not.toContain(apiKey);
			await expect(page.locator('#campaigns li').count()).resolves.toBe(2);
			if (kind === 'sqlite') await screenshot(page, 'dashboard', `${size.name}-campaigns`);

			await page.getByRole('link', { name: 'Glass Harbour' }).click();
			await expect(page.locator('h1').textContent()).resolves.toBe('Glass Harbour · Nia Vale');
			const headline = await page.locator('#headline').textContent();
			expect(headline).toContain('3fans');
			expect(headline).toContain('2.333actions per entry fan');
			await expect(page.locator('#delivery').textContent()).resolves.toContain(
				'1 fan needs to reconnect.',
			);
			for (const id of ['#funnel-chart', '#sankey-chart', '#reachability-chart', '#daily-chart'])
				await expect(
					page
						.locator(id)
						.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
				).resolves.toBeGreaterThan(0);
			const html = await page.content();
			for (const personal of [FAN_PHONE, 'fan-a', 'fan-b', 'c@example.com', fanA])
				expect(html).not.toContain(personal);
			if (kind === 'sqlite') await screenshot(page, 'dashboard', `${size.name}-campaign`);

			await page.goto(`${hub.url}/dashboard/artists/${encodeURIComponent('Nia Vale')}`);
			await expect(page.locator('#next-release').textContent()).resolves.toContain(
				'nia-vale-first-light → nia-vale-glass-harbour',
			);
			if (kind === 'sqlite') await screenshot(page, 'dashboard', `${size.name}-artist`);

			await page.locator('#sign-out').click();
			await page.waitForURL(`${hub.url}/dashboard/sign-in`);
			await page.goto(`${hub.url}/dashboard`);
			expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
			await context.close();
		}
	});
	it('ends a dashboard session when its API key is revoked', async () => {
		const key = await hub.ledger.apiKeys.create('marketer laptop');
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(`${hub.url}/dashboard/sign-in`);
		await page.locator('#api-key').fill(key.key);
		await page.locator('#sign-in').click();
		await page.waitForURL(`${hub.url}/dashboard`);
		await expect(page.locator('h1').textContent()).resolves.toBe('Campaigns');

		await hub.ledger.apiKeys.revoke(key.id);
		await page.goto(`${hub.url}/dashboard/campaigns/nia-vale-glass-harbour`);
		expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
		expect(await page.locator('#headline').count()).toBe(0);
		await context.close();
	});
});
