import type { Page } from 'playwright-core';
import { startHub, type RunningHub } from '../../hub/src';
import { FanReferences } from '../../hub/src/core/fan-references';
import { YouTubePlatform } from '../../hub/src/providers/youtube';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { phoneContext, phonePerTest, screenshot } from '../support/browser';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const SMS_WORDING =
	'Yes, text me news about Nia Vale. Up to 4 msgs/month. Msg & data rates may apply. Reply STOP to stop.';
const EMAIL_WORDING = 'Yes, email me news about Nia Vale. Unsubscribe any time.';
const ARTIFACTS = 'pages';

describe('the pre-save page, platform sign-ins and the layers page', () => {
	const sealingKey = newSealingKey();
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	const device = phonePerTest();

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
		// An extended-quota Spotify app: the only kind that can follow an artist for a fan.
		sandbox = await startStreamingSandbox({
			redirectUris: sandboxRedirectUris(hubUrl),
			spotifyDevModeUserCap: 0,
		});
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			sealingKey,
			streamingPlatforms: new Map([
				...sandboxPlatforms(sandbox),
				[
					'youtube',
					new YouTubePlatform({
						...sandbox.credentials.youtube,
						tokenUrl: `${sandbox.urls.youtube}/token`,
						apiUrl: sandbox.urls.youtube,
						clock: () => sandbox.clock.now(),
					}),
				],
			]),
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
		});
		api = new HubApi(hub.url, await hub.createApiKey('pages test'));
		await createCampaign('nia-vale-glass-harbour', {});
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	async function createCampaign(slug: string, overrides: Record<string, unknown>) {
		const created = await api.call('POST', '/v1/campaigns', {
			slug,
			artist: 'Nia Vale',
			title: 'Glass Harbour',
			releaseAtUtc: '2026-12-04T00:00:00Z',
			timezone: 'Europe/Berlin',
			localMidnight: true,
			upc: SANDBOX_DEMO_RELEASE.upc,
			platforms: {
				spotify: {
					albumId: SANDBOX_DEMO_RELEASE.spotify.albumUri,
					artistId: SANDBOX_DEMO_RELEASE.spotify.artistUri,
				},
				apple_music: { albumId: SANDBOX_DEMO_RELEASE.appleMusic.albumId },
				deezer: {
					albumId: SANDBOX_DEMO_RELEASE.deezer.albumId,
					artistId: SANDBOX_DEMO_RELEASE.deezer.artistId,
				},
			},
			layers: ['sms', 'email', 'telegram', 'discord', 'follow'],
			consentWordings: { sms: SMS_WORDING, email: EMAIL_WORDING },
			...overrides,
		});
		expect(created.status).toBe(200);
		return created.body.campaign as { id: string; slug: string; pageUrl: string };
	}

	async function count(table: string): Promise<number> {
		const row = await hub.ledger.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
		return Number(row?.n);
	}

	/** What a refused request must leave untouched. */
	async function ledgerCounts() {
		return {
			fans: await count('fans'),
			identities: await count('identities'),
			tokens: await count('tokens'),
			actions: await count('actions'),
			consents: await count('consents'),
			outbox: await count('outbox'),
		};
	}

	async function openPresavePage(page: Page, slug = 'nia-vale-glass-harbour') {
		const response = await page.goto(`${hub.url}/c/${slug}`);
		expect(response?.status()).toBe(200);
		return response!;
	}

	/** The sandbox's consent screen: a chosen user id, then Agree. */
	async function agree(page: Page, userId: string) {
		await page.locator('#user-id').fill(userId);
		await page.locator('#agree').click();
		await page.waitForURL(/\/c\/[a-z0-9-]+\/layers\?/);
	}

	async function presaveOf(fanId: string) {
		const exported = await hub.ledger.exportFan(fanId);
		const presave = exported.actions.find((action) => action.kind === 'presave');
		if (!presave) throw new Error(`fan ${fanId} has no pre-save`);
		return { exported, presave };
	}

	it('Spotify: pick Spotify, tick follow, consent, land on the layers page, opt in to SMS, see the Telegram link', async () => {
		const page = await device.context.newPage();
		await openPresavePage(page);
		await expect(page.locator('h1').textContent()).resolves.toBe(
			'Pre-save “Glass Harbour” by Nia Vale',
		);
		await screenshot(page, ARTIFACTS, 'presave-page');

		await page.getByLabel('Also follow Nia Vale').check();
		await page.locator('#connect-spotify').click();
		await page.waitForURL(`${sandbox.urls.spotifyAccounts}/authorize?**`);
		const authorize = new URL(page.url());
		expect(authorize.searchParams.get('scope')).toBe(
			'user-library-modify user-library-read user-follow-modify',
		);
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		await screenshot(page, ARTIFACTS, 'spotify-consent');
		await agree(page, 'fan-spotify-1');
		await expect(page.locator('h1').textContent()).resolves.toBe('You’re in!');
		await expect(page.locator('#follow-done').textContent()).resolves.toContain(
			'You now follow Nia Vale on Spotify',
		);
		await screenshot(page, ARTIFACTS, 'layers-page');

		// The box starts unticked, and without the tick nothing is recorded.
		await expect(page.locator('#sms-consent').isChecked()).resolves.toBe(false);
		await expect(page.locator('#sms-layer').textContent()).resolves.toContain(SMS_WORDING);
		const beforeUnticked = await ledgerCounts();
		await page.getByLabel('Mobile number').fill('+14155550123');
		await page.locator('#sms-submit').click();
		await expect(page.locator('#sms-problem').textContent()).resolves.toBe(
			'To sign up, tick the box to agree.',
		);
		expect(await ledgerCounts()).toEqual(beforeUnticked);

		await page.getByLabel('Mobile number').fill('+14155550123');
		await page.locator('#sms-consent').check();
		await page.locator('#sms-submit').click();
		await page.waitForURL(/\/layers\?/);
		await expect(page.locator('#sms-layer .done').textContent()).resolves.toContain('reply YES');
		await screenshot(page, ARTIFACTS, 'layers-sms-requested');

		const telegramHref = await page.locator('#telegram-link').getAttribute('href');
		const discordHref = await page.locator('#discord-link').getAttribute('href');
		expect(telegramHref).toMatch(/^\/l\/telegram\/[A-Za-z0-9_-]{43}$/);
		expect(discordHref).toMatch(/^\/l\/discord\/[A-Za-z0-9_-]{43}$/);

		// The ledger: one fan with both identities, a sealed grant, the pending pre-save and the layers on it.
		const fan = await hub.ledger.fans.getByIdentity('spotify', 'fan-spotify-1');
		expect(fan.identities).toEqual(
			expect.arrayContaining([
				{ channel: 'spotify', value: 'fan-spotify-1' },
				{ channel: 'phone', value: '+14155550123' },
			]),
		);
		const grant = await hub.ledger.tokens.open(fan.id, 'spotify');
		expect(grant.scopes).toEqual([
			'user-library-modify',
			'user-library-read',
			'user-follow-modify',
		]);
		const sealedRow = JSON.stringify(
			await hub.ledger.store.all('SELECT * FROM tokens WHERE fan_id = $1', [fan.id]),
		);
		expect(sealedRow).not.toContain(grant.accessToken);
		expect(sealedRow).not.toContain(grant.refreshToken as string);

		const { exported, presave } = await presaveOf(fan.id);
		expect(presave).toMatchObject({
			platform: 'spotify',
			status: 'pending',
			parentActionId: null,
			source: 'direct',
		});
		expect(exported.actions.find((action) => action.kind === 'follow')).toMatchObject({
			status: 'done',
			verification: 'hard',
			parentActionId: presave.id,
		});
		expect(exported.actions.find((action) => action.kind === 'optin_sms')).toMatchObject({
			status: 'pending',
			parentActionId: presave.id,
		});
		expect(exported.consents).toEqual([
			expect.objectContaining({
				channel: 'phone',
				status: 'pending',
				wording: SMS_WORDING,
				source: 'presave_page',
				ip: '127.0.0.1',
				userAgent: expect.stringContaining('Mobile'),
			}),
		]);
		expect(sandbox.spotify.follows('fan-spotify-1')).toEqual([
			SANDBOX_DEMO_RELEASE.spotify.artistUri,
		]);
		expect(new FanReferences(sealingKey).read(telegramHref!.split('/').pop()!)).toEqual({
			kind: 'action',
			actionId: presave.id,
		});

		const events = await hub.ledger.store.all<{ type: string; payload: string }>(
			'SELECT type, payload FROM outbox ORDER BY id',
		);
		const mine = events
			.filter((event) => event.payload.includes(fan.id))
			.map((event) => event.type);
		expect(mine).toEqual(['presave.completed', 'layer.accepted', 'optin.requested']);
	});

	it('Apple Music: MusicKit asks the fan in its own window and the page posts the user token to the hub', async () => {
		const page = await device.context.newPage();
		await openPresavePage(page);
		const [connectPage] = await Promise.all([
			page.waitForResponse((response) => response.url().includes('/connect/apple_music')),
			page.locator('#connect-apple_music').click(),
		]);
		expect(connectPage.headers()['content-security-policy']).toContain(
			`script-src 'self' ${new URL(sandbox.urls.appleMusic).origin};`,
		);
		await page.locator('#apple-authorize').waitFor();
		await screenshot(page, ARTIFACTS, 'apple-music-connect');

		const [popup] = await Promise.all([
			page.waitForEvent('popup'),
			page.locator('#apple-authorize').click(),
		]);
		await popup.waitForLoadState();
		await screenshot(popup, ARTIFACTS, 'apple-music-consent');
		await popup.locator('#user-id').fill('fan-apple-1');
		await popup.locator('#agree').click();
		await page.waitForURL(/\/layers\?/);
		expect(page.url()).not.toMatch(/music_user_token|Am[A-Za-z0-9_-]{20}/);
		await expect(page.locator('h1').textContent()).resolves.toBe('You’re in!');
		await expect(page.locator('body').textContent()).resolves.toContain('your Apple Music library');
		// Apple Music cannot follow artists: nothing to offer.
		await expect(page.locator('#follow-offer').count()).resolves.toBe(0);

		const identity = await hub.ledger.store.get<{ fan_id: string; external_id: string }>(
			"SELECT fan_id, external_id FROM identities WHERE channel = 'apple_music'",
		);
		const grant = await hub.ledger.tokens.open(identity!.fan_id, 'apple_music');
		expect(identity!.external_id).not.toContain(grant.accessToken);
		const { presave } = await presaveOf(identity!.fan_id);
		expect(presave).toMatchObject({
			platform: 'apple_music',
			status: 'pending',
			source: 'direct',
		});

		// The sealed user token works against Apple Music: release day can save with it.
		const saved = await api.call('POST', '/v1/streaming/save', {
			fanId: identity!.fan_id,
			campaignId: presave.campaignId,
			platform: 'apple_music',
			parentActionId: presave.id,
		});
		expect(saved.body.status).toBe('done');
		expect(sandbox.appleMusic.library('fan-apple-1').albums).toEqual([
			SANDBOX_DEMO_RELEASE.appleMusic.albumId,
		]);
	});

	it('Deezer: no PKCE, the app secret in the exchange, a token that does not expire; follow on the layers page', async () => {
		const page = await device.context.newPage();
		await openPresavePage(page);
		await page.locator('#connect-deezer').click();
		await page.waitForURL(`${sandbox.urls.deezerConnect}/oauth/auth.php?**`);
		expect(new URL(page.url()).searchParams.get('perms')).toBe(
			'basic_access,manage_library,offline_access',
		);
		await screenshot(page, ARTIFACTS, 'deezer-consent');
		await agree(page, 'fan-deezer-1');

		// The fan did not tick follow: the layers page offers it.
		await page.locator('#follow-offer').click();
		await page.waitForURL(`${sandbox.urls.deezerConnect}/oauth/auth.php?**`);
		await agree(page, 'fan-deezer-1');
		await expect(page.locator('#follow-done').textContent()).resolves.toContain('on Deezer');

		const fan = await hub.ledger.fans.getByIdentity('deezer', 'fan-deezer-1');
		const grant = await hub.ledger.tokens.open(fan.id, 'deezer');
		expect(grant).toMatchObject({ refreshToken: null, accessExpiresAtMs: null });
		const { exported, presave } = await presaveOf(fan.id);
		expect(exported.actions.filter((action) => action.kind === 'presave')).toHaveLength(1);
		expect(exported.actions.find((action) => action.kind === 'follow')).toMatchObject({
			status: 'done',
			parentActionId: presave.id,
		});
		expect(sandbox.deezer.library('fan-deezer-1').artists).toEqual([
			SANDBOX_DEMO_RELEASE.deezer.artistId,
		]);

		// The fan asks to be forgotten; pre-saving again with the same account is refused on a page.
		expect((await api.call('DELETE', `/v1/fans/${fan.id}`)).status).toBe(200);
		const before = await ledgerCounts();
		await openPresavePage(page);
		await page.locator('#connect-deezer').click();
		await page.locator('#user-id').fill('fan-deezer-1');
		const [refused] = await Promise.all([
			page.waitForResponse((response) => response.url().includes('/oauth/deezer/callback')),
			page.locator('#agree').click(),
		]);
		expect(refused.status()).toBe(409);
		await expect(page.locator('h1').textContent()).resolves.toBe('That did not work');
		expect(await ledgerCounts()).toEqual(before);
	});

	it('YouTube: Google’s consent screen with PKCE; the fan is known by their channel and subscribes to the artist’s', async () => {
		await createCampaign('nia-vale-youtube', {
			platforms: { youtube: { artistId: SANDBOX_DEMO_RELEASE.youtube.channelId } },
		});
		const page = await device.context.newPage();
		await openPresavePage(page, 'nia-vale-youtube');
		await page.getByLabel('Also follow Nia Vale').check();
		await page.locator('#connect-youtube').click();
		await page.waitForURL(`${sandbox.urls.youtube}/o/oauth2/v2/auth?**`);
		const authorize = new URL(page.url());
		expect(authorize.searchParams.get('scope')).toBe('https://www.googleapis.com/auth/youtube');
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		await screenshot(page, ARTIFACTS, 'youtube-consent');
		await agree(page, 'fan-youtube-1');
		await expect(page.locator('#follow-done').textContent()).resolves.toContain('on YouTube');

		const identity = await hub.ledger.store.get<{ fan_id: string; external_id: string }>(
			"SELECT fan_id, external_id FROM identities WHERE channel = 'youtube'",
		);
		expect(identity!.external_id).toMatch(/^UC[A-Za-z0-9_-]{22}$/);
		const { exported, presave } = await presaveOf(identity!.fan_id);
		// YouTube has no library: the subscription is what its pre-save can do, and the ledger says so at once.
		expect(presave).toMatchObject({
			platform: 'youtube',
			status: 'skipped',
			error: expect.stringContaining('YouTube has no library'),
		});
		expect(exported.actions.find((action) => action.kind === 'follow')).toMatchObject({
			status: 'done',
			parentActionId: presave.id,
		});
		expect(sandbox.youtube.subscriptions('fan-youtube-1')).toEqual([
			SANDBOX_DEMO_RELEASE.youtube.channelId,
		]);
	});

	it('speaks the fan’s language: ?lang= first, then Accept-Language, then the campaign’s', async () => {
		await createCampaign('nia-vale-de', { locale: 'de' });
		const page = await device.context.newPage();
		await page.goto(`${hub.url}/c/nia-vale-glass-harbour?lang=de`);
		await expect(page.locator('html').getAttribute('lang')).resolves.toBe('de');
		await expect(page.locator('h1').textContent()).resolves.toBe(
			'„Glass Harbour“ von Nia Vale vorab speichern',
		);
		await screenshot(page, ARTIFACTS, 'presave-page-de');

		const german = await fetch(`${hub.url}/c/nia-vale-glass-harbour`, {
			headers: { 'accept-language': 'fr-CH, de;q=0.9, en;q=0.8' },
		});
		expect(await german.text()).toContain('<html lang="de">');
		const campaignDefault = await fetch(`${hub.url}/c/nia-vale-de`, {
			headers: { 'accept-language': 'fr' },
		});
		expect(await campaignDefault.text()).toContain('<html lang="de">');
		const english = await fetch(`${hub.url}/c/nia-vale-de`, {
			headers: { 'accept-language': 'en-GB' },
		});
		expect(await english.text()).toContain('<html lang="en">');
	});

	it('keeps what the marketer typed inert, and sends strict security headers', async () => {
		await createCampaign('hostile', {
			artist: '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">',
			title: '"><svg onload="window.__pwned = 3">',
			artworkUrl: 'https://images.example.com/cover.jpg"onerror="window.__pwned=4',
		});
		const page = await device.context.newPage();
		const response = await openPresavePage(page, 'hostile');
		await expect(
			page.evaluate(() => (globalThis as { __pwned?: number }).__pwned),
		).resolves.toBeUndefined();
		await expect(page.locator('h1').textContent()).resolves.toContain(
			'<script>window.__pwned = 1</script>',
		);
		await screenshot(page, ARTIFACTS, 'hostile-campaign');

		const headers = response.headers();
		const csp = headers['content-security-policy'];
		expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
		expect(csp).not.toMatch(/script-src/);
		expect(csp).not.toMatch(/unsafe-inline/);
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toContain('img-src https://images.example.com');
		expect(csp).toContain(
			`form-action 'self' ${sandbox.urls.spotifyAccounts} ${sandbox.urls.deezerConnect}`,
		);
		expect(headers['referrer-policy']).toBe('no-referrer');
		expect(headers['x-content-type-options']).toBe('nosniff');
		// Small and self-contained: no external script, font or stylesheet.
		const html = await response.text();
		expect(Buffer.byteLength(html)).toBeLessThan(8 * 1024);
		expect(html).not.toMatch(/<script|<link|@import|@font-face/);
	});

	it('refuses a forged, a replayed and an expired state with a clear page, recording nothing', async () => {
		const page = await device.context.newPage();
		// A real round trip first, to have a state that was used.
		await openPresavePage(page);
		await page.locator('#connect-spotify').click();
		await page.waitForURL(`${sandbox.urls.spotifyAccounts}/authorize?**`);
		await page.locator('#user-id').fill('fan-spotify-replay');
		const [callback] = await Promise.all([
			page.waitForRequest((request) => request.url().includes('/oauth/spotify/callback')),
			page.locator('#agree').click(),
		]);
		await page.waitForURL(/\/layers\?/);
		const before = await ledgerCounts();

		const replayed = await page.goto(callback.url());
		expect(replayed?.status()).toBe(400);
		await expect(page.locator('h1').textContent()).resolves.toBe('This sign-in was already used');
		await screenshot(page, ARTIFACTS, 'state-replayed');

		const state = new URL(callback.url()).searchParams.get('state')!;
		const forgedState = `${state.split('.')[0]}.${'A'.repeat(22)}`;
		const forged = await page.goto(
			`${hub.url}/oauth/spotify/callback?code=anything&state=${encodeURIComponent(forgedState)}`,
		);
		expect(forged?.status()).toBe(400);
		await expect(page.locator('h1').textContent()).resolves.toBe('This sign-in link does not work');
		await screenshot(page, ARTIFACTS, 'state-forged');

		// Repeated parameters are no way around the checks either.
		const doubled = await fetch(
			`${hub.url}/oauth/spotify/callback?code=a&code=b&state=${encodeURIComponent(state)}&state=x&lang=de&lang=en`,
		);
		expect(doubled.status).toBe(400);
		expect(await doubled.text()).toContain('This sign-in link does not work');

		// A state for another platform is no good either.
		const crossed = await page.goto(
			`${hub.url}/oauth/deezer/callback?code=anything&state=${encodeURIComponent(state)}`,
		);
		expect(crossed?.status()).toBe(400);

		// Expired: started now, agreed to after its ten minutes.
		await page.goto(`${hub.url}/c/nia-vale-glass-harbour/connect/spotify`);
		await page.locator('#user-id').fill('fan-spotify-late');
		await hub.ledger.store.run('UPDATE oauth_states SET expires_at = $1', [Date.now() - 1]);
		const [expired] = await Promise.all([
			page.waitForResponse((response) => response.url().includes('/oauth/spotify/callback')),
			page.locator('#agree').click(),
		]);
		expect(expired.status()).toBe(400);
		await expect(page.locator('h1').textContent()).resolves.toBe('This sign-in took too long');
		await screenshot(page, ARTIFACTS, 'state-expired');

		expect(await ledgerCounts()).toEqual(before);
	});

	it('explains a platform error at the token exchange and a denied consent, each with a way to try again', async () => {
		const page = await device.context.newPage();
		const before = await ledgerCounts();

		// The token endpoint fails after the fan agreed.
		await page.goto(`${hub.url}/c/nia-vale-glass-harbour/connect/spotify`);
		await page.locator('#user-id').fill('fan-spotify-unlucky');
		// The consent screen's answer goes through as it is; the token endpoint fails from then on.
		const accounts = new URL(sandbox.urls.spotifyAccounts).origin;
		const consentAnswer = (url: URL) => url.origin === accounts;
		await page.route(consentAnswer, async (route) => {
			if (route.request().method() !== 'POST') return route.continue();
			const response = await route.fetch({ maxRedirects: 0 });
			sandbox.spotify.accounts.faults.set({ serverErrorRate: 1 });
			await route.fulfill({ response });
		});
		try {
			const [failed] = await Promise.all([
				page.waitForResponse((response) => response.url().includes('/oauth/spotify/callback')),
				page.locator('#agree').click(),
			]);
			expect(failed.status()).toBe(502);
		} finally {
			sandbox.spotify.accounts.faults.clear();
			await page.unroute(consentAnswer);
		}
		await expect(page.locator('h1').textContent()).resolves.toBe('That did not work');
		await expect(page.locator('#retry').getAttribute('href')).resolves.toBe(
			'/c/nia-vale-glass-harbour?lang=en',
		);
		await screenshot(page, ARTIFACTS, 'platform-error');

		// The fan says no on the consent screen.
		await openPresavePage(page);
		await page.locator('#connect-spotify').click();
		await page.waitForURL(`${sandbox.urls.spotifyAccounts}/authorize?**`);
		await page.locator('#cancel').click();
		await page.waitForURL(/\/oauth\/spotify\/callback\?error=access_denied/);
		await expect(page.locator('h1').textContent()).resolves.toBe('No problem');
		await screenshot(page, ARTIFACTS, 'consent-denied');
		await page.locator('#retry').click();
		await expect(page.locator('h1').textContent()).resolves.toBe(
			'Pre-save “Glass Harbour” by Nia Vale',
		);

		expect(await ledgerCounts()).toEqual(before);
	});

	it('works from the keyboard alone: tick follow, then pre-save, with Tab, Space and Enter', async () => {
		const page = await device.context.newPage();
		await openPresavePage(page);
		const focused = () =>
			page.evaluate(
				() =>
					(globalThis as unknown as { document: { activeElement: { id: string } } }).document
						.activeElement.id,
			);
		await page.keyboard.press('Tab');
		expect(await focused()).toBe('follow');
		await page.keyboard.press('Space');
		await expect(page.locator('#follow').isChecked()).resolves.toBe(true);
		await page.keyboard.press('Tab');
		expect(await focused()).toBe('connect-spotify');
		await page.keyboard.press('Enter');
		await page.waitForURL(`${sandbox.urls.spotifyAccounts}/authorize?**`);
		expect(new URL(page.url()).searchParams.get('scope')).toBe(
			'user-library-modify user-library-read user-follow-modify',
		);
	});

	it('tells a fan in the Instagram or TikTok in-app browser to open the page in their browser', async () => {
		for (const [app, userAgent] of [
			[
				'instagram',
				'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 350.0.0.0.0',
			],
			[
				'tiktok',
				'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36 musical_ly_2023 BytedanceWebview/d8a21c6',
			],
		]) {
			const inApp = await phoneContext(device.browser, { userAgent });
			try {
				const page = await inApp.newPage();
				await openPresavePage(page);
				await expect(page.locator('#in-app-notice h2').textContent()).resolves.toBe(
					'Open this page in your browser',
				);
				await expect(page.getByLabel('Link to this page').inputValue()).resolves.toBe(
					`${hub.url}/c/nia-vale-glass-harbour`,
				);
				await screenshot(page, ARTIFACTS, `in-app-${app}`);
			} finally {
				await inApp.close();
			}
		}
		const page = await device.context.newPage();
		await openPresavePage(page);
		await expect(page.locator('#in-app-notice').count()).resolves.toBe(0);
	});

	it('answers an unknown campaign and a forged layers session with a page, not an error', async () => {
		const page = await device.context.newPage();
		const missing = await page.goto(`${hub.url}/c/no-such-campaign`);
		expect(missing?.status()).toBe(404);
		await expect(page.locator('h1').textContent()).resolves.toBe('Page not found');
		const forged = await page.goto(
			`${hub.url}/c/nia-vale-glass-harbour/layers?s=act_01JZZZZZZZZZZZZZZZZZZZZZZZ.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA`,
		);
		expect(forged?.status()).toBe(410);
		await expect(page.locator('h1').textContent()).resolves.toBe('This page has expired');
		const structured = await fetch(`${hub.url}/c/nia-vale-glass-harbour/layers/sms`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ s: { forged: true }, address: ['+14155550123'], consent: 'yes' }),
		});
		expect(structured.status).toBe(410);
	});
});
