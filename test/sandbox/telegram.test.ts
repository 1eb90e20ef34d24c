import { createServer, type Server } from 'node:http';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { Bot, GrammyError, InlineKeyboard, webhookCallback, type Context } from 'grammy';
import type { Update } from '@grammyjs/types';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_TELEGRAM,
	TelegramStandIn,
	startTelegramStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';

interface BotApiAnswer {
	ok: boolean;
	result?: unknown;
	error_code?: number;
	description?: string;
	parameters?: { retry_after?: number };
}

/** One raw Bot API call, the way grammY makes it: POST with a JSON body. */
async function call(
	telegram: TelegramStandIn,
	method: string,
	params: Record<string, unknown> = {},
	token: string = telegram.token,
): Promise<{ status: number; answer: BotApiAnswer }> {
	const response = await fetch(`${telegram.apiRoot}/bot${token}/${method}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(params),
	});
	return { status: response.status, answer: (await response.json()) as BotApiAnswer };
}

/** What a grammY call was refused with, so a test can assert on Telegram's raw error. */
async function refusal(promise: Promise<unknown>): Promise<GrammyError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof GrammyError) return error;
		throw error;
	}
	throw new Error('the call was expected to be refused');
}

function newBot(telegram: TelegramStandIn): Bot {
	return new Bot(telegram.token, { client: { apiRoot: telegram.apiRoot } });
}

describe('Telegram stand-in, at the wire', () => {
	let telegram: TelegramStandIn;

	beforeEach(async () => {
		telegram = await startTelegramStandIn();
	});

	afterEach(async () => {
		await telegram.close();
	});

	it('answers an unknown token 401 and an unknown method 404 in the Bot API error shape', async () => {
		const wrongToken = '7000000001:AAwrongwrongwrongwrongwrongwrongwro';
		expect(await call(telegram, 'getMe', {}, wrongToken)).toEqual({
			status: 401,
			answer: { ok: false, error_code: 401, description: 'Unauthorized' },
		});
		expect(await call(telegram, 'sendMessageToEveryone')).toEqual({
			status: 404,
			answer: { ok: false, error_code: 404, description: 'Not Found: method not found' },
		});
		const malformed = await fetch(`${telegram.apiRoot}/bot${telegram.token}/sendMessage`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"chat_id": 1, "text": ',
		});
		expect(malformed.status).toBe(400);
		expect(await malformed.json()).toEqual({
			ok: false,
			error_code: 400,
			description: "Bad Request: can't parse JSON object",
		});
		expect(telegram.requestCounts()).toEqual({ sendMessage: 1 });
	});

	it('introduces the sandbox bot and takes method names in any case and form bodies', async () => {
		const { status, answer } = await call(telegram, 'GETME');
		expect(status).toBe(200);
		const byQuery = await fetch(`${telegram.apiRoot}/bot${telegram.token}/getMe`);
		expect(((await byQuery.json()) as BotApiAnswer).result).toEqual(answer.result);
		expect(answer.result).toMatchObject({
			id: 7000000001,
			is_bot: true,
			username: SANDBOX_TELEGRAM.username,
			can_join_groups: true,
		});
		const fan = telegram.createUser({ firstName: 'Ada', started: true });
		const form = await fetch(`${telegram.apiRoot}/bot${telegram.token}/sendMessage`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				chat_id: String(fan.id),
				text: 'hello',
				reply_markup: JSON.stringify({
					inline_keyboard: [[{ text: 'Join', callback_data: 'join' }]],
				}),
			}).toString(),
		});
		expect(form.status).toBe(200);
		expect(telegram.messages(fan.id)).toMatchObject([
			{
				text: 'hello',
				reply_markup: { inline_keyboard: [[{ text: 'Join', callback_data: 'join' }]] },
			},
		]);
		expect(telegram.requestCounts()).toEqual({ getMe: 2, sendMessage: 1 });
	});

	it('refuses messages to unknown chats, to users who never started the bot and to users who blocked it', async () => {
		const stranger = telegram.createUser();
		const fan = telegram.createUser({ started: true });
		telegram.block(fan.id);

		expect(await call(telegram, 'sendMessage', { chat_id: 42, text: 'hi' })).toEqual({
			status: 400,
			answer: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
		});
		expect(await call(telegram, 'sendMessage', { chat_id: stranger.id, text: 'hi' })).toEqual({
			status: 403,
			answer: {
				ok: false,
				error_code: 403,
				description: "Forbidden: bot can't initiate conversation with a user",
			},
		});
		expect(await call(telegram, 'sendMessage', { chat_id: fan.id, text: 'hi' })).toEqual({
			status: 403,
			answer: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
		});
		expect(await call(telegram, 'sendMessage', { chat_id: fan.id })).toMatchObject({ status: 403 });
		expect(telegram.messages(fan.id)).toEqual([]);
		expect(telegram.messages(stranger.id)).toEqual([]);
	});

	it('checks text and keyboards as Telegram does before anything is sent', async () => {
		const fan = telegram.createUser({ started: true });
		const refused = async (params: Record<string, unknown>): Promise<string | undefined> =>
			(await call(telegram, 'sendMessage', { chat_id: fan.id, ...params })).answer.description;

		expect(await refused({ text: '   ' })).toBe('Bad Request: message text is empty');
		expect(await refused({ text: 'x'.repeat(4097) })).toBe('Bad Request: message is too long');
		expect(await refused({ text: 'I <3 you', parse_mode: 'HTML' })).toBe(
			'Bad Request: can\'t parse entities: Unsupported start tag "3" at byte offset 2',
		);
		expect(await refused({ text: '<b>out now', parse_mode: 'HTML' })).toBe(
			'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"',
		);
		expect(await refused({ text: 'Out now.', parse_mode: 'MarkdownV2' })).toBe(
			"Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
		);
		expect(await refused({ text: 'hi', parse_mode: 'BBCode' })).toBe(
			'Bad Request: unsupported parse_mode',
		);
		expect(
			await refused({
				text: 'hi',
				reply_markup: { inline_keyboard: [[{ text: 'Join', callback_data: 'x'.repeat(65) }]] },
			}),
		).toBe('Bad Request: BUTTON_DATA_INVALID');
		expect(telegram.messages(fan.id)).toEqual([]);

		const sent = await call(telegram, 'sendMessage', {
			chat_id: fan.id,
			text: '<b>Out now</b> &amp; forever',
			parse_mode: 'HTML',
		});
		expect(sent.answer.result).toMatchObject({ text: 'Out now & forever' });
	});

	it('opens deep links as the app does, dropping payloads Telegram would not carry', async () => {
		const fan = telegram.createUser();
		const link = (payload: string): string =>
			`https://t.me/${SANDBOX_TELEGRAM.username}?start=${payload}`;
		const ref = 'A'.repeat(42) + '_';
		expect(telegram.openStartLink(fan.id, link(ref))).toMatchObject({
			text: `/start ${ref}`,
			entities: [{ type: 'bot_command', offset: 0, length: 6 }],
		});
		expect(telegram.openStartLink(fan.id, link('abc%2Bdef%3D')).text).toBe('/start');
		expect(telegram.openStartLink(fan.id, link('x'.repeat(65))).text).toBe('/start');
		expect(() => telegram.openStartLink(fan.id, 'https://t.me/some_other_bot?start=abc')).toThrow(
			/not @fanloop_sandbox_bot/,
		);
		expect(() => telegram.openStartLink(fan.id, 'https://example.com/?start=abc')).toThrow(
			/not a Telegram start link/,
		);
		expect(telegram.pendingUpdateCount).toBe(3);
	});

	it('holds updates until an offset confirms them and answers a waiting long poll as soon as one arrives', async () => {
		const fan = telegram.createUser();
		telegram.send(fan.id, 'first');
		const [first] = (await call(telegram, 'getUpdates')).answer.result as Update[];
		expect(first.message?.text).toBe('first');
		// Not confirmed yet: asked again, it comes again.
		expect((await call(telegram, 'getUpdates')).answer.result).toEqual([first]);

		const waiting = call(telegram, 'getUpdates', { offset: first.update_id + 1, timeout: 30 });
		await eventually('the long poll to be waiting', () =>
			telegram.requestCounts().getUpdates === 3 ? true : undefined,
		);
		telegram.send(fan.id, 'second');
		const { answer } = await waiting;
		expect((answer.result as Update[]).map((update) => update.message?.text)).toEqual(['second']);
		expect(telegram.pendingUpdateCount).toBe(1);
	});

	it('terminates an older long poll when a second poller asks, as Telegram does to duplicate bot instances', async () => {
		const older = call(telegram, 'getUpdates', { timeout: 30 });
		await eventually('the first poll to be waiting', () =>
			telegram.requestCounts().getUpdates === 1 ? true : undefined,
		);
		const newer = call(telegram, 'getUpdates', { timeout: 0 });
		expect(await older).toEqual({
			status: 409,
			answer: {
				ok: false,
				error_code: 409,
				description:
					'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
			},
		});
		expect((await newer).answer).toEqual({ ok: true, result: [] });
	});

	it('refuses getUpdates while a webhook is set', async () => {
		await call(telegram, 'setWebhook', { url: 'http://127.0.0.1:9/hook' });
		const { status, answer } = await call(telegram, 'getUpdates');
		expect(status).toBe(409);
		expect(answer.description).toMatch(
			/^Conflict: can't use getUpdates method while webhook is active/,
		);
		expect((await call(telegram, 'deleteWebhook')).answer).toEqual({
			ok: true,
			result: true,
			description: 'Webhook was deleted',
		});
		expect((await call(telegram, 'getUpdates')).status).toBe(200);
	});

	it('leaves chat_member updates out unless the bot asks for them by name', async () => {
		const fan = telegram.createUser();
		const channel = telegram.createChannel({ title: 'Sandbox Sessions insiders' });
		const link = (
			await call(telegram, 'createChatInviteLink', { chat_id: channel.id, name: 'fan-1' })
		).answer.result as { invite_link: string };
		telegram.joinChannel(fan.id, link.invite_link);
		expect((await call(telegram, 'getUpdates')).answer.result).toEqual([]);

		await call(telegram, 'getUpdates', { allowed_updates: ['message', 'chat_member'] });
		telegram.leaveChannel(fan.id, channel.id);
		const [update] = (await call(telegram, 'getUpdates')).answer.result as Update[];
		expect(update.chat_member).toMatchObject({
			chat: { id: channel.id, type: 'channel' },
			old_chat_member: { status: 'member', user: { id: fan.id } },
			new_chat_member: { status: 'left', user: { id: fan.id } },
		});
	});

	it('creates invite links only in channels where the bot is an admin, and lets links run out', async () => {
		const clock = telegram.clock;
		const fan = telegram.createUser();
		const other = telegram.createUser();
		const open = telegram.createChannel({ title: 'Insiders' });
		const closed = telegram.createChannel({ title: 'Not ours', botStatus: 'member' });

		expect(await call(telegram, 'createChatInviteLink', { chat_id: closed.id })).toEqual({
			status: 400,
			answer: {
				ok: false,
				error_code: 400,
				description: 'Bad Request: not enough rights to manage chat invite links',
			},
		});
		const expireDate = Math.floor(clock.now() / 1000) + 3600;
		const { answer } = await call(telegram, 'createChatInviteLink', {
			chat_id: open.id,
			name: 'presave-42',
			member_limit: 1,
			expire_date: expireDate,
		});
		const link = answer.result as { invite_link: string };
		expect(link).toMatchObject({
			invite_link: expect.stringMatching(/^https:\/\/t\.me\/\+[A-Za-z0-9_-]{16}$/),
			name: 'presave-42',
			member_limit: 1,
			expire_date: expireDate,
			creator: { id: 7000000001, is_bot: true },
			is_revoked: false,
		});
		expect(telegram.joinChannel(fan.id, link.invite_link)).toBe('member');
		expect(telegram.memberStatus(open.id, fan.id)).toBe('member');
		expect(() => telegram.joinChannel(other.id, link.invite_link)).toThrow(/member limit/);

		const { answer: second } = await call(telegram, 'createChatInviteLink', {
			chat_id: open.id,
			expire_date: expireDate,
		});
		clock.advance(3600 * 1000);
		expect(() =>
			telegram.joinChannel(other.id, (second.result as { invite_link: string }).invite_link),
		).toThrow(/expired/);
		expect(
			(await call(telegram, 'getChatMember', { chat_id: open.id, user_id: fan.id })).answer.result,
		).toMatchObject({ status: 'member', user: { id: fan.id } });
		expect(
			(await call(telegram, 'getChatMember', { chat_id: open.id, user_id: other.id })).answer
				.result,
		).toMatchObject({ status: 'left' });
		expect(
			(await call(telegram, 'getChatMember', { chat_id: closed.id, user_id: fan.id })).answer
				.description,
		).toBe('Bad Request: member list is inaccessible');
	});

	it('bans a member until unbanned, and unbanning a member removes them', async () => {
		const fan = telegram.createUser();
		const channel = telegram.createChannel({ title: 'Inner circle' });
		const link = (await call(telegram, 'createChatInviteLink', { chat_id: channel.id })).answer
			.result as {
			invite_link: string;
		};
		telegram.joinChannel(fan.id, link.invite_link);

		await call(telegram, 'banChatMember', { chat_id: channel.id, user_id: fan.id });
		expect(telegram.memberStatus(channel.id, fan.id)).toBe('kicked');
		expect(() => telegram.joinChannel(fan.id, link.invite_link)).toThrow(/banned/);
		await call(telegram, 'unbanChatMember', { chat_id: channel.id, user_id: fan.id });
		expect(telegram.joinChannel(fan.id, link.invite_link)).toBe('member');

		await call(telegram, 'unbanChatMember', {
			chat_id: channel.id,
			user_id: fan.id,
			only_if_banned: true,
		});
		expect(telegram.memberStatus(channel.id, fan.id)).toBe('member');
		await call(telegram, 'unbanChatMember', { chat_id: channel.id, user_id: fan.id });
		expect(telegram.memberStatus(channel.id, fan.id)).toBe('left');

		const owner = telegram.channelOwner(channel.id);
		expect(
			(await call(telegram, 'getChatMember', { chat_id: channel.id, user_id: owner.id })).answer
				.result,
		).toMatchObject({ status: 'creator', user: owner });
		expect(
			(await call(telegram, 'banChatMember', { chat_id: channel.id, user_id: owner.id })).answer
				.description,
		).toBe("Bad Request: can't remove chat owner");
	});

	it('posts to a channel only as its admin', async () => {
		const channel = telegram.createChannel({
			title: 'Announcements',
			username: 'sandbox_sessions',
		});
		const { answer } = await call(telegram, 'sendMessage', {
			chat_id: '@sandbox_sessions',
			text: 'Out now',
		});
		expect(answer.result).toMatchObject({
			chat: { id: channel.id, type: 'channel' },
			sender_chat: { id: channel.id },
			text: 'Out now',
		});
		telegram.setBotStatus(channel.id, 'member');
		expect(
			(await call(telegram, 'sendMessage', { chat_id: channel.id, text: 'again' })).answer
				.description,
		).toBe('Bad Request: need administrator rights in the channel chat');
		expect(telegram.messages(channel.id).map((message) => message.text)).toEqual(['Out now']);
	});

	it('edits and deletes only what is there, and answers each button press once', async () => {
		const fan = telegram.createUser();
		telegram.send(fan.id, '/join');
		const sent = (
			await call(telegram, 'sendMessage', {
				chat_id: fan.id,
				text: 'Release updates?',
				reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'join' }]] },
			})
		).answer.result as { message_id: number };
		const edit = (
			params: Record<string, unknown>,
		): Promise<{ status: number; answer: BotApiAnswer }> =>
			call(telegram, 'editMessageText', {
				chat_id: fan.id,
				message_id: sent.message_id,
				...params,
			});

		expect((await edit({ message_id: 999, text: 'x' })).answer.description).toBe(
			'Bad Request: message to edit not found',
		);
		expect((await edit({ message_id: 1, text: 'x' })).answer.description).toBe(
			"Bad Request: message can't be edited",
		);
		expect(
			(
				await edit({
					text: 'Release updates?',
					reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'join' }]] },
				})
			).answer.description,
		).toMatch(/^Bad Request: message is not modified/);
		expect((await edit({ text: 'You are in.' })).answer.result).toMatchObject({
			message_id: sent.message_id,
			text: 'You are in.',
			edit_date: expect.any(Number),
		});
		// The edit without a keyboard took the button away.
		expect(() => telegram.press(fan.id, sent.message_id, 'join')).toThrow(/no inline button/);
		expect(telegram.messages(fan.id)[0].reply_markup).toBeUndefined();

		const offer = (
			await call(telegram, 'sendMessage', {
				chat_id: fan.id,
				text: 'Again?',
				reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'join' }]] },
			})
		).answer.result as { message_id: number };
		const queryId = telegram.press(fan.id, offer.message_id, 'join');
		expect(
			(await call(telegram, 'answerCallbackQuery', { callback_query_id: queryId })).answer,
		).toEqual({
			ok: true,
			result: true,
		});
		expect(
			(await call(telegram, 'answerCallbackQuery', { callback_query_id: queryId })).answer
				.description,
		).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');

		expect(
			(await call(telegram, 'deleteMessage', { chat_id: fan.id, message_id: offer.message_id }))
				.answer,
		).toEqual({ ok: true, result: true });
		expect(
			(await call(telegram, 'deleteMessage', { chat_id: fan.id, message_id: offer.message_id }))
				.answer.description,
		).toBe('Bad Request: message to delete not found');
		telegram.clock.advance(49 * 60 * 60 * 1000);
		expect(
			(await call(telegram, 'deleteMessage', { chat_id: fan.id, message_id: sent.message_id }))
				.answer.description,
		).toBe("Bad Request: message can't be deleted for everyone");
		expect(telegram.messages(fan.id).map((message) => message.text)).toEqual(['You are in.']);
	});

	it('keeps the command menu per scope and language', async () => {
		const commands = [
			{ command: 'join', description: 'Get release updates' },
			{ command: 'stop', description: 'Stop release updates' },
		];
		expect((await call(telegram, 'setMyCommands', { commands })).answer.result).toBe(true);
		await call(telegram, 'setMyCommands', {
			commands: [{ command: 'join', description: 'Recevoir les nouveautés' }],
			language_code: 'fr',
		});
		expect((await call(telegram, 'getMyCommands')).answer.result).toEqual(commands);
		expect((await call(telegram, 'getMyCommands', { language_code: 'fr' })).answer.result).toEqual([
			{ command: 'join', description: 'Recevoir les nouveautés' },
		]);
		expect(
			(
				await call(telegram, 'setMyCommands', {
					commands: [{ command: 'Join!', description: 'x' }],
				})
			).answer.description,
		).toBe('Bad Request: BOT_COMMAND_INVALID');
		await call(telegram, 'deleteMyCommands');
		expect((await call(telegram, 'getMyCommands')).answer.result).toEqual([]);
	});

	it('turns a join-request link into a chat_join_request the bot approves', async () => {
		const fan = telegram.createUser({ firstName: 'Ada' });
		const channel = telegram.createChannel({ title: 'Inner circle' });
		await call(telegram, 'getUpdates', { allowed_updates: ['chat_join_request', 'chat_member'] });
		const link = (
			await call(telegram, 'createChatInviteLink', {
				chat_id: channel.id,
				creates_join_request: true,
			})
		).answer.result as { invite_link: string };

		expect(telegram.joinChannel(fan.id, link.invite_link)).toBe('requested');
		expect(telegram.memberStatus(channel.id, fan.id)).toBe('left');
		expect(telegram.inviteLinks(channel.id)[0].pending_join_request_count).toBe(1);
		const [request] = (await call(telegram, 'getUpdates')).answer.result as Update[];
		expect(request.chat_join_request).toMatchObject({
			chat: { id: channel.id },
			from: { id: fan.id },
			user_chat_id: fan.id,
			invite_link: { invite_link: link.invite_link },
		});

		await call(telegram, 'approveChatJoinRequest', { chat_id: channel.id, user_id: fan.id });
		expect(telegram.memberStatus(channel.id, fan.id)).toBe('member');
		const [joined] = (await call(telegram, 'getUpdates', { offset: request.update_id + 1 })).answer
			.result as Update[];
		expect(joined.chat_member).toMatchObject({
			from: { id: 7000000001 },
			new_chat_member: { status: 'member', user: { id: fan.id } },
			via_join_request: true,
			invite_link: { invite_link: link.invite_link, pending_join_request_count: 0 },
		});
		expect(
			(await call(telegram, 'approveChatJoinRequest', { chat_id: channel.id, user_id: fan.id }))
				.status,
		).toBe(400);
	});

	it('drops pending updates when the bot asks to', async () => {
		const fan = telegram.createUser();
		telegram.send(fan.id, '/start old');
		telegram.send(fan.id, '/join');
		expect(telegram.pendingUpdateCount).toBe(2);
		expect((await call(telegram, 'deleteWebhook', { drop_pending_updates: true })).answer).toEqual({
			ok: true,
			result: true,
			description: 'Webhook is already deleted',
		});
		expect((await call(telegram, 'getUpdates')).answer.result).toEqual([]);
	});

	it('words injected faults as the Bot API does', async () => {
		telegram.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
		expect(await call(telegram, 'getMe')).toEqual({
			status: 429,
			answer: {
				ok: false,
				error_code: 429,
				description: 'Too Many Requests: retry after 7',
				parameters: { retry_after: 7 },
			},
		});
		telegram.faults.set({ serverErrorRate: 1 });
		expect((await call(telegram, 'getMe')).answer).toEqual({
			ok: false,
			error_code: 502,
			description: 'Bad Gateway',
		});
	});
});

