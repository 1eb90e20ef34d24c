import { randomInt } from 'node:crypto';
import type { CallbackQuery, Message, Update } from '@grammyjs/types';
import { commandEntities } from './telegram-text';
import type { TelegramWorld } from './telegram-world';

/** What a deep link's `start` parameter may hold; the app drops anything else. */
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A fan in their private chat with the bot, as the Telegram app acts for them: typing,
 * opening start links, pressing inline buttons, blocking the bot. Each act becomes the
 * update the bot would receive.
 */
export class TelegramFanChats {
	constructor(private readonly world: TelegramWorld) {}

	/** A `message` update, with `bot_command` entities for commands; opens the chat. */
	send(userId: number, text: string): Message {
		const { world } = this;
		const account = world.account(userId);
		if (account.blocked) throw new Error(`user ${userId} blocked the bot; unblock() them first`);
		account.started = true;
		const log = world.logOf(userId);
		const entities = commandEntities(text);
		const message: Message & Update.NonChannel = {
			message_id: log.nextId(),
			from: account.user,
			chat: account.chat,
			date: world.nowSeconds(),
			text,
			...(entities.length > 0 ? { entities } : {}),
		};
		log.add(message, false, world.clock.now());
		world.updates.add('message', message);
		return message;
	}

	/**
	 * `https://t.me/<bot>?start=<payload>` becomes `/start <payload>`, or a bare `/start` when
	 * the payload is outside what the app passes on. Throws for a link to another bot or not a
	 * start link at all.
	 */
	openStartLink(userId: number, link: string): Message {
		let url: URL;
		try {
			url = new URL(link);
		} catch {
			throw new Error(`${link} is not a link`);
		}
		const botName = url.pathname.replace(/^\//, '');
		if (!['t.me', 'telegram.me'].includes(url.hostname) || !url.searchParams.has('start')) {
			throw new Error(`${link} is not a Telegram start link`);
		}
		const { me } = this.world;
		if (botName.toLowerCase() !== me.username.toLowerCase()) {
			throw new Error(`${link} opens @${botName}, not @${me.username}`);
		}
		const payload = url.searchParams.get('start') ?? '';
		return this.send(userId, START_PAYLOAD.test(payload) ? `/start ${payload}` : '/start');
	}

	/** A `callback_query` update for the button carrying `data`; returns the query's id. */
	press(userId: number, messageId: number, data: string): string {
		const { world } = this;
		const account = world.account(userId);
		if (account.blocked) throw new Error(`user ${userId} blocked the bot; unblock() them first`);
		const log = world.logOf(userId);
		const shown = log.get(messageId);
		if (!shown?.fromBot) {
			throw new Error(`message ${messageId} from the bot is not in chat ${userId}`);
		}
		const buttons = shown.message.reply_markup?.inline_keyboard.flat() ?? [];
		if (!buttons.some((button) => 'callback_data' in button && button.callback_data === data)) {
			throw new Error(`message ${messageId} has no inline button with callback_data "${data}"`);
		}
		const query: CallbackQuery = {
			id: `${randomInt(2 ** 47)}${randomInt(1000, 10_000)}`,
			from: account.user,
			message: shown.message,
			chat_instance: log.instance,
			data,
		};
		world.callbacks.set(query.id, { query });
		world.updates.add('callback_query', query);
		return query.id;
	}

	/** Blocking or restarting the bot; the bot hears `my_chat_member` (kicked ↔ member). */
	setBlocked(userId: number, blocked: boolean): void {
		const { world } = this;
		const account = world.account(userId);
		if (account.blocked === blocked) return;
		account.blocked = blocked;
		const [before, after] = blocked
			? (['member', 'kicked'] as const)
			: (['kicked', 'member'] as const);
		world.changeBotStatus(
			account.chat,
			account.user,
			world.botMember(before),
			world.botMember(after),
		);
	}
}
