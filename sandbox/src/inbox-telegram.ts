import type { InlineKeyboardButton, Message } from '@grammyjs/types';
import type { TelegramStandIn } from './community/telegram';
import { escape, time, withLinks } from './inbox-html';

/**
 * The Telegram part of the sandbox inbox: play a fan who opens the bot's deep link from
 * the layers page, types to the bot and presses its buttons, and read what the bot answered.
 */
export class TelegramPanel {
	/** Sandbox fans by the name typed into the inbox. */
	private readonly fans = new Map<string, number>();

	constructor(private readonly telegram: TelegramStandIn) {}

	/** Carries out a posted form; the answer is the notice to show, or undefined when the path is not Telegram's. */
	handle(path: string, form: URLSearchParams): string | undefined {
		const name = (form.get('fan') ?? '').trim() || 'Sam';
		try {
			if (path === '/telegram/open') {
				this.telegram.openStartLink(this.fanId(name), form.get('link') ?? '');
				return `${name} opened the link in Telegram; reload in a moment for the bot's answer.`;
			}
			if (path === '/telegram/send') {
				this.telegram.send(this.fanId(name), form.get('text') ?? '');
				return `${name} wrote to the bot; reload in a moment for its answer.`;
			}
			if (path === '/telegram/press') {
				this.telegram.press(this.fanId(name), Number(form.get('message')), form.get('data') ?? '');
				return `${name} pressed a button; reload in a moment for the bot's answer.`;
			}
		} catch (error) {
			return `Telegram refused: ${(error as Error).message}`;
		}
		return undefined;
	}

	section(): string {
		const chats = [...this.fans]
			.map(([name, userId]) => {
				const messages = [...this.telegram.messages(userId)]
					.reverse()
					.map((message) => this.message(name, message));
				return `<h3>${escape(name)}'s chat with @${escape(this.telegram.me.username ?? 'bot')}</h3><ul>${messages.join('') || '<li>no answer yet</li>'}</ul>`;
			})
			.join('');
		return `<h2>Telegram</h2>
<form method="post" action="/telegram/open"><label>Fan <input name="fan" value="Sam" required></label>
<label>Open a t.me link <input name="link" placeholder="https://t.me/…?start=…" required></label> <button>Open</button></form>
<form method="post" action="/telegram/send"><label>Fan <input name="fan" value="Sam" required></label>
<label>Write to the bot <input name="text" placeholder="/join, /status, /stop…" required></label> <button>Send</button></form>
${chats}`;
	}

	private fanId(name: string): number {
		let userId = this.fans.get(name);
		if (userId === undefined) {
			userId = this.telegram.createUser({ firstName: name }).id;
			this.fans.set(name, userId);
		}
		return userId;
	}

	private message(name: string, message: Message): string {
		const text = 'text' in message && message.text ? message.text : '';
		const keyboard = message.reply_markup?.inline_keyboard.flat() ?? [];
		const buttons = keyboard
			.map((button) => this.button(name, message.message_id, button))
			.join(' ');
		return `<li><small>${time(message.date * 1000)}</small><br>${withLinks(text)}${buttons ? `<br>${buttons}` : ''}</li>`;
	}

	private button(name: string, messageId: number, button: InlineKeyboardButton): string {
		if ('url' in button) return `<a href="${escape(button.url)}">${escape(button.text)}</a>`;
		if ('callback_data' in button) {
			return `<form method="post" action="/telegram/press" style="display:inline"><input type="hidden" name="fan" value="${escape(name)}">
<input type="hidden" name="message" value="${messageId}"><input type="hidden" name="data" value="${escape(button.callback_data)}"><button>${escape(button.text)}</button></form>`;
		}
		return escape(button.text);
	}
}