describe('Telegram stand-in, driven by grammY', () => {
	let telegram: TelegramStandIn;
	let clock: SandboxClock;

	beforeEach(async () => {
		clock = new SandboxClock();
		telegram = await startTelegramStandIn({
			clock,
			rateLimits: { messagesPerSecond: 5 },
			webhookRetryMs: 50,
		});
	});

	afterEach(async () => {
		await telegram.close();
	});

	/** A small fan bot: /start keeps its payload, /join offers a button, the button answers. */
	function fanBot(seen: { payloads: string[]; presses: string[] }): Bot {
		const bot = newBot(telegram);
		bot.command('start', async (ctx) => {
			seen.payloads.push(ctx.match);
			await ctx.reply('Welcome to the loop.', {
				reply_markup: new InlineKeyboard().text('Release updates', 'join'),
			});
		});
		bot.command('join', (ctx) =>
			ctx.reply('Get release updates here? You can /stop at any time.', {
				reply_markup: new InlineKeyboard().text('Yes, keep me posted', 'join'),
			}),
		);
		bot.callbackQuery('join', async (ctx: Context) => {
			seen.presses.push(String(ctx.from?.id));
			await ctx.answerCallbackQuery({ text: 'You are in.' });
			await ctx.editMessageText('You will get release updates.');
		});
		return bot;
	}

	it('serves a long-polling bot: deep-link payload, /join with a keyboard, a button press', async () => {
		const seen = { payloads: [] as string[], presses: [] as string[] };
		const bot = fanBot(seen);
		let polling: Promise<void> = Promise.resolve();
		// Updates that arrive before the bot starts are dropped (drop_pending_updates), so fans act after.
		await new Promise<void>((resolve) => {
			polling = bot.start({ drop_pending_updates: true, onStart: () => resolve() });
		});
		try {
			const fan = telegram.createUser({ firstName: 'Ada', languageCode: 'en' });
			telegram.send(fan.id, '/start abc');
			await eventually('the welcome', () =>
				telegram.messages(fan.id).length === 1 ? true : undefined,
			);
			expect(seen.payloads).toEqual(['abc']);

			clock.advance(5000);
			telegram.send(fan.id, '/join');
			const offer = await eventually('the /join offer', () =>
				telegram
					.messages(fan.id)
					.find((message) => message.text?.startsWith('Get release updates')),
			);
			expect(offer.reply_markup).toEqual({
				inline_keyboard: [[{ text: 'Yes, keep me posted', callback_data: 'join' }]],
			});

			const queryId = telegram.press(fan.id, offer, 'join');
			await eventually('the answered button', () =>
				telegram.answeredCallbacks().length === 1 ? true : undefined,
			);
			expect(seen.presses).toEqual([String(fan.id)]);
			expect(telegram.answeredCallbacks()).toEqual([
				{
					callbackQueryId: queryId,
					userId: fan.id,
					data: 'join',
					text: 'You are in.',
					showAlert: false,
				},
			]);
			await eventually('the edited offer', () =>
				telegram
					.messages(fan.id)
					.find((message) => message.text === 'You will get release updates.'),
			);
			expect(telegram.requestCounts()).toMatchObject({
				getMe: 1,
				deleteWebhook: 1,
				sendMessage: 2,
			});
		} finally {
			await bot.stop();
			await polling;
		}
	});

	it('serves a bot run by @grammyjs/runner', async () => {
		const seen = { payloads: [] as string[], presses: [] as string[] };
		const bot = fanBot(seen);
		await bot.init();
		const runner: RunnerHandle = run(bot);
		try {
			const fans = [telegram.createUser(), telegram.createUser(), telegram.createUser()];
			for (const fan of fans) telegram.send(fan.id, `/start ref_${fan.id}`);
			await eventually('three welcomes', () => (seen.payloads.length === 3 ? true : undefined));
			expect(seen.payloads.sort()).toEqual(fans.map((fan) => `ref_${fan.id}`).sort());
		} finally {
			await runner.stop();
		}
	});

	it('answers a flood with 429 and retry_after, overall and per chat', async () => {
		const bot = newBot(telegram);
		const fans = Array.from({ length: 6 }, () => telegram.createUser({ started: true }));
		for (const fan of fans.slice(0, 5)) await bot.api.sendMessage(fan.id, 'Out now');
		const overall = await refusal(bot.api.sendMessage(fans[5].id, 'Out now'));
		expect(overall.error_code).toBe(429);
		expect(overall.description).toBe('Too Many Requests: retry after 1');
		expect(overall.parameters.retry_after).toBe(1);

		clock.advance(1000);
		await bot.api.sendMessage(fans[5].id, 'Out now');
		await bot.api.sendMessage(fans[5].id, 'Also this');
		await bot.api.sendMessage(fans[5].id, 'And this');
		const perChat = await refusal(bot.api.sendMessage(fans[5].id, 'One too many'));
		expect(perChat.error_code).toBe(429);
		expect(perChat.parameters.retry_after).toBe(3);
		expect(telegram.messages(fans[5].id).map((message) => message.text)).toEqual([
			'Out now',
			'Also this',
			'And this',
		]);
	});

	it('refuses a blocked fan with 403 and tells the bot it was blocked', async () => {
		const bot = newBot(telegram);
		const fan = telegram.createUser({ started: true });
		telegram.block(fan.id);
		const blocked = await refusal(bot.api.sendMessage(fan.id, 'Out now'));
		expect(blocked.error_code).toBe(403);
		expect(blocked.description).toBe('Forbidden: bot was blocked by the user');

		const [update] = await bot.api.getUpdates();
		expect(update.my_chat_member).toMatchObject({
			chat: { id: fan.id, type: 'private' },
			old_chat_member: { status: 'member' },
			new_chat_member: { status: 'kicked', user: { id: 7000000001 } },
		});
		telegram.unblock(fan.id);
		await bot.api.sendMessage(fan.id, 'Welcome back');
		expect(telegram.messages(fan.id).map((message) => message.text)).toEqual(['Welcome back']);
	});

	describe('webhook mode', () => {
		let server: Server;
		let webhookUrl: string;
		const SECRET = 'fanloop-webhook-secret_1';

		afterEach(async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		});

		async function serve(bot: Bot): Promise<void> {
			await bot.init();
			server = createServer(webhookCallback(bot, 'http', { secretToken: SECRET }));
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			webhookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/telegram`;
		}

		it('delivers updates with the secret header and retries until the webhook accepts them', async () => {
			const seen = { payloads: [] as string[], presses: [] as string[] };
			const bot = fanBot(seen);
			await serve(bot);
			const fan = telegram.createUser();

			// A wrong secret: grammY refuses the delivery, Telegram keeps the update and retries.
			await bot.api.setWebhook(webhookUrl, { secret_token: 'not-the-secret' });
			telegram.send(fan.id, '/start from-webhook');
			const info = await eventually('a refused delivery', async () => {
				const current = await bot.api.getWebhookInfo();
				return current.last_error_message ? current : undefined;
			});
			expect(info).toMatchObject({
				url: webhookUrl,
				pending_update_count: 1,
				last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
			});
			expect(seen.payloads).toEqual([]);

			await bot.api.setWebhook(webhookUrl, { secret_token: SECRET });
			await eventually('the delivered /start', () =>
				seen.payloads.length === 1 ? true : undefined,
			);
			expect(seen.payloads).toEqual(['from-webhook']);
			await eventually('the welcome', () =>
				telegram.messages(fan.id).length === 1 ? true : undefined,
			);
			const attempts = telegram.webhookAttempts();
			expect(attempts.at(-1)).toMatchObject({ status: 200, secretToken: SECRET });
			expect(attempts.filter((attempt) => attempt.status === 401).length).toBeGreaterThan(0);
			expect((await bot.api.getWebhookInfo()).pending_update_count).toBe(0);
		});

		/** A webhook that holds every delivery until `release` is called, counting how many it held at once. */
		async function holdingWebhook(): Promise<{
			held: () => number;
			mostAtOnce: () => number;
			release: () => void;
		}> {
			const waiting: Array<() => void> = [];
			let mostAtOnce = 0;
			let releasing = false;
			server = createServer((request, response) => {
				request.resume();
				const answer = (): void => void response.writeHead(200).end();
				if (releasing) return answer();
				waiting.push(answer);
				mostAtOnce = Math.max(mostAtOnce, waiting.length);
			});
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			webhookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/telegram`;
			return {
				held: () => waiting.length,
				mostAtOnce: () => mostAtOnce,
				release: () => {
					releasing = true;
					for (const answer of waiting.splice(0)) answer();
				},
			};
		}

		it('delivers over as many connections at once as max_connections allows', async () => {
			const webhook = await holdingWebhook();
			const fans = [telegram.createUser(), telegram.createUser(), telegram.createUser()];
			for (const fan of fans) telegram.send(fan.id, '/start');
			await call(telegram, 'setWebhook', { url: webhookUrl, max_connections: 2 });
			await eventually('two deliveries held at once', () =>
				webhook.held() === 2 ? true : undefined,
			);
			expect(telegram.pendingUpdateCount).toBe(3);
			webhook.release();
			await eventually('every update confirmed', () =>
				telegram.pendingUpdateCount === 0 ? true : undefined,
			);
			expect(webhook.mostAtOnce()).toBe(2);
			expect(telegram.webhookAttempts().map((attempt) => attempt.status)).toEqual([200, 200, 200]);
		});

		it('runs the Bot API call a webhook answers with', async () => {
			const bot = new Bot(telegram.token, {
				client: {
					apiRoot: telegram.apiRoot,
					canUseWebhookReply: (method) => method === 'sendMessage',
				},
			});
			bot.command('help', (ctx) => ctx.reply('Try /join.'));
			await serve(bot);
			await bot.api.setWebhook(webhookUrl, { secret_token: SECRET });
			const fan = telegram.createUser();
			telegram.send(fan.id, '/help');
			await eventually('the reply carried in the webhook answer', () =>
				telegram.messages(fan.id).length === 1 ? true : undefined,
			);
			expect(telegram.messages(fan.id)[0].text).toBe('Try /join.');
			// The reply rode on the webhook's answer: the bot itself made no sendMessage call.
			expect(telegram.requestCounts().sendMessage).toBeUndefined();
		});
	});
});
