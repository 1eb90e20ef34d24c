import { randomBytes } from 'node:crypto';
import type {
	BotCommand,
	ChatInviteLink,
	ChatMember,
	Message,
	Update,
	WebhookInfo,
} from '@grammyjs/types';
import type { FaultAnswers, StandInRequest, StandInResponse } from '../core/http-stand-in';
import { RateWindow } from '../core/rate-window';
import { memberOf } from './telegram-chats';
import {
	TelegramApiError,
	TelegramParams,
	badRequest,
	conflict,
	tooManyRequests,
} from './telegram-params';
import { MAX_MESSAGE_CHARS, displayedText, inlineKeyboardOf } from './telegram-text';
import { MAX_UPDATES_PER_CALL, type UpdateKind } from './telegram-updates';
import { WebhookDelivery, type WebhookAttempt } from './telegram-webhook';
import type { Conversation, TelegramWorld } from './telegram-world';

const BOT_PATH = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/;
/** Bots may delete messages for everyone only within this long. */
const DELETE_WINDOW_MS = 48 * 60 * 60 * 1000;
const MAX_LONG_POLL_SECONDS = 50;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const WEBHOOK_ACTIVE =
	"can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

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

export interface TelegramBotApiOptions {
	/** The one token this Bot API answers to. */
	token: string;
	limits: TelegramRateLimits;
	webhookRetryMs: number;
	webhookTimeoutMs: number;
}

type Method = (params: TelegramParams) => unknown;

/** A method answer that carries Telegram's `description` beside the result (setWebhook does). */
class Described {
	constructor(
		readonly result: unknown,
		readonly description: string,
	) {}
}

function errorResponse(error: TelegramApiError): StandInResponse {
	return {
		status: error.errorCode,
		body: {
			ok: false,
			error_code: error.errorCode,
			description: error.description,
			...(error.parameters ? { parameters: error.parameters } : {}),
		},
	};
}

/** Injected faults in the Bot API's own words, since grammY parses every answer's body. */
export const TELEGRAM_FAULT_ANSWERS: FaultAnswers = {
	rateLimited: (retryAfterSeconds) => errorResponse(tooManyRequests(retryAfterSeconds)),
	unavailable: () => errorResponse(new TelegramApiError(502, 'Bad Gateway')),
};

/**
 * The bot's side of Telegram: each Bot API method with its documented checks and refusals,
 * long polling and webhook delivery over the world's update queue, and the flood limits.
 */
export class TelegramBotApi {
	private readonly methods = new Map<string, { name: string; run: Method }>();
	private readonly counts = new Map<string, number>();
	private readonly commands = new Map<string, BotCommand[]>();
	private readonly webhook: WebhookDelivery;
	private readonly sendWindow: RateWindow;
	private readonly chatWindows = new Map<number, RateWindow>();
	private currentPoll: AbortController | undefined;

	constructor(
		private readonly world: TelegramWorld,
		private readonly options: TelegramBotApiOptions,
	) {
		this.sendWindow = new RateWindow(options.limits.messagesPerSecond, 1000);
		this.webhook = new WebhookDelivery(world.updates, {
			clock: world.clock,
			retryMs: options.webhookRetryMs,
			timeoutMs: options.webhookTimeoutMs,
			runReply: async (method, params) => {
				const known = this.methods.get(method.toLowerCase());
				if (known) await known.run(TelegramParams.of(params));
			},
		});
		this.registerMethods();
	}

	/** Authorized calls per Bot API method, by the method's documented name. */
	requestCounts(): Record<string, number> {
		return Object.fromEntries(this.counts);
	}

	/** Every POST to the bot's webhook, in order. */
	webhookAttempts(): WebhookAttempt[] {
		return this.webhook.attempts.map((attempt) => ({ ...attempt }));
	}

	/** Ends a waiting long poll and stops webhook deliveries. */
	close(): void {
		this.currentPoll?.abort('closed');
		this.webhook.remove();
	}

