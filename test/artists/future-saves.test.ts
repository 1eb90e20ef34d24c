import type { Message } from 'grammy/types';
import type { Page } from 'playwright-core';
import { REPLIES as DISCORD_REPLIES } from '../../bot/src/discord/fan-actions';
import { registerCommands } from '../../bot/src/register-commands';
import { ALREADY_SAVING, BUTTON, SAVING, STOPPED } from '../../bot/src/telegram/replies';
import { startHub, type RunningHub } from '../../hub/src';
import {
	MESSAGE_FLAGS,
	SANDBOX_DISCORD,
	SANDBOX_TELEGRAM,
	startDiscordStandIn,
	startTelegramStandIn,
	type DiscordMessage,
	type DiscordStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import { startStreamingSandbox, type StreamingSandbox } from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { phonePerTest } from '../support/browser';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxMessaging } from '../support/messaging';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';

const SMS_WORDING =
	'Yes, text me news about my artists. Up to 4 msgs/month. Msg & data rates may apply. Reply STOP to stop.';

const DAY_MS = 24 * 3_600_000;

/** A Spotify album URI the stand-in takes: base62, 22 characters. */
function albumUri(n: number): string {
	return `spotify:album:FutureSaveA1bum${String(n).padStart(7, '0')}`;
}

/** Each test drives a browser through sign-ins and waits for release-day jobs. */
jest.setTimeout(90_000);

