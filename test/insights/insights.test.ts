import type { Message } from 'grammy/types';
import type { Browser, Page } from 'playwright-core';
import { BUTTON } from '../../bot/src/telegram/replies';
import { startHub, type RunningHub } from '../../hub/src';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { launchChromium, phoneContext, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { confirmEmail, textBack } from '../support/fan-replies';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const SMS_WORDING = 'Yes, text me news about Nia Vale. Reply STOP to stop.';
const EMAIL_WORDING = 'Yes, email me news about Nia Vale. Unsubscribe any time.';
const FAN_PHONE = '+14155550123';
const FORM_EMAIL = 'c@example.com';

/**
 * A campaign built only through what fans and marketers touch — the pre-save page in
 * Chromium with the sandbox's consent screens (from links with and without a source), the
 * layers page, a reply YES through a Twilio-signed webhook, the email confirmation link, the
 * Telegram bot's /start, the release-day conversion job — and then read back through the
 * insights endpoint, its CSV and the dashboard, on both stores.
 */
describe.each(STORE_KINDS)('insights of a layered campaign (%s)', (kind) => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let streaming: StreamingSandbox;
	let messaging: MessagingSandbox;
	let telegram: TelegramStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let apiKey: string;
	let browser: Browser;

	beforeAll(async () => {
		// Before the first release, in the US west coast's daytime (where the fan's number is).
		clock.set(Date.parse('2026-05-20T19:00:00Z'));
		database = await createTestDatabase(kind);
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
		streaming = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(hubUrl),
			spotifyDevModeUserCap: 0,
		});
		messaging = await startMessagingSandbox({ clock, twilioSendRatePerSecond: 1000 });
		telegram = await startTelegramStandIn();
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			program: {
				name: 'Nia Vale',
				helpText: 'Nia Vale updates. Reply STOP to opt out.',
				stopSuppresses: ['sms', 'email'],
			},
			messaging: sandboxMessaging(messaging),
			streamingPlatforms: sandboxPlatforms(streaming),
			fanAuthorizations: sandboxFanAuthorizations(streaming),
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
		await messaging?.stop();
		await streaming?.stop();
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

	/** A fan on a phone: the pre-save page (from a shared link), a platform, its consent screen, the layers page. */
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

	async function fanOf(channel: string, value: string): Promise<string> {
		return (await hub.ledger.fans.getByIdentity(channel, value)).id;
	}

	let fanA: string;

	it('counts the funnel per source, release-day delivery, layers, reachability and the return from the last release as the fans acted', async () => {
		const first = await campaign('nia-vale-first-light', 'First Light', '2026-06-01T00:00:00Z');
		const next = await campaign('nia-vale-glass-harbour', 'Glass Harbour', '2026-12-04T00:00:00Z');

		// The previous release: fan A pre-saved it on its page.
		await (await presaveOnPage(`/c/${first.slug}`, 'spotify', 'fan-a')).context().close();
		fanA = await fanOf('spotify', 'fan-a');

		// Three days before the next release.
		clock.set(Date.parse('2026-12-01T19:00:00Z'));
		// A link preview fetches the page: not a fan, not a view.
		const preview = await fetch(`${hub.url}/c/${next.slug}?src=ig`, {
			headers: { 'user-agent': 'facebookexternalhit/1.1' },
		});
		expect(preview.status).toBe(200);

		// Fan A comes from Instagram, pre-saves on Spotify, takes texts (replying YES) and starts the Telegram bot from the layers page.
		const pageA = await presaveOnPage(`/c/${next.slug}?src=ig`, 'spotify', 'fan-a');
		await pageA.getByLabel('Mobile number').fill(FAN_PHONE);
		await pageA.locator('#sms-consent').check();
		await pageA.locator('#sms-submit').click();
		await pageA.waitForURL(/\/layers\?/);
		const reference = (await pageA.locator('#telegram-link').getAttribute('href'))!
			.split('/')
			.pop()!;
		await pageA.context().close();
		expect((await textBack(messaging, hub.url, FAN_PHONE, 'YES')).status).toBe(200);
		const chat = telegram.createUser({ languageCode: 'en' });
		telegram.send(chat.id, `/start ${reference}`);
		const offer = await botReply(chat.id, 2);
		telegram.press(chat.id, offer, BUTTON.join);
		await botReply(chat.id, 3);

		// Fan B comes straight to the page and pre-saves on Deezer; fan D comes from the newsletter's UTM link.
		await (await presaveOnPage(`/c/${next.slug}`, 'deezer', 'fan-b')).context().close();
		await (
			await presaveOnPage(`/c/${next.slug}?utm_source=newsletter`, 'deezer', 'fan-d')
		)
			.context()
			.close();

		// Fan C signs up for email through the marketer's form (its workflow calls the hub) and confirms from the email.
		const signUp = await api.call('POST', '/v1/optins', {
			channel: 'email',
			address: FORM_EMAIL,
			campaignId: next.id,
			wording: EMAIL_WORDING,
			source: 'form',
		});
		expect(signUp.status).toBe(201);
		const inbox = await phoneContext(browser);
		await confirmEmail(messaging, await inbox.newPage(), FORM_EMAIL);
		await inbox.close();

		// Release day: B's Deezer authorization has ended on Deezer's side; the conversion job saves the rest.
		clock.set(Date.parse('2026-12-04T19:00:00Z'));
		streaming.deezer.revoke('fan-b');
		const started = await api.call('POST', `/v1/campaigns/${next.slug}/conversions`, {});
		expect(started.status).toBe(202);
		const job = await eventually('the conversion job', async () => {
			const current = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
			return current.body.status === 'done' ? current.body : undefined;
		});
		expect(job.progress).toMatchObject({ converted: 2, reconsent: 1, failed: 0 });

		const report = await insights(`/v1/campaigns/${next.slug}/insights`);
		expect(report.funnel).toMatchObject({ views: 3, clicks: 3, consents: 3, presaves: 3 });
		expect(report.funnel.byPlatform).toEqual(
			expect.arrayContaining([
				{ platform: 'spotify', clicks: 1, consents: 1, presaves: 1 },
				{ platform: 'deezer', clicks: 2, consents: 2, presaves: 2 },
			]),
		);
		expect(report.funnel.byPlatform).toHaveLength(2);
		// Each pre-save is counted under the source of the link its fan came through.
		expect(report.funnel.bySource).toEqual(
			expect.arrayContaining([
				{ source: 'ig', views: 1, clicks: 1, consents: 1, presaves: 1 },
				{ source: 'direct', views: 1, clicks: 1, consents: 1, presaves: 1 },
				{ source: 'newsletter', views: 1, clicks: 1, consents: 1, presaves: 1 },
			]),
		);
		expect(report.funnel.bySource).toHaveLength(3);
		expect(report.delivery).toEqual(
			expect.arrayContaining([
				{ platform: 'spotify', delivered: 1, waiting: 0, needs_reconnect: 0, refused: 0 },
				{ platform: 'deezer', delivered: 1, waiting: 0, needs_reconnect: 1, refused: 0 },
			]),
		);
		expect(report.delivery).toHaveLength(2);
		// A: pre-save, SMS, Telegram start, Telegram join, save. B: pre-save (its save failed). C: email. D: pre-save, save.
		expect(report.layering).toMatchObject({ fans: 4, actions: 9, actionsPerEntryFan: 2.25 });
		expect(report.layering.entries).toEqual([
			{
				entry: 'presave',
				fans: 3,
				actions: 8,
				actionsPerFan: 2.667,
				layers: [
					{ layer: 'presave', fans: 3, share: 1 },
					{ layer: 'save', fans: 2, share: 0.667 },
					{ layer: 'sms', fans: 1, share: 0.333 },
					{ layer: 'telegram', fans: 1, share: 0.333 },
				],
			},
			{
				entry: 'email',
				fans: 1,
				actions: 1,
				actionsPerFan: 1,
				layers: [{ layer: 'email', fans: 1, share: 1 }],
			},
		]);
		expect(report.layering.graph).toEqual([
			{ from: 'presave', to: 'save', count: 2 },
			{ from: 'presave', to: 'optin_sms', count: 1 },
			{ from: 'presave', to: 'telegram_start', count: 1 },
			{ from: 'telegram_start', to: 'join_telegram', count: 1 },
		]);
		// A: texts and the Telegram chat. C: email. B and D: no owned channel.
		expect(report.reachability).toEqual([
			{ channels: '0', fans: 2 },
			{ channels: '1', fans: 1 },
			{ channels: '2', fans: 1 },
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
		expect(report.daily).toEqual([
			{
				day: '2026-12-01',
				views: 3,
				reachable: 2,
				layers: { presave: 3, sms: 1, telegram: 2, email: 1 },
			},
			{ day: '2026-12-04', views: 0, reachable: 2, layers: { save: 2 } },
		]);

		// The window and the source narrow every figure.
		const later = await insights(`/v1/campaigns/${next.slug}/insights?from=2026-12-02`);
		expect(later.funnel).toMatchObject({ views: 0, presaves: 0 });
		// From then on only release day's two saves happened.
		expect(later.layering).toMatchObject({ fans: 2, actions: 2 });
		const before = await insights(`/v1/campaigns/${next.slug}/insights?to=2026-12-01`);
		expect(before.funnel).toMatchObject({ views: 3, presaves: 3 });
		expect(before.layering).toMatchObject({ fans: 4, actions: 7 });
		const fromInstagram = await insights(`/v1/campaigns/${next.slug}/insights?source=ig`);
		expect(fromInstagram.funnel).toMatchObject({ views: 1, clicks: 1, consents: 1, presaves: 1 });
		expect(fromInstagram.layering).toMatchObject({ fans: 1, actions: 5 });
		expect(fromInstagram.delivery).toEqual([
			{ platform: 'spotify', delivered: 1, waiting: 0, needs_reconnect: 0, refused: 0 },
		]);
		const fromNewsletter = await insights(`/v1/campaigns/${next.slug}/insights?source=newsletter`);
		expect(fromNewsletter.layering).toMatchObject({ fans: 1, actions: 2 });
		const fromForms = await insights(`/v1/campaigns/${next.slug}/insights?source=form`);
		expect(fromForms.layering).toMatchObject({ fans: 1, actions: 1 });
		expect(fromForms.reachability[1]).toEqual({ channels: '1', fans: 1 });

		// The artist's view spans both releases.
		const artist = await insights(`/v1/artists/${encodeURIComponent('Nia Vale')}/insights`);
		expect(artist.scope.campaigns.map((c: { slug: string }) => c.slug)).toEqual([
			first.slug,
			next.slug,
		]);
		expect(artist.layering.fans).toBe(4);
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
				'funnel,all,views,3',
				'delivery,deezer,needs_reconnect,1',
				'reachability,2,fans,1',
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
			expect(headline).toContain('4fans');
			expect(headline).toContain('2.25actions per entry fan');
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
			for (const personal of [FAN_PHONE, 'fan-a', 'fan-b', 'fan-d', FORM_EMAIL, fanA])
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
