import type { InlineKeyboardButton } from 'grammy/types';
import { BUTTON, NO_CHANNEL } from '../../bot/src/telegram/replies';
import { eventually } from '../support/eventually';
import { TelegramHub } from './telegram-hub';

describe('the artist’s private Telegram channel', () => {
	let h: TelegramHub;

	afterEach(async () => {
		await h?.close();
	});

	it('gives a fan a personal invite; joining and leaving reach the ledger and n8n', async () => {
		h = await TelegramHub.start('sqlite', { withChannel: true });
		const channelId = h.channelId!;
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, '/channel');
		const invite = await h.reply(fan.id, 1);
		const button = invite.reply_markup?.inline_keyboard.flat()[0] as InlineKeyboardButton.UrlButton;
		expect(h.telegram.inviteLinks(channelId).map((link) => link.invite_link)).toEqual([button.url]);
		const fanId = (await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`))
			.body.id;

		h.telegram.joinChannel(fan.id, button.url);
		await eventually('the channel join', () =>
			h.events().some((event) => event.data.community?.what === 'channel') ? true : undefined,
		);
		h.telegram.leaveChannel(fan.id, channelId);
		const events = await eventually('the channel leave', () =>
			h.events().some((event) => event.type === 'community.left') ? h.events() : undefined,
		);
		expect(events.map((event) => [event.type, event.data.community?.what])).toEqual([
			['community.joined', 'chat'],
			['community.joined', 'channel'],
			['community.left', 'channel'],
		]);
		const actions = (await h.api.call('GET', `/v1/fans/${fanId}/export`)).body.actions;
		expect(
			actions.find((action: { kind: string }) => action.kind === 'join_telegram'),
		).toMatchObject({
			verification: 'hard',
			data: { what: 'channel' },
		});
	});

	it('posts an announcement in the channel', async () => {
		h = await TelegramHub.start('sqlite', { withChannel: true });
		const posted = await h.api.call('POST', '/v1/community/announcements', {
			platform: 'telegram',
			text: 'Halo is out now',
		});
		expect(posted.status).toBe(200);
		const [post] = h.telegram.messages(h.channelId!);
		expect(posted.body).toEqual({ platform: 'telegram', messageId: String(post.message_id) });
		expect(post.text).toBe('Halo is out now');
	});

	it('says so when there is no channel, and the API names what is missing', async () => {
		h = await TelegramHub.start('sqlite');
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, '/channel');
		expect((await h.reply(fan.id, 1)).text).toBe(NO_CHANNEL);
		const posted = await h.api.call('POST', '/v1/community/announcements', {
			platform: 'telegram',
			text: 'Hello',
		});
		expect(posted.status).toBe(422);
		expect(posted.body.error.message).toContain('FANLOOP_TELEGRAM_CHANNEL_ID');
		const discord = await h.api.call('POST', '/v1/community/announcements', {
			platform: 'discord',
			text: 'Hello',
		});
		expect(discord.status).toBe(503);
		expect(discord.body.error.code).toBe('provider_not_configured');
	});

	it('records a fan who blocks the bot at once: opt-in revoked, n8n told', async () => {
		h = await TelegramHub.start('sqlite');
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, '/start');
		h.telegram.press(fan.id, await h.reply(fan.id, 2), BUTTON.join);
		await h.reply(fan.id, 3);
		const fanId = (await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`))
			.body.id;

		h.telegram.block(fan.id);
		const left = await eventually('the block', () =>
			h.events().find((event) => event.type === 'community.left'),
		);
		expect(left.data).toMatchObject({
			fan: { id: fanId },
			community: { platform: 'telegram', what: 'chat' },
		});
		expect(left.data.action).toMatchObject({ kind: 'join_telegram', status: 'failed' });
		const status = (await h.api.call('GET', `/v1/community/status?fanId=${fanId}`)).body;
		expect(status.telegram.releaseUpdates).toBe(false);
	});

	it('answers /presave with the page of the campaign the fan came from and /status with their layers', async () => {
		h = await TelegramHub.start('sqlite');
		const { presaveId } = await h.presave();
		const reference = (
			await h.api.call('POST', '/v1/community/links', { platform: 'telegram', actionId: presaveId })
		).body.reference;
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, `/start ${reference}`);
		await h.reply(fan.id, 2);

		h.telegram.send(fan.id, '/presave');
		const presave = await h.reply(fan.id, 3);
		expect(presave.text).toContain('Halo');
		const button =
			presave.reply_markup?.inline_keyboard.flat()[0] as InlineKeyboardButton.UrlButton;
		expect(button.url).toBe(`${h.hub.url}/c/nia-vale-halo`);

		h.telegram.send(fan.id, '/status');
		const status = await h.reply(fan.id, 4);
		expect(status.text).toBe(
			[
				'You do not get release updates here yet.',
				'You are in for: the pre-save.',
				'Still open: Telegram updates, text messages.',
			].join('\n'),
		);
	});

	it('shows a fan a page, not an API error, when the chat behind a link is not set up', async () => {
		h = await TelegramHub.start('sqlite');
		const { fanId } = await h.presave();
		const reference = (
			await h.api.call('POST', '/v1/community/links', { platform: 'telegram', fanId })
		).body.reference;
		const page = await fetch(`${h.hub.url}/l/discord/${reference}`, { redirect: 'manual' });
		expect(page.status).toBe(503);
		expect(page.headers.get('content-type')).toContain('text/html');
		expect(await page.text()).toContain('not open right now');
	});
});