	/** One Bot API call: the token, the method (named in any case), its parameters, then its answer or refusal. */
	async handle(request: StandInRequest): Promise<StandInResponse> {
		const match = BOT_PATH.exec(request.path);
		if (!match) return errorResponse(new TelegramApiError(404, 'Not Found'));
		if (decodeURIComponent(match[1]) !== this.options.token) {
			return errorResponse(new TelegramApiError(401, 'Unauthorized'));
		}
		const method = this.methods.get(match[2].toLowerCase());
		if (!method) return errorResponse(new TelegramApiError(404, 'Not Found: method not found'));
		this.counts.set(method.name, (this.counts.get(method.name) ?? 0) + 1);
		try {
			const answer = await method.run(TelegramParams.from(request));
			return answer instanceof Described
				? {
						status: 200,
						body: { ok: true, result: answer.result, description: answer.description },
					}
				: { status: 200, body: { ok: true, result: answer } };
		} catch (error) {
			if (error instanceof TelegramApiError) return errorResponse(error);
			throw error;
		}
	}

	private registerMethods(): void {
		const methods: Record<string, Method> = {
			getMe: () => this.world.me,
			getUpdates: (params) => this.getUpdates(params),
			setWebhook: (params) => this.setWebhook(params),
			deleteWebhook: (params) => this.deleteWebhook(params),
			getWebhookInfo: (): WebhookInfo => this.webhook.info(),
			sendMessage: (params) => this.sendMessage(params),
			editMessageText: (params) => this.editMessage(params, true),
			editMessageReplyMarkup: (params) => this.editMessage(params, false),
			deleteMessage: (params) => this.deleteMessage(params),
			answerCallbackQuery: (params) => this.answerCallbackQuery(params),
			sendChatAction: (params) => {
				this.world.writableConversation(params.chatId());
				return true;
			},
			createChatInviteLink: (params) => this.createChatInviteLink(params),
			revokeChatInviteLink: (params) => this.revokeChatInviteLink(params),
			approveChatJoinRequest: (params) => this.settleJoinRequest(params, true),
			declineChatJoinRequest: (params) => this.settleJoinRequest(params, false),
			banChatMember: (params) => this.restrictMember(params, true),
			unbanChatMember: (params) => this.restrictMember(params, false),
			getChatMember: (params) => this.getChatMember(params),
			setMyCommands: (params) => this.setMyCommands(params),
			getMyCommands: (params) => this.commands.get(this.commandsKey(params)) ?? [],
			deleteMyCommands: (params) => {
				this.commands.delete(this.commandsKey(params));
				return true;
			},
		};
		for (const [name, run] of Object.entries(methods)) {
			// Bot API method names are case-insensitive.
			this.methods.set(name.toLowerCase(), { name, run });
		}
	}

	private async getUpdates(params: TelegramParams): Promise<Update[]> {
		if (this.webhook.current) {
			throw conflict(WEBHOOK_ACTIVE);
		}
		const offset = params.optionalInteger('offset');
		const limit = Math.min(
			Math.max(params.optionalInteger('limit') ?? MAX_UPDATES_PER_CALL, 1),
			MAX_UPDATES_PER_CALL,
		);
		const timeoutSeconds = Math.min(
			Math.max(params.optionalInteger('timeout') ?? 0, 0),
			MAX_LONG_POLL_SECONDS,
		);
		const allowed = this.allowedUpdatesOf(params);
		// Telegram ends an earlier long poll when a newer one arrives: two pollers are a deployment bug.
		this.currentPoll?.abort('terminated');
		if (allowed) this.world.updates.setAllowed(allowed);
		if (offset !== undefined) this.world.updates.confirm(offset);
		if (this.world.updates.size === 0 && timeoutSeconds > 0) {
			const poll = new AbortController();
			this.currentPoll = poll;
			await this.world.updates.nextArrival(poll.signal, timeoutSeconds * 1000);
			if (this.currentPoll === poll) this.currentPoll = undefined;
			if (poll.signal.reason === 'terminated') {
				throw conflict(
					'terminated by other getUpdates request; make sure that only one bot instance is running',
				);
			}
			if (poll.signal.reason === 'webhook') {
				throw conflict(WEBHOOK_ACTIVE);
			}
		}
		return this.world.updates.first(limit);
	}

