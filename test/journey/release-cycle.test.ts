import type { Page } from 'playwright-core';
import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { phonePerTest, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { confirmEmail as confirmFromEmail, textBack as replyBySms } from '../support/fan-replies';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const SMS_WORDING =
	'Yes, text me news about Mia Vale. Up to 4 msgs/month. Msg & data rates may apply. Reply STOP to stop.';
const EMAIL_WORDING = 'Yes, email me news about Mia Vale. Unsubscribe any time.';
const ARTIFACTS = 'journey';
type LibraryPlatform = 'spotify' | 'apple_music' | 'deezer';

/**
 * The release cycle as fans and a marketer live it, touching only what they touch: the
 * pre-save page and the platforms' consent screens in Chromium (reached through the hub's
 * own connect links), the layers page, SMS replies through signed Twilio webhooks, the
 * email link, release day started through the public API, the reconnect link, and the
 * platforms' libraries read back from the stand-ins.
 */
describe.each(STORE_KINDS)('the release cycle, end to end, on %s', (kind) => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let streaming: StreamingSandbox;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let campaignId: string;
	const slug = `mia-vale-tidewater-${kind}`;
	const device = phonePerTest();

	beforeAll(async () => {
		// Three days before the release, in the afternoon (outside every quiet hour that matters here).
		clock.set(Date.parse('2026-12-01T14:00:00Z'));
		const port = await freePort();
		const hubUrl = `http://127.0.0.1:${port}`;
		streaming = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(hubUrl),
			spotifyDevModeUserCap: 0,
		});
		messaging = await startMessagingSandbox({ clock, twilioSendRatePerSecond: 1000 });
		database = await createTestDatabase(kind);
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			program: {
				name: 'Mia Vale',
				helpText: 'Mia Vale updates. Reply STOP to opt out.',
				stopSuppresses: ['sms', 'email'],
			},
			messaging: sandboxMessaging(messaging),
			streamingPlatforms: sandboxPlatforms(streaming),
			fanAuthorizations: sandboxFanAuthorizations(streaming),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('journey'));
		const created = await api.call('POST', '/v1/campaigns', {
			slug,
			artist: 'Mia Vale',
			title: 'Tidewater',
			releaseAtUtc: '2026-12-04T00:00:00Z',
			upc: SANDBOX_DEMO_RELEASE.upc,
			platforms: {
				spotify: { albumId: SANDBOX_DEMO_RELEASE.spotify.albumUri },
				apple_music: { albumId: SANDBOX_DEMO_RELEASE.appleMusic.albumId },
				deezer: { albumId: SANDBOX_DEMO_RELEASE.deezer.albumId },
			},
			layers: ['sms', 'email'],
			consentWordings: { sms: SMS_WORDING, email: EMAIL_WORDING },
		});
		expect(created.status).toBe(200);
		campaignId = created.body.campaign.id;
	});

	afterAll(async () => {
		await hub?.close();
		await streaming?.stop();
		await messaging?.stop();
		await database?.drop();
	});

	function libraryHolds(platform: LibraryPlatform, userId: string): number {
		if (platform === 'spotify') {
			return streaming.spotify
				.library(userId)
				.filter((uri) => uri === SANDBOX_DEMO_RELEASE.spotify.albumUri).length;
		}
		if (platform === 'apple_music') {
			return streaming.appleMusic
				.library(userId)
				.albums.filter((id) => id === SANDBOX_DEMO_RELEASE.appleMusic.albumId).length;
		}
		return streaming.deezer
			.library(userId)
			.albums.filter((id) => String(id) === SANDBOX_DEMO_RELEASE.deezer.albumId).length;
	}

	/** The sandbox's consent screen: the fan's account, then Agree. */
	async function agree(page: Page, userId: string) {
		await page.locator('#user-id').fill(userId);
		await page.locator('#agree').click();
	}

	/** A fan opens the pre-save page and connects a platform through its real consent screen; ends on the layers page. */
	async function presave(page: Page, platform: LibraryPlatform, userId: string) {
		await page.goto(`${hub.url}/c/${slug}`);
		if (platform === 'apple_music') {
			await page.locator('#connect-apple_music').click();
			await page.locator('#apple-authorize').waitFor();
			const [popup] = await Promise.all([
				page.waitForEvent('popup'),
				page.locator('#apple-authorize').click(),
			]);
			await popup.waitForLoadState();
			await agree(popup, userId);
		} else {
			await page.locator(`#connect-${platform}`).click();
			await agree(page, userId);
		}
		await page.waitForURL(/\/layers\?/);
	}

	async function optInOnLayersPage(page: Page, channel: 'sms' | 'email', address: string) {
		await page.locator(`#${channel}-address`).fill(address);
		await page.locator(`#${channel}-consent`).check();
		await page.locator(`#${channel}-submit`).click();
		await page.waitForURL(/\/layers\?/);
	}

	const smsTo = (phone: string) => messaging.twilio.sent().filter((sms) => sms.to === phone);
	const textBack = (phone: string, body: string) => replyBySms(messaging, hub.url, phone, body);
	const confirmEmail = (page: Page, address: string) => confirmFromEmail(messaging, page, address);

	async function fanOf(channel: string, value: string) {
		return hub.ledger.fans.getByIdentity(channel, value);
	}

	async function conversionProgress(jobId: string) {
		const job = await eventually(`conversion job ${jobId}`, async () => {
			const current = await api.call('GET', `/v1/jobs/${jobId}`);
			return current.body.status === 'done' ? current.body : undefined;
		});
		return job.progress as Record<string, number>;
	}

	const user = (name: string) => `journey-${name}-${kind}`;
	const phones = { spotify: '+14155550181', stop: '+14155550182' };
	const email = `journey-spotify-${kind}@example.com`;

	const STEP_MS = 120_000;

	it(
		'before release: fans pre-save on Spotify, Apple Music and Deezer and take SMS and email',
		async () => {
			const page = await device.context.newPage();
			await presave(page, 'spotify', user('spotify'));
			await screenshot(page, ARTIFACTS, `layers-${kind}`);
			await optInOnLayersPage(page, 'sms', phones.spotify);
			await optInOnLayersPage(page, 'email', email);
			const reply = await textBack(phones.spotify, 'YES');
			expect(reply.status).toBe(200);
			await confirmEmail(page, email);

			await presave(await device.context.newPage(), 'apple_music', user('apple'));
			await presave(await device.context.newPage(), 'deezer', user('deezer'));
			await presave(await device.context.newPage(), 'spotify', user('expiring'));
			const stopPage = await device.context.newPage();
			await presave(stopPage, 'deezer', user('stop'));
			await optInOnLayersPage(stopPage, 'sms', phones.stop);
			await textBack(phones.stop, 'YES');
			await textBack(phones.stop, 'STOP');

			const fan = await fanOf('spotify', user('spotify'));
			const exported = (await api.call('GET', `/v1/fans/${fan.id}/export`)).body;
			expect(
				exported.consents
					.map((consent: { channel: string; status: string }) => [consent.channel, consent.status])
					.sort(),
			).toEqual([
				['email', 'granted'],
				['phone', 'granted'],
			]);
			// Every page pre-save waits for release day.
			const presaves = await hub.ledger.store.all<{ status: string }>(
				"SELECT status FROM actions WHERE kind = 'presave' AND campaign_id = $1",
				[campaignId],
			);
			expect(presaves.map((row) => row.status)).toEqual([
				'pending',
				'pending',
				'pending',
				'pending',
				'pending',
			]);
		},
		STEP_MS,
	);

	it(
		'release day: every pre-save is saved exactly once; an expired authorization waits for the fan',
		async () => {
			// 11:00 on the US west coast, where the fans' numbers are: outside quiet hours.
			clock.set(Date.parse('2026-12-04T19:00:00Z'));
			// The expiring fan's authorization has ended on Spotify's side.
			streaming.spotify.revoke(user('expiring'));

			const started = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {});
			expect(started.status).toBe(202);
			expect(await conversionProgress(started.body.jobId)).toMatchObject({
				converted: 4,
				reconsent: 1,
				failed: 0,
				waiting: 0,
			});

			expect(libraryHolds('spotify', user('spotify'))).toBe(1);
			expect(libraryHolds('apple_music', user('apple'))).toBe(1);
			expect(libraryHolds('deezer', user('deezer'))).toBe(1);
			expect(libraryHolds('deezer', user('stop'))).toBe(1);
			expect(libraryHolds('spotify', user('expiring'))).toBe(0);

			// Run again: nothing is saved twice.
			const again = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {});
			expect(await conversionProgress(again.body.jobId)).toMatchObject({
				converted: 0,
				reconsent: 0,
			});
			expect(libraryHolds('spotify', user('spotify'))).toBe(1);
			const converted = await hub.ledger.store.get<{ n: number }>(
				"SELECT COUNT(*) AS n FROM outbox WHERE type = 'presave.converted'",
			);
			expect(Number(converted?.n)).toBe(4);

			// "Out now" to every fan on every channel they agreed to: the fan who texted STOP gets nothing.
			for (const name of ['spotify', 'stop']) {
				const fan = await fanOf('spotify' === name ? 'spotify' : 'deezer', user(name));
				for (const channel of ['sms', 'email']) {
					const sent = await api.call('POST', '/v1/messages', {
						fanId: fan.id,
						channel,
						campaignId,
						text: 'Tidewater is out now!',
						subject: 'Out now',
					});
					expect(sent.body.status).toBe(name === 'stop' ? 'suppressed' : 'sent');
				}
			}
			await eventually(
				'the out-now text',
				() => smsTo(phones.spotify).find((sms) => sms.body.includes('out now')) ?? undefined,
			);
			await messaging.smtp.waitFor(
				(mail) => mail.to.includes(email) && mail.text.includes('out now'),
				10_000,
			);
			expect(smsTo(phones.stop).filter((sms) => sms.body.includes('out now'))).toEqual([]);
		},
		STEP_MS,
	);

	it(
		're-consent: the expired fan gets a reconnect link, uses it, stays the same fan and is converted',
		async () => {
			const fan = await fanOf('spotify', user('expiring'));
			const fansBefore = Number(
				(await hub.ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM fans'))?.n,
			);
			const expiring = (
				await api.call('GET', '/v1/connections/expiring?withinDays=14&platform=spotify')
			).body.connections;
			const mine = expiring.find((connection: { fanId: string }) => connection.fanId === fan.id);
			expect(mine).toMatchObject({
				status: 'needs_reconsent',
				reconnectUrl: expect.stringMatching(/\/r\/[A-Za-z0-9_.-]+$/),
			});

			const reconnectUrl = mine.reconnectUrl.replace(/^https?:\/\/[^/]+/, hub.url) as string;
			// A forged or altered link opens nothing.
			expect((await fetch(`${hub.url}/r/forged`)).status).toBe(404);
			expect((await fetch(`${reconnectUrl.slice(0, -2)}xx`)).status).toBe(404);

			// Someone else's Spotify account on this fan's link is refused, and renews nothing.
			const page = await device.context.newPage();
			await page.goto(reconnectUrl);
			await page.waitForURL(`${streaming.urls.spotifyAccounts}/authorize?**`);
			await page.locator('#user-id').fill(user('someone-else'));
			const [refused] = await Promise.all([
				page.waitForResponse((response) => response.url().includes('/oauth/spotify/callback')),
				page.locator('#agree').click(),
			]);
			expect(refused.status()).toBe(409);
			expect((await hub.ledger.tokens.summaries(fan.id))[0]).toMatchObject({
				status: 'needs_reconsent',
			});

			await page.goto(reconnectUrl);
			await page.waitForURL(`${streaming.urls.spotifyAccounts}/authorize?**`);
			await agree(page, user('expiring'));
			await expect(page.locator('h1').textContent()).resolves.toBe('You’re reconnected');
			await screenshot(page, ARTIFACTS, `reconnected-${kind}`);

			await eventually(
				'the reconnected fan’s save',
				() => libraryHolds('spotify', user('expiring')) === 1 || undefined,
			);
			expect((await fanOf('spotify', user('expiring'))).id).toBe(fan.id);
			expect(
				Number((await hub.ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM fans'))?.n),
			).toBe(fansBefore);
			expect((await hub.ledger.tokens.summaries(fan.id))[0]).toMatchObject({
				platform: 'spotify',
				status: 'valid',
			});
			const after = (
				await api.call('GET', '/v1/connections/expiring?withinDays=14&platform=spotify')
			).body.connections;
			expect(after.map((connection: { fanId: string }) => connection.fanId)).not.toContain(fan.id);
			const presaveRow = await eventually('the converted pre-save', () =>
				hub.ledger.store
					.get<{ status: string; verification: string }>(
						"SELECT status, verification FROM actions WHERE kind = 'presave' AND fan_id = $1",
						[fan.id],
					)
					.then((row) => (row?.status === 'done' ? row : undefined)),
			);
			expect(presaveRow).toEqual({ status: 'done', verification: 'hard' });

			// A month on, the link has expired.
			clock.advance(31 * 24 * 3_600_000);
			expect((await fetch(reconnectUrl)).status).toBe(410);
		},
		STEP_MS,
	);
});
