import type { Message } from '@grammyjs/types';
import { RateWindow } from '../core/rate-window';
import { badRequest, tooManyRequests, type TelegramParams } from './telegram-params';
import type { BotApiMethods } from './telegram-method';
import { MAX_MESSAGE_CHARS, displayedText, inlineKeyboardOf } from './telegram-text';
import type { Conversation, TelegramWorld } from './telegram-world';

/** Bots may delete messages for everyone only within this long. */
const DELETE_WINDOW_MS = 48 * 60 * 60 * 1000;

/**
 * Telegram's flood limits as the stand-in enforces them. Telegram asks bots to keep to about
 * one message per second in a chat but lets short bursts through; `perChatBurst` messages in
 * any `perChatBurst` seconds keeps that average without refusing a greeting plus a keyboard.
 */
export interface TelegramRateLimits {
	/** Messages per second across every chat (Telegram: about 30). */
	messagesPerSecond: number;
	/** Average messages per second one private chat may receive (Telegram: 1). */
	perChatMessagesPerSecond: number;
	perChatBurst: number;
	/** Messages per minute into one group or channel (Telegram: 20). */
	groupMessagesPerMinute: number;
}

export const DEFAULT_TELEGRAM_RATE_LIMITS: TelegramRateLimits = {
	messagesPerSecond: 30,
	perChatMessagesPerSecond: 1,
	perChatBurst: 3,
	groupMessagesPerMinute: 20,
};

/**
 * What the bot says and how fans' button presses are answered: sending within the flood
 * limits, editing, deleting within Telegram's 48 hours, and one answer per callback query.
 */
export class TelegramMessageMethods {
	private readonly sendWindow: RateWindow;
	private readonly chatWindows = new Map<number, RateWindow>();

	constructor(
		private readonly world: TelegramWorld,
		private readonly limits: TelegramRateLimits,
	) {
		this.sendWindow = new RateWindow(limits.messagesPerSecond, 1000);
	}

	methods(): BotApiMethods {
		return {
			sendMessage: (params) => this.sendMessage(params),
			editMessageText: (params) => this.editMessage(params, true),
			editMessageReplyMarkup: (params) => this.editMessage(params, false),
			deleteMessage: (params) => this.deleteMessage(params),
			answerCallbackQuery: (params) => this.answerCallbackQuery(params),
			sendChatAction: (params) => {
				this.world.writableConversation(params.chatId());
				return true;
			},
		};
	}

	private sendMessage(params: TelegramParams): Message {
		const conversation = this.world.writableConversation(params.chatId());
		const text = displayedText(
			params.optionalString('text') ?? '',
			params.optionalString('parse_mode'),
		);
		if (text.trim() === '') throw badRequest('message text is empty');
		if (text.length > MAX_MESSAGE_CHARS) throw badRequest('message is too long');
		const keyboard = inlineKeyboardOf(params.optionalJson('reply_markup'));
		this.takeSendBudget(conversation);
		const chat =
			conversation.kind === 'private' ? conversation.account.chat : conversation.channel.chat;
		const message: Message = {
			message_id: conversation.log.nextId(),
			...(conversation.kind === 'private' ? { from: this.world.me } : { sender_chat: chat }),
			chat,
			date: this.world.nowSeconds(),
			text,
			...(keyboard ? { reply_markup: keyboard } : {}),
		};
		conversation.log.add(message, true, this.world.clock.now());
		return message;
	}

	private editMessage(params: TelegramParams, withText: boolean): Message {
		const conversation = this.world.writableConversation(params.chatId());
		const messageId = params.integer('message_id');
		const shown = conversation.log.get(messageId);
		if (!shown) throw badRequest('message to edit not found');
		if (!shown.fromBot) throw badRequest("message can't be edited");
		const text = withText
			? displayedText(params.optionalString('text') ?? '', params.optionalString('parse_mode'))
			: shown.message.text;
		if (withText && (text ?? '').trim() === '') throw badRequest('message text is empty');
		const keyboard = inlineKeyboardOf(params.optionalJson('reply_markup'));
		if (
			text === shown.message.text &&
			JSON.stringify(keyboard) === JSON.stringify(shown.message.reply_markup)
		) {
			throw badRequest(
				'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
			);
		}
		const { reply_markup: _previousKeyboard, ...rest } = shown.message;
		const edited: Message = {
			...rest,
			text,
			edit_date: this.world.nowSeconds(),
			...(keyboard ? { reply_markup: keyboard } : {}),
		};
		conversation.log.replace(edited);
		return edited;
	}

	private deleteMessage(params: TelegramParams): true {
		const conversation = this.world.conversation(params.chatId());
		const messageId = params.integer('message_id');
		const shown = conversation.log.get(messageId);
		if (!shown) throw badRequest('message to delete not found');
		if (this.world.clock.now() - shown.sentAtMs > DELETE_WINDOW_MS) {
			throw badRequest("message can't be deleted for everyone");
		}
		conversation.log.delete(messageId);
		return true;
	}

	private answerCallbackQuery(params: TelegramParams): true {
		const id = params.string('callback_query_id');
		const entry = this.world.callbacks.get(id);
		if (!entry || entry.answer) {
			throw badRequest('query is too old and response timeout expired or query ID is invalid');
		}
		const text = params.optionalString('text');
		const url = params.optionalString('url');
		entry.answer = {
			callbackQueryId: id,
			userId: entry.query.from.id,
			...(entry.query.data !== undefined ? { data: entry.query.data } : {}),
			...(text !== undefined ? { text } : {}),
			showAlert: params.optionalBoolean('show_alert') ?? false,
			...(url !== undefined ? { url } : {}),
		};
		return true;
	}

	private takeSendBudget(conversation: Conversation): void {
		const chatId =
			conversation.kind === 'private' ? conversation.account.user.id : conversation.channel.chat.id;
		let window = this.chatWindows.get(chatId);
		if (!window) {
			window =
				conversation.kind === 'private'
					? new RateWindow(
							this.limits.perChatBurst,
							(this.limits.perChatBurst * 1000) / this.limits.perChatMessagesPerSecond,
						)
					: new RateWindow(this.limits.groupMessagesPerMinute, 60_000);
			this.chatWindows.set(chatId, window);
		}
		const nowMs = this.world.clock.now();
		// Both budgets are checked before either is spent, so a refused message costs neither.
		const waitMs = Math.max(window.waitMs(nowMs), this.sendWindow.waitMs(nowMs));
		if (waitMs > 0) throw tooManyRequests(Math.max(1, Math.ceil(waitMs / 1000)));
		window.take(nowMs);
		this.sendWindow.take(nowMs);
	}
}