	private setWebhook(params: TelegramParams): Described {
		const url = params.optionalString('url') ?? '';
		if (url === '') return this.deleteWebhook(params);
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
		}
		// Telegram insists on HTTPS; on loopback the sandbox lets plain HTTP through.
		if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
			throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
		}
		const secretToken = params.optionalString('secret_token');
		if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) {
			throw badRequest('secret token contains unallowed characters');
		}
		const maxConnections = params.optionalInteger('max_connections') ?? 40;
		if (maxConnections < 1 || maxConnections > 100) {
			throw badRequest('invalid max_connections specified');
		}
		const allowed = this.allowedUpdatesOf(params);
		if (allowed) this.world.updates.setAllowed(allowed);
		if (params.optionalBoolean('drop_pending_updates')) this.world.updates.clear();
		const unchanged =
			this.webhook.current?.url === url && this.webhook.current.secretToken === secretToken;
		this.currentPoll?.abort('webhook');
		this.webhook.set({ url, secretToken, maxConnections });
		return new Described(true, unchanged ? 'Webhook is already set' : 'Webhook was set');
	}

	private deleteWebhook(params: TelegramParams): Described {
		const wasSet = this.webhook.current !== undefined;
		this.webhook.remove();
		if (params.optionalBoolean('drop_pending_updates')) this.world.updates.clear();
		return new Described(true, wasSet ? 'Webhook was deleted' : 'Webhook is already deleted');
	}

	private allowedUpdatesOf(params: TelegramParams): UpdateKind[] | undefined {
		const allowed = params.optionalJson('allowed_updates');
		if (allowed === undefined) return undefined;
		if (!Array.isArray(allowed) || allowed.some((kind) => typeof kind !== 'string')) {
			throw badRequest('allowed_updates must be an Array of String');
		}
		return allowed as UpdateKind[];
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

	private createChatInviteLink(params: TelegramParams): ChatInviteLink {
		const channel = this.world.managedChannel(params.chatId());
		const name = params.optionalString('name');
		if (name !== undefined && name.length > 32) throw badRequest('invite link name is too long');
		const expireDate = params.optionalInteger('expire_date');
		const memberLimit = params.optionalInteger('member_limit');
		if (memberLimit !== undefined && (memberLimit < 1 || memberLimit > 99_999)) {
			throw badRequest('member_limit must be between 1 and 99999');
		}
		const createsJoinRequest = params.optionalBoolean('creates_join_request') ?? false;
		if (createsJoinRequest && memberLimit !== undefined) {
			throw badRequest("can't combine member_limit with creates_join_request");
		}
		const link: ChatInviteLink = {
			invite_link: `https://t.me/+${randomBytes(12).toString('base64url')}`,
			creator: this.world.me,
			creates_join_request: createsJoinRequest,
			is_primary: false,
			is_revoked: false,
			...(name !== undefined ? { name } : {}),
			...(expireDate !== undefined ? { expire_date: expireDate } : {}),
			...(memberLimit !== undefined ? { member_limit: memberLimit } : {}),
			...(createsJoinRequest ? { pending_join_request_count: 0 } : {}),
		};
		channel.links.push({ link, joinedCount: 0 });
		return { ...link };
	}

	private revokeChatInviteLink(params: TelegramParams): ChatInviteLink {
		const channel = this.world.managedChannel(params.chatId());
		const inviteLink = params.string('invite_link');
		const state = channel.links.find((candidate) => candidate.link.invite_link === inviteLink);
		if (!state) throw badRequest('INVITE_HASH_EXPIRED');
		state.link.is_revoked = true;
		return { ...state.link };
	}

	private settleJoinRequest(params: TelegramParams, approve: boolean): true {
		const channel = this.world.managedChannel(params.chatId());
		const userId = params.integer('user_id');
		const state = channel.joinRequests.get(userId);
		if (!state) throw badRequest('HIDE_REQUESTER_MISSING');
		channel.joinRequests.delete(userId);
		state.link.pending_join_request_count = this.world.pendingRequests(channel, state);
		if (approve) {
			this.world.changeMember(channel, this.world.account(userId).user, 'member', {
				from: this.world.me,
				link: state.link,
				viaJoinRequest: true,
			});
		}
		return true;
	}

	/**
	 * Removes a member (status `kicked`) until unbanned; unbanning lets them join again and, as the
	 * Bot API documents, also removes a current member unless `only_if_banned` is set.
	 */
	private restrictMember(params: TelegramParams, ban: boolean): true {
		const conversation = this.world.conversation(params.chatId());
		if (conversation.kind !== 'channel' || conversation.channel.botStatus !== 'administrator') {
			throw badRequest(`not enough rights to ${ban ? 'restrict' : 'unrestrict'} chat member`);
		}
		const { channel } = conversation;
		const user = this.world.userIn(channel, params.integer('user_id'));
		const status = channel.members.get(user.id) ?? 'left';
		if (status === 'creator') throw badRequest("can't remove chat owner");
		if (user.id === this.world.me.id) throw badRequest("can't restrict self");
		if (ban) {
			if (status !== 'kicked') {
				this.world.changeMember(channel, user, 'kicked', { from: this.world.me });
			}
		} else if (
			status === 'kicked' ||
			(status === 'member' && !params.optionalBoolean('only_if_banned'))
		) {
			this.world.changeMember(channel, user, 'left', { from: this.world.me });
		}
		return true;
	}

	private getChatMember(params: TelegramParams): ChatMember {
		const conversation = this.world.conversation(params.chatId());
		const userId = params.integer('user_id');
		if (userId === this.world.me.id) {
			return this.world.botMember(
				conversation.kind === 'private'
					? conversation.account.blocked
						? 'kicked'
						: 'member'
					: conversation.channel.botStatus,
			);
		}
		if (conversation.kind === 'private') {
			if (conversation.account.user.id !== userId) throw badRequest('user not found');
			return memberOf(conversation.account.user, 'member');
		}
		if (conversation.channel.botStatus !== 'administrator') {
			throw badRequest('member list is inaccessible');
		}
		const user = this.world.userIn(conversation.channel, userId);
		return memberOf(user, conversation.channel.members.get(userId) ?? 'left');
	}

	private setMyCommands(params: TelegramParams): true {
		const commands = params.optionalJson('commands');
		if (!Array.isArray(commands) || commands.length > 100) {
			throw badRequest('commands must be an Array of up to 100 BotCommand');
		}
		for (const command of commands as Array<Partial<BotCommand>>) {
			if (typeof command?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command.command)) {
				throw badRequest('BOT_COMMAND_INVALID');
			}
			if (
				typeof command.description !== 'string' ||
				command.description.length < 1 ||
				command.description.length > 256
			) {
				throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
			}
		}
		this.commands.set(
			this.commandsKey(params),
			(commands as BotCommand[]).map(({ command, description }) => ({ command, description })),
		);
		return true;
	}

	/** Commands are kept per scope and language, as the Bot API keeps them. */
	private commandsKey(params: TelegramParams): string {
		const scope = params.optionalJson('scope') ?? { type: 'default' };
		return JSON.stringify([scope, params.optionalString('language_code') ?? '']);
	}

	private takeSendBudget(conversation: Conversation): void {
		const chatId =
			conversation.kind === 'private' ? conversation.account.user.id : conversation.channel.chat.id;
		let window = this.chatWindows.get(chatId);
		if (!window) {
			window =
				conversation.kind === 'private'
					? new RateWindow(
							this.options.limits.perChatBurst,
							(this.options.limits.perChatBurst * 1000) /
								this.options.limits.perChatMessagesPerSecond,
						)
					: new RateWindow(this.options.limits.groupMessagesPerMinute, 60_000);
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
