import type { Message } from 'grammy/types';
import type { Page } from 'playwright-core';
import { BUTTON, JOINED } from '../../bot/src/telegram/replies';
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
import { phonePerTest, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { confirmEmail as confirmFromEmail, textBack as replyBySms } from '../support/fan-replies';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';
import { ReleaseDayInN8n } from './release-day-in-n8n';

const SMS_WORDING =
	'Yes, text me news about Mia Vale. Up to 4 msgs/month. Msg & data rates may apply. Reply STOP to stop.';
const EMAIL_WORDING = 'Yes, email me news about Mia Vale. Unsubscribe any time.';
const ARTIFACTS = 'journey';
const DAY_MS = 24 * 3_600_000;
/** The artist's next release, which fans who agreed to "save every release" get with no new visit. */
const NEXT_ALBUM_URI = 'spotify:album:MiaValeUndertow0000001';
type LibraryPlatform = 'spotify' | 'apple_music' | 'deezer';

function buttonsOf(message: Message): string[] {
	return (message.reply_markup?.inline_keyboard.flat() ?? []).flatMap((button) =>
		'callback_data' in button ? [button.callback_data] : [],
	);
}

/**
 * The release cycle as fans and a marketer live it, touching only what they touch: the
 * pre-save page and the platforms' consent screens in Chromium (reached through the hub's
 * own connect links), the layers page, SMS replies through signed Twilio webhooks, the
 * email link, the bot's /start in the Telegram stand-in, release day run by the release-day
 * template in a real n8n started by its own Schedule Trigger, the reconnect link, the
 * artist's next release, and the platforms' libraries and the fans' inboxes read back from
 * the stand-ins.
 */
describe.each(STORE_KINDS)('the release cycle, end to end, on %s', (kind) => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let streaming: StreamingSandbox;
	let messaging: MessagingSandbox;
	let telegram: TelegramStandIn;
	let hub: RunningHub;
	/** Started beside the first step (n8n takes a while to boot) and awaited on release day. */
	let releaseDayStarting: Promise<ReleaseDayInN8n>;
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
		telegram = await startTelegramStandIn();
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
			community: {
				telegram: {
					botToken: SANDBOX_TELEGRAM.token,
					apiRoot: telegram.apiRoot,
					updates: { mode: 'polling' },
				},
			},
			// n8n checks the event signatures against its own clock, not the journey's.
			delivery: { pollMs: 50, maxBackoffMs: 1_000, signingClock: Date.now },
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
			layers: ['sms', 'email', 'telegram'],
			consentWordings: { sms: SMS_WORDING, email: EMAIL_WORDING },
		});
		expect(created.status).toBe(200);
		campaignId = created.body.campaign.id;
		releaseDayStarting = ReleaseDayInN8n.start(`journey-${kind}`, hub, slug);
		// Awaited on release day; a failure to start is reported there, not as an unhandled rejection.
		releaseDayStarting.catch(() => undefined);
	});

	afterAll(async () => {
		await (await releaseDayStarting?.catch(() => undefined))?.stop();
		await hub?.close();
		await telegram?.close();
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

	/** Ticks "save every release" on the layers page. */
	async function agreeToFutureSaves(page: Page) {
		await page.locator('#future-saves-consent').check();
		await page.locator('#future-saves-submit').click();
		await page.waitForURL(/\/layers\?/);
	}

	/**
	 * The fan taps "Join us on Telegram" on the layers page; the phone hands the t.me link to
	 * the Telegram app (here the stand-in), which opens the bot with /start; the fan taps Join.
	 */
	async function joinTelegram(page: Page): Promise<number> {
		let startLink: string | undefined;
		await page.route('https://t.me/**', async (route) => {
			startLink = route.request().url();
			await route.fulfill({
				status: 200,
				contentType: 'text/html',
				body: '<p>Opening Telegram…</p>',
			});
		});
		await page.locator('#telegram-link').click();
		const link = await eventually('the t.me link', () => startLink);
		const fan = telegram.createUser({ languageCode: 'en' });
		telegram.openStartLink(fan.id, link);
		const offer = await eventually('the join offer', () =>
			telegram.messages(fan.id).find((message) => buttonsOf(message).includes(BUTTON.join)),
		);
		telegram.press(fan.id, offer, BUTTON.join);
		await eventually(
			'the welcome to release updates',
			() => telegram.messages(fan.id).some((message) => message.text === JOINED) || undefined,
		);
		return fan.id;
	}

	const outNow = (text: string | undefined) => /out now/i.test(text ?? '');
	const botMessagesTo = (telegramUserId: number) =>
		telegram.messages(telegramUserId).filter((message) => message.from?.is_bot);

	const user = (name: string) => `journey-${name}-${kind}`;
	const phones = { spotify: '+14155550181', stop: '+14155550182' };
	const emails = {
		spotify: `journey-spotify-${kind}@example.com`,
		stop: `journey-stop-${kind}@example.com`,
	};
	let telegramUserId: number;
	/** What reached the STOP fan before release day: the confirmations they asked for. */
	let stopFanTextsBefore: number;

	const STEP_MS = 180_000;

	it(
		'before release: fans pre-save on Spotify, Apple Music and Deezer; one takes SMS, email, Telegram and every future release',
		async () => {
			const page = await device.context.newPage();
			await presave(page, 'spotify', user('spotify'));
			await screenshot(page, ARTIFACTS, `layers-${kind}`);
			await optInOnLayersPage(page, 'sms', phones.spotify);
			await optInOnLayersPage(page, 'email', emails.spotify);
			await agreeToFutureSaves(page);
			const reply = await textBack(phones.spotify, 'YES');
			expect(reply.status).toBe(200);
			telegramUserId = await joinTelegram(page);
			await confirmEmail(await device.context.newPage(), emails.spotify);

			await presave(await device.context.newPage(), 'apple_music', user('apple'));
			await presave(await device.context.newPage(), 'deezer', user('deezer'));
			await presave(await device.context.newPage(), 'spotify', user('expiring'));
			const stopPage = await device.context.newPage();
			await presave(stopPage, 'deezer', user('stop'));
			await optInOnLayersPage(stopPage, 'sms', phones.stop);
			await optInOnLayersPage(stopPage, 'email', emails.stop);
			await textBack(phones.stop, 'YES');
			await confirmEmail(await device.context.newPage(), emails.stop);
			await textBack(phones.stop, 'STOP');
			stopFanTextsBefore = smsTo(phones.stop).length;

			const fan = await fanOf('spotify', user('spotify'));
			const exported = (await api.call('GET', `/v1/fans/${fan.id}/export`)).body;
			const standing = (channel: string) =>
				exported.consents
					.filter((consent: { channel: string }) => consent.channel === channel)
					.map((consent: { status: string }) => consent.status);
			expect(standing('phone')).toEqual(['granted']);
			expect(standing('email')).toEqual(['granted']);
			expect(standing('telegram')).toEqual(['granted']);
			const stopFan = await fanOf('deezer', user('stop'));
			const stopExport = (await api.call('GET', `/v1/fans/${stopFan.id}/export`)).body;
			// One STOP ends the text and the email consent alike.
			expect(
				stopExport.consents
					.map((consent: { channel: string; status: string }) => [consent.channel, consent.status])
					.sort(),
			).toEqual([
				['email', 'revoked'],
				['phone', 'revoked'],
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
		'release day: the template in n8n converts every pre-save exactly once and says "out now" on every channel the fan took',
		async () => {
			// 11:00 on the US west coast, where the fans' numbers are: outside quiet hours.
			const releaseDayMs = Date.parse('2026-12-04T19:00:00Z');
			clock.set(releaseDayMs);
			// The expiring fan's authorization has ended on Spotify's side.
			streaming.spotify.revoke(user('expiring'));
			const stopFan = await fanOf('deezer', user('stop'));

			const releaseDay = await releaseDayStarting;
			const due = releaseDay.dueAt;
			const job = await eventually(
				`the release-day job the schedule starts at ${due.toISOString()}`,
				async () => {
					const rows = await hub.ledger.store.all<{ id: string; status: string }>(
						"SELECT id, status FROM jobs WHERE kind = 'release_conversion'",
					);
					return rows.length === 1 && rows[0].status === 'done' ? rows[0] : undefined;
				},
				due.getTime() - Date.now() + 120_000,
				() => releaseDay.n8n.logTail(),
			);
			expect(await conversionProgress(job.id)).toMatchObject({
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
			const converted = await hub.ledger.store.get<{ n: number }>(
				"SELECT COUNT(*) AS n FROM outbox WHERE type = 'presave.converted'",
			);
			expect(Number(converted?.n)).toBe(4);

			// n8n ran once for the schedule and once for each converted pre-save.
			const runs = await releaseDay.n8n.waitForExecutions(releaseDay.workflowId, 1 + 4, 90_000);
			// Fans known only by their streaming account (no number, no address) end their run quietly too.
			expect(runs.filter((run) => run.status !== 'success')).toEqual([]);
			const outNowTexts = await eventually('the out-now text', () => {
				const texts = smsTo(phones.spotify).filter((sms) => outNow(sms.body));
				return texts.length > 0 ? texts : undefined;
			});
			await messaging.smtp.waitFor(
				(mail) => mail.to.includes(emails.spotify) && outNow(mail.text),
				10_000,
			);
			const outNowChats = await eventually('the out-now message on Telegram', () => {
				const chats = botMessagesTo(telegramUserId).filter((message) => outNow(message.text));
				return chats.length > 0 ? chats : undefined;
			});
			expect(outNowTexts).toHaveLength(1);
			expect(outNowChats).toHaveLength(1);
			expect(
				messaging.smtp
					.messages()
					.filter((mail) => mail.to.includes(emails.spotify) && outNow(mail.text)),
			).toHaveLength(1);

			// The fan who texted STOP gets nothing anywhere: no text, no email, nothing sent for them.
			expect(smsTo(phones.stop)).toHaveLength(stopFanTextsBefore);
			expect(
				messaging.smtp
					.messages()
					.filter((mail) => mail.to.includes(emails.stop) && outNow(mail.text)),
			).toEqual([]);
			const sentToStopFan = await hub.ledger.store.all<{ channel: string; status: string }>(
				"SELECT channel, status FROM messages WHERE fan_id = $1 AND created_at >= $2 AND status <> 'suppressed'",
				[stopFan.id, releaseDayMs],
			);
			expect(sentToStopFan).toEqual([]);

			// Run again: nothing is saved twice.
			const again = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {});
			expect(await conversionProgress(again.body.jobId)).toMatchObject({
				converted: 0,
				reconsent: 0,
			});
			expect(libraryHolds('spotify', user('spotify'))).toBe(1);
		},
		STEP_MS + 120_000,
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

	it(
		'the next release: the fan who agreed to every future release has it saved with no new visit',
		async () => {
			const fan = await fanOf('spotify', user('spotify'));
			const fansBefore = Number(
				(await hub.ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM fans'))?.n,
			);
			const next = await api.call('POST', '/v1/campaigns', {
				slug: `${slug}-undertow`,
				artist: 'Mia Vale',
				title: 'Undertow',
				releaseAtUtc: new Date(clock.now() + DAY_MS).toISOString(),
				platforms: { spotify: { albumId: NEXT_ALBUM_URI } },
			});
			expect(next.status).toBe(200);
			expect(next.body.campaign.artistId).toBe(
				(await api.call('GET', `/v1/campaigns/${campaignId}`)).body.artistId,
			);

			clock.advance(2 * DAY_MS);
			const started = await api.call(
				'POST',
				`/v1/campaigns/${next.body.campaign.id}/conversions`,
				{},
			);
			expect(started.status).toBe(202);
			expect(await conversionProgress(started.body.jobId)).toMatchObject({
				converted: 0,
				futureSaves: { converted: 1, reconsent: 0, failed: 0, waiting: 0 },
			});
			expect(
				streaming.spotify.library(user('spotify')).filter((uri) => uri === NEXT_ALBUM_URI),
			).toHaveLength(1);
			// Nobody else agreed: the other fans' libraries do not get it.
			expect(streaming.spotify.library(user('expiring'))).not.toContain(NEXT_ALBUM_URI);
			expect(
				Number((await hub.ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM fans'))?.n),
			).toBe(fansBefore);
			const presaves = await hub.ledger.store.all<{ id: string }>(
				"SELECT id FROM actions WHERE kind = 'presave' AND campaign_id = $1",
				[next.body.campaign.id],
			);
			expect(presaves).toEqual([]);
			const saves = (await api.call('GET', `/v1/fans/${fan.id}/export`)).body.actions.filter(
				(action: { kind: string; campaignId: string }) =>
					action.kind === 'save' && action.campaignId === next.body.campaign.id,
			);
			expect(saves).toMatchObject([{ status: 'done', verification: 'hard' }]);
		},
		STEP_MS,
	);
});