describe.each(STORE_KINDS)('"save every release" on %s', (kind) => {
	let database: TestDatabase;
	let streaming: StreamingSandbox;
	let messaging: MessagingSandbox;
	let telegram: TelegramStandIn;
	let discord: DiscordStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let albums = 0;
	const device = phonePerTest();

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		const port = await freePort();
		streaming = await startStreamingSandbox({
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
			spotifyDevModeUserCap: 0,
		});
		messaging = await startMessagingSandbox();
		telegram = await startTelegramStandIn();
		discord = await startDiscordStandIn();
		await registerCommands({
			botToken: SANDBOX_DISCORD.token,
			applicationId: SANDBOX_DISCORD.applicationId,
			apiRoot: discord.apiRoot,
			scope: { guildId: SANDBOX_DISCORD.guildId },
		});
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			// One clock for the hub and the platforms, so a test can move to release day.
			clock: () => streaming.clock.now(),
			streamingPlatforms: sandboxPlatforms(streaming),
			fanAuthorizations: sandboxFanAuthorizations(streaming),
			messaging: sandboxMessaging(messaging),
			community: {
				telegram: {
					botToken: SANDBOX_TELEGRAM.token,
					apiRoot: telegram.apiRoot,
					updates: { mode: 'polling' },
				},
				discord: {
					botToken: SANDBOX_DISCORD.token,
					applicationId: SANDBOX_DISCORD.applicationId,
					guildId: SANDBOX_DISCORD.guildId,
					releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
					announcementChannelId: SANDBOX_DISCORD.announceChannelId,
					inviteChannelId: SANDBOX_DISCORD.inviteChannelId,
					apiRoot: discord.apiRoot,
				},
			},
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('future saves test'));
	});

	afterAll(async () => {
		await hub?.close();
		await streaming?.stop();
		await messaging?.stop();
		await telegram?.close();
		await discord?.stop();
		await database?.drop();
	});

	/** A campaign of the artist with its own album, out tomorrow (`soon`) or far in the future. */
	async function campaign(
		artist: { artist?: string; artistId?: string },
		soon: boolean,
		layers = ['sms'],
	) {
		const album = albumUri(++albums);
		const created = await api.call('POST', '/v1/campaigns', {
			slug: `future-saves-${kind}-${albums}`,
			title: `Release ${albums}`,
			releaseAtUtc: new Date(
				soon ? streaming.clock.now() + DAY_MS : Date.parse('2099-01-02T00:00:00Z'),
			).toISOString(),
			platforms: { spotify: { albumId: album } },
			layers,
			consentWordings: { sms: SMS_WORDING },
			...artist,
		});
		expect(created.status).toBe(200);
		return { ...(created.body.campaign as { id: string; slug: string; artistId: string }), album };
	}

	/** The fan's real path: the campaign page, Spotify's consent screen in the sandbox, back on the layers page. */
	async function presaveOnPage(page: Page, slug: string, spotifyUser: string) {
		await page.goto(`${hub.url}/c/${slug}`);
		await page.locator('#connect-spotify').click();
		await page.waitForURL(`${streaming.urls.spotifyAccounts}/authorize?**`);
		await page.locator('#user-id').fill(spotifyUser);
		await page.locator('#agree').click();
		await page.waitForURL(/\/c\/[a-z0-9-]+\/layers\?/);
	}

	/** Ticks "save every release" on the layers page; answers the exact words the fan saw. */
	async function agreeToFutureSaves(page: Page): Promise<string> {
		const wording = (await page.locator('#future-saves-layer label').textContent()) as string;
		await page.locator('#future-saves-consent').check();
		await page.locator('#future-saves-submit').click();
		await page.waitForURL(/\/layers\?/);
		return wording;
	}

	/** Two days on, the release is out; the marketer starts release day. */
	async function releaseDay(campaignId: string) {
		streaming.clock.advance(2 * DAY_MS);
		const started = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {
			platforms: ['spotify'],
		});
		expect(started.status).toBe(202);
		const job = await eventually('the release-day job', async () => {
			const read = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
			return read.body.status === 'done' ? read.body : undefined;
		});
		return job.progress as {
			converted: number;
			reconsent: number;
			failed: number;
			futureSaves: { converted: number; reconsent: number; failed: number; waiting: number };
		};
	}

	async function savesOf(fanId: string, campaignId: string) {
		const exported = await api.call('GET', `/v1/fans/${fanId}/export`);
		return (exported.body.actions as Array<Record<string, unknown>>).filter(
			(action) => action.kind === 'save' && action.campaignId === campaignId,
		);
	}

	async function futureSavesOf(artistId: string) {
		return (await api.call('GET', `/v1/artists/${artistId}/future-saves`)).body
			.futureSaves as Array<Record<string, unknown>>;
	}

	it('a fan who pre-saved on the page and ticked it gets the artist’s next release saved on its release day, once, with no new visit', async () => {
		const first = await campaign({ artist: `Mia Vale ${kind}` }, false);
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `future-fan-${kind}`);

		// The box starts unticked; without the tick nothing is recorded.
		await expect(page.locator('#future-saves-consent').isChecked()).resolves.toBe(false);
		await page.locator('#future-saves-submit').click();
		await expect(page.locator('#future-saves-problem').textContent()).resolves.toBe(
			'To sign up, tick the box to agree.',
		);
		expect(await futureSavesOf(first.artistId)).toEqual([]);

		const wording = await agreeToFutureSaves(page);
		expect(wording).toBe(
			`Save every new release by Mia Vale ${kind} to my Spotify library on its release day, without asking me again. I can stop this at any time by replying STOP to a text, unsubscribing from an email or sending /stop to the bot.`,
		);
		await expect(page.locator('#future-saves-layer .done').textContent()).resolves.toContain(
			`every new release by Mia Vale ${kind} will be saved to your Spotify library`,
		);
		// The same form sent again (a back button, a double tap) agrees once.
		const session = new URL(page.url()).searchParams.get('s') as string;
		const replay = await fetch(`${hub.url}/c/${first.slug}/layers/future_saves`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ s: session, consent: 'yes', lang: 'en' }).toString(),
			redirect: 'manual',
		});
		expect(replay.status).toBe(303);
		await page.close();

		const fan = await hub.ledger.fans.getByIdentity('spotify', `future-fan-${kind}`);
		const exported = await api.call('GET', `/v1/fans/${fan.id}/export`);
		const consent = exported.body.consents.find(
			(given: { purpose: string }) => given.purpose === 'future_saves',
		);
		expect(consent).toMatchObject({
			channel: 'spotify',
			status: 'granted',
			wording,
			source: 'presave_page',
		});
		expect(
			exported.body.consents.filter(
				(given: { purpose: string }) => given.purpose === 'future_saves',
			),
		).toHaveLength(1);
		const presave = exported.body.actions.find(
			(action: { kind: string }) => action.kind === 'presave',
		);
		const agreement = exported.body.actions.find(
			(action: { kind: string }) => action.kind === 'future_saves',
		);
		expect(agreement).toMatchObject({
			platform: 'spotify',
			parentActionId: presave.id,
			campaignId: first.id,
		});

		// The artist's next release: the fan never visits its page.
		const next = await campaign({ artistId: first.artistId }, true);
		const progress = await releaseDay(next.id);
		expect(progress.futureSaves).toEqual({ converted: 1, reconsent: 0, failed: 0, waiting: 0 });
		expect(progress.converted).toBe(0);
		expect(streaming.spotify.library(`future-fan-${kind}`)).toContain(next.album);
		expect(await savesOf(fan.id, next.id)).toEqual([
			expect.objectContaining({
				status: 'done',
				verification: 'hard',
				parentActionId: agreement.id,
				idempotencyKey: `save:${next.id}:${fan.id}:spotify`,
			}),
		]);

		// Release day again: nothing is saved twice.
		const again = await releaseDay(next.id);
		expect(again.futureSaves.converted).toBe(0);
		expect(await savesOf(fan.id, next.id)).toHaveLength(1);
		expect(await futureSavesOf(first.artistId)).toEqual([
			expect.objectContaining({
				fanId: fan.id,
				platform: 'spotify',
				status: 'active',
				reason: null,
			}),
		]);
	});

	it('a fan who also pre-saved the new release gets one save, not two', async () => {
		const first = await campaign({ artist: `Ada Fen ${kind}` }, false);
		const next = await campaign({ artistId: first.artistId }, true);
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `both-fan-${kind}`);
		await agreeToFutureSaves(page);
		await presaveOnPage(page, next.slug, `both-fan-${kind}`);
		await page.close();

		const progress = await releaseDay(next.id);
		expect(progress.converted + progress.futureSaves.converted).toBe(1);
		const fan = await hub.ledger.fans.getByIdentity('spotify', `both-fan-${kind}`);
		expect(await savesOf(fan.id, next.id)).toHaveLength(1);
		expect(
			streaming.spotify.library(`both-fan-${kind}`).filter((uri) => uri === next.album),
		).toHaveLength(1);
	});

	it('STOP by text ends it: the next release is not saved and the marketer reads why', async () => {
		const first = await campaign({ artist: `Kai Moreno ${kind}` }, false);
		const phone = kind === 'sqlite' ? '+14155550181' : '+14155550182';
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `stop-fan-${kind}`);
		await agreeToFutureSaves(page);
		await page.getByLabel('Mobile number').fill(phone);
		await page.locator('#sms-consent').check();
		await page.locator('#sms-submit').click();
		await page.waitForURL(/\/layers\?/);
		await page.close();

		// The opt-in text speaks as the artist, not as the hub.
		const [request] = await eventually('the YES request', () => {
			const sent = messaging.twilio.sent().filter((message) => message.to === phone);
			return sent.length > 0 ? sent : undefined;
		});
		expect(request.body).toMatch(new RegExp(`^Kai Moreno ${kind}: reply YES`));

		await messaging.twilio.inbound(`${hub.url}/webhooks/twilio/sms`, {
			From: phone,
			To: messaging.credentials.twilio.from,
			Body: 'STOP',
		});
		const next = await campaign({ artistId: first.artistId }, true);
		const progress = await releaseDay(next.id);
		expect(progress.futureSaves).toEqual({ converted: 0, reconsent: 0, failed: 0, waiting: 0 });
		expect(streaming.spotify.library(`stop-fan-${kind}`)).not.toContain(next.album);

		const fan = await hub.ledger.fans.getByIdentity('spotify', `stop-fan-${kind}`);
		expect(await savesOf(fan.id, next.id)).toEqual([]);
		expect(await futureSavesOf(first.artistId)).toEqual([
			expect.objectContaining({ fanId: fan.id, status: 'ended', reason: 'The fan texted STOP.' }),
		]);
		const agreement = (await hub.ledger.exportFan(fan.id)).actions.find(
			(action) => action.kind === 'future_saves',
		);
		expect(agreement).toMatchObject({
			status: 'skipped',
			error: 'Save every release ended: The fan texted STOP.',
		});
	});

	it('a revoked authorization saves nothing and says so; a GDPR erase leaves nothing to save', async () => {
		const first = await campaign({ artist: `Lio Grey ${kind}` }, false);
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `revoked-fan-${kind}`);
		await agreeToFutureSaves(page);
		await presaveOnPage(page, first.slug, `erased-fan-${kind}`);
		await agreeToFutureSaves(page);
		await page.close();

		streaming.spotify.revoke(`revoked-fan-${kind}`);
		const erased = await hub.ledger.fans.getByIdentity('spotify', `erased-fan-${kind}`);
		expect((await api.call('DELETE', `/v1/fans/${erased.id}`)).status).toBe(200);

		const next = await campaign({ artistId: first.artistId }, true);
		const progress = await releaseDay(next.id);
		expect(progress.futureSaves).toMatchObject({ converted: 0, reconsent: 1, waiting: 0 });
		expect(streaming.spotify.library(`revoked-fan-${kind}`)).not.toContain(next.album);
		expect(streaming.spotify.library(`erased-fan-${kind}`)).not.toContain(next.album);

		const fan = await hub.ledger.fans.getByIdentity('spotify', `revoked-fan-${kind}`);
		expect(await savesOf(fan.id, next.id)).toEqual([
			expect.objectContaining({ status: 'failed', error: expect.stringMatching(/spotify/i) }),
		]);
		const listed = await futureSavesOf(first.artistId);
		expect(listed).toEqual([
			expect.objectContaining({
				fanId: fan.id,
				status: 'active',
				reason: expect.stringContaining('connection has expired or was revoked'),
			}),
		]);
	});

	it('in Telegram: /saveall shows the exact wording, the button agrees, the next release is saved, /stop ends it', async () => {
		const first = await campaign({ artist: `Noa Lind ${kind}` }, false, ['telegram']);
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `telegram-fan-${kind}`);
		const reference = ((await page.locator('#telegram-link').getAttribute('href')) as string)
			.split('/')
			.pop();
		await page.close();

		const chat = telegram.createUser({ languageCode: 'en' });
		const reply = (count: number) =>
			eventually(`bot message #${count}`, () => telegram.messages(chat.id)[count - 1], 10_000);
		telegram.send(chat.id, `/start ${reference}`);
		await reply(2);
		telegram.send(chat.id, '/saveall');
		const offer: Message = await reply(3);
		expect(offer.text).toBe(
			`Yes, save every new release by Noa Lind ${kind} to my Spotify library on its release day, without asking me again. I can send /stop at any time to end this.`,
		);
		telegram.press(chat.id, offer, BUTTON.saveall_yes);
		expect((await reply(4)).text).toBe(SAVING);
		telegram.press(chat.id, offer, BUTTON.saveall_yes);
		expect((await reply(5)).text).toBe(ALREADY_SAVING);

		const fan = await hub.ledger.fans.getByIdentity('spotify', `telegram-fan-${kind}`);
		const exported = await hub.ledger.exportFan(fan.id);
		expect(exported.consents.filter((consent) => consent.purpose === 'future_saves')).toEqual([
			expect.objectContaining({
				channel: 'spotify',
				status: 'granted',
				wording: offer.text,
				source: 'telegram:saveall',
			}),
		]);

		const next = await campaign({ artistId: first.artistId }, true);
		expect((await releaseDay(next.id)).futureSaves.converted).toBe(1);
		expect(streaming.spotify.library(`telegram-fan-${kind}`)).toContain(next.album);

		telegram.send(chat.id, '/stop');
		expect((await reply(6)).text).toBe(STOPPED);
		expect(await futureSavesOf(first.artistId)).toEqual([
			expect.objectContaining({
				fanId: fan.id,
				status: 'ended',
				reason: 'The fan sent /stop to the Telegram bot.',
			}),
		]);
		const later = await campaign({ artistId: first.artistId }, true);
		expect((await releaseDay(later.id)).futureSaves.converted).toBe(0);
		expect(streaming.spotify.library(`telegram-fan-${kind}`)).not.toContain(later.album);
	});

	/** The bot's finished answer to a Discord interaction. */
	function discordAnswer(interactionId: string): Promise<DiscordMessage> {
		return eventually(`the answer to ${interactionId}`, () => {
			const response = discord.interaction(interactionId).response;
			return response && (response.flags & MESSAGE_FLAGS.loading) === 0 ? response : undefined;
		});
	}

	it('in Discord: /saveall shows the exact wording, its button agrees, /stop ends it', async () => {
		const first = await campaign({ artist: `Ivo Sand ${kind}` }, false, ['discord']);
		const page = await device.context.newPage();
		await presaveOnPage(page, first.slug, `discord-fan-${kind}`);
		const href = (await page.locator('#discord-link').getAttribute('href')) as string;
		await page.close();
		const hop = await fetch(`${hub.url}${href}`, { redirect: 'manual' });
		const code = /^https:\/\/discord\.gg\/(.+)$/.exec(
			hop.headers.get('location') ?? '',
		)?.[1] as string;
		const member = discord.addUser(`ivo-fan-${kind}`);
		discord.memberJoins(member.id, code);
		const fan = await hub.ledger.fans.getByIdentity('spotify', `discord-fan-${kind}`);
		await eventually('the join linked to the fan', async () => {
			const owner = await api.call(
				'GET',
				`/v1/fans/by-identity?channel=discord&value=${member.id}`,
			);
			return owner.body.id === fan.id ? true : undefined;
		});

		const offer = await discordAnswer(discord.runCommand(member.id, 'saveall').id);
		expect(offer.content).toBe(
			`Yes, save every new release by Ivo Sand ${kind} to my Spotify library on its release day, without asking me again. I can send /stop at any time to end this.`,
		);
		const agreed = await discordAnswer(
			discord.press(member.id, 'fanloop:saveall-confirm', offer.id).id,
		);
		expect(agreed.content).toBe(DISCORD_REPLIES.saving);
		const consents = (await hub.ledger.exportFan(fan.id)).consents.filter(
			(consent) => consent.purpose === 'future_saves',
		);
		expect(consents).toEqual([
			expect.objectContaining({
				channel: 'spotify',
				status: 'granted',
				wording: offer.content,
				source: 'discord:saveall',
			}),
		]);

		await discordAnswer(discord.runCommand(member.id, 'stop').id);
		expect(await futureSavesOf(first.artistId)).toEqual([
			expect.objectContaining({
				fanId: fan.id,
				status: 'ended',
				reason: 'The fan used /stop with the Discord bot.',
			}),
		]);
	});
});
