import type { Message } from 'grammy/types';
import { JOINED, ALREADY_JOINED, REFUSALS, STOPPED, BUTTON } from '../../bot/src/telegram/replies';
import type { Logger } from '../../hub/src/core/logger';
import { SANDBOX_TELEGRAM } from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { STORE_KINDS } from '../support/stores';
import { TelegramHub } from './telegram-hub';

function buttonsOf(message: Message): string[] {
	return (message.reply_markup?.inline_keyboard.flat() ?? []).flatMap((button) =>
		'callback_data' in button ? [button.callback_data] : [],
	);
}

describe.each(STORE_KINDS)('the Telegram bot in the hub (%s)', (kind) => {
	let h: TelegramHub;

	afterEach(async () => {
		await h?.close();
	});

	it('links a fan who starts the bot from the pre-save page to that fan, layers the join on the pre-save and tells n8n once each', async () => {
		h = await TelegramHub.start(kind);
		const { fanId, presaveId, campaignId } = await h.presave();

		const link = await h.api.call('POST', '/v1/community/links', {
			platform: 'telegram',
			actionId: presaveId,
		});
		expect(link.status).toBe(200);
		expect(link.body.url).toBe(`https://t.me/fanloop_sandbox_bot?start=${link.body.reference}`);
		const hop = await fetch(`${h.hub.url}/l/telegram/${link.body.reference}`, {
			redirect: 'manual',
		});
		expect(hop.status).toBe(302);
		expect(hop.headers.get('location')).toBe(link.body.url);

		const fan = h.telegram.createUser({ languageCode: 'en' });
		h.telegram.send(fan.id, `/start ${link.body.reference}`);
		expect((await h.reply(fan.id, 1)).text).toContain('Halo');
		const offer = await h.reply(fan.id, 2);
		expect(buttonsOf(offer)).toEqual([BUTTON.join]);

		h.telegram.press(fan.id, offer, BUTTON.join);
		expect((await h.reply(fan.id, 3)).text).toBe(JOINED);

		const owner = await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`);
		expect(owner.body.id).toBe(fanId);
		const exported = (await h.api.call('GET', `/v1/fans/${fanId}/export`)).body;
		const arrival = exported.actions.find((action: { kind: string }) => action.kind === 'click');
		const join = exported.actions.find(
			(action: { kind: string }) => action.kind === 'join_telegram',
		);
		expect(arrival).toMatchObject({
			platform: 'telegram',
			parentActionId: presaveId,
			campaignId,
			verification: 'hard',
		});
		expect(join).toMatchObject({
			platform: 'telegram',
			parentActionId: arrival.id,
			campaignId,
			status: 'done',
		});
		const consent = exported.consents.find(
			(item: { channel: string }) => item.channel === 'telegram',
		);
		expect(consent).toMatchObject({
			purpose: 'release_updates',
			status: 'granted',
			wording: offer.text,
		});

		// The same button again (a double tap, a webhook retry) changes nothing.
		h.telegram.press(fan.id, offer, BUTTON.join);
		expect((await h.reply(fan.id, 4)).text).toBe(ALREADY_JOINED);

		h.telegram.send(fan.id, '/stop');
		expect((await h.reply(fan.id, 5)).text).toBe(STOPPED);
		const status = await h.api.call('GET', `/v1/community/status?fanId=${fanId}`);
		expect(status.body).toEqual({
			fanId,
			telegram: { userId: String(fan.id), releaseUpdates: false },
		});

		const events = await eventually('three community events', () =>
			h.events().length >= 3 ? h.events() : undefined,
		);
		expect(events.map((event) => [event.type, event.data.community?.what])).toEqual([
			['community.joined', 'chat'],
			['community.joined', 'release_updates'],
			['community.left', 'release_updates'],
		]);
		expect(events.every((event) => event.data.fan.id === fanId)).toBe(true);
		expect(events[0].data.action?.parentActionId).toBe(presaveId);
	});

	it('delivers every event once when n8n was down while the fan acted', async () => {
		h = await TelegramHub.start(kind);
		const { presaveId } = await h.presave();
		const reference = (
			await h.api.call('POST', '/v1/community/links', { platform: 'telegram', actionId: presaveId })
		).body.reference;
		h.n8n.status = 503;

		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, `/start ${reference}`);
		h.telegram.press(fan.id, await h.reply(fan.id, 2), BUTTON.join);
		await h.reply(fan.id, 3);
		await eventually('refused deliveries', () => (h.n8n.received.length >= 2 ? true : undefined));

		h.n8n.status = 200;
		h.n8n.received.length = 0;
		const delivered = await eventually('both events after n8n came back', () =>
			h.events().length >= 2 ? h.events() : undefined,
		);
		// A third event proves nothing more was waiting behind the first two.
		h.telegram.send(fan.id, '/stop');
		await eventually('the stop event', () => (h.events().length >= 3 ? true : undefined));
		const ids = h.n8n.received.map((delivery) => JSON.parse(delivery.body).id as string);
		expect(new Set(ids).size).toBe(ids.length);
		expect(
			delivered
				.slice(0, 2)
				.map((event) => event.data.community?.what)
				.sort(),
		).toEqual(['chat', 'release_updates']);
	});
});

describe('the Telegram bot facing hostile input', () => {
	let h: TelegramHub;

	afterEach(async () => {
		await h?.close();
	});

	it('refuses a forged deep-link reference politely and links nothing', async () => {
		h = await TelegramHub.start('sqlite');
		const { presaveId } = await h.presave();
		const reference: string = (
			await h.api.call('POST', '/v1/community/links', { platform: 'telegram', actionId: presaveId })
		).body.reference;
		const forged = `${reference.slice(0, 30)}${reference[30] === 'A' ? 'B' : 'A'}${reference.slice(31)}`;

		const page = await fetch(`${h.hub.url}/l/telegram/${forged}`, { redirect: 'manual' });
		expect(page.status).toBe(400);

		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, `/start ${forged}`);
		expect((await h.reply(fan.id, 1)).text).toBe(REFUSALS.invalid_reference);
		const owner = await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`);
		expect(owner.status).toBe(404);
	});

	it('answers a fan who erased their data without recording anything about them', async () => {
		h = await TelegramHub.start('sqlite');
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, '/start');
		await h.reply(fan.id, 2);
		const fanId = (await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`))
			.body.id;
		expect((await h.api.call('DELETE', `/v1/fans/${fanId}`)).status).toBeLessThan(300);

		h.telegram.send(fan.id, '/join');
		expect((await h.reply(fan.id, 3)).text).toBe(REFUSALS.erased);
		h.telegram.send(fan.id, '/status');
		expect((await h.reply(fan.id, 4)).text).toBe(REFUSALS.erased);
		h.telegram.send(fan.id, '/start again');
		expect((await h.reply(fan.id, 5)).text).toBe(REFUSALS.erased);

		expect(
			(await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${fan.id}`)).status,
		).toBe(404);
		expect((await h.api.call('GET', '/v1/fans?channel=telegram&limit=10')).body.fans).toEqual([]);
	});

	it('answers a flooding fan a few times, then once asks them to slow down, while other fans are served', async () => {
		h = await TelegramHub.start('sqlite', { perUserLimit: { requests: 2, windowMs: 60_000 } });
		const flooder = h.telegram.createUser();
		const neighbour = h.telegram.createUser();
		for (let i = 0; i < 12; i++) h.telegram.send(flooder.id, '/help');
		h.telegram.send(neighbour.id, '/help');

		await h.reply(neighbour.id, 1);
		const answers = await eventually('the flooder’s answers', () =>
			h.telegram.messages(flooder.id).length >= 3 && h.telegram.pendingUpdateCount === 0
				? h.telegram.messages(flooder.id)
				: undefined,
		);
		expect(answers.map((message) => message.text?.split('\n')[0])).toEqual([
			'Here is what I can do:',
			'Here is what I can do:',
			'That is a lot of messages at once. Give me a few seconds, then try again.',
		]);
	});

	it('takes webhook updates only with the secret header', async () => {
		const secretToken = 'webhook-secret-0123456789abcdef';
		h = await TelegramHub.start('sqlite', { updates: { mode: 'webhook', secretToken } });
		const fan = h.telegram.createUser();
		h.telegram.send(fan.id, '/start');
		await h.reply(fan.id, 2);
		expect(h.telegram.webhookAttempts().length).toBeGreaterThan(0);

		const update = {
			update_id: 1,
			message: {
				message_id: 1,
				date: 1_700_000_000,
				chat: { id: 777001, type: 'private', first_name: 'Mallory' },
				from: { id: 777001, is_bot: false, first_name: 'Mallory' },
				text: '/join',
				entities: [{ type: 'bot_command', offset: 0, length: 5 }],
			},
		};
		for (const headers of [{}, { 'x-telegram-bot-api-secret-token': 'not-the-secret-000000000' }]) {
			const response = await fetch(`${h.hub.url}/telegram/webhook`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...headers },
				body: JSON.stringify(update),
			});
			expect(response.status).toBe(401);
		}
		expect(
			(await h.api.call('GET', '/v1/fans/by-identity?channel=telegram&value=777001')).status,
		).toBe(404);
	});

	it('logs failed Bot API calls without the bot token', async () => {
		const lines: string[] = [];
		const capture = (level: string) => (message: string, fields?: Record<string, unknown>) =>
			void lines.push(JSON.stringify({ level, message, ...fields }));
		const logger: Logger = {
			info: capture('info'),
			warn: capture('warn'),
			error: capture('error'),
		};
		h = await TelegramHub.start('sqlite', { logger });
		h.telegram.faults.set({ dropRate: 1 });
		// A fan's message ends the long poll already waiting; every call after it finds the connection dropped.
		h.telegram.send(h.telegram.createUser().id, '/help');

		await eventually('failed calls in the log', () =>
			lines.some((line) => line.includes('getUpdates')) &&
			lines.some((line) => line.includes('update failed'))
				? true
				: undefined,
		);
		h.telegram.faults.clear();
		const secret = SANDBOX_TELEGRAM.token.split(':')[1];
		expect(lines.filter((line) => line.includes(secret))).toEqual([]);
	});
});
