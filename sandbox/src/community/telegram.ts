import { randomBytes, randomInt } from 'node:crypto';
import type {
	BotCommand,
	CallbackQuery,
	Chat,
	ChatInviteLink,
	ChatMember,
	Message,
	Update,
	User,
	UserFromGetMe,
	WebhookInfo,
} from '@grammyjs/types';
import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import {
	HttpStandIn,
	type FaultAnswers,
	type StandInRequest,
	type StandInResponse,
} from '../core/http-stand-in';
import { RateWindow } from '../core/rate-window';
import {
	ChatLog,
	administrator,
	memberOf,
	type BotStatusInChannel,
	type ChannelState,
	type FanAccount,
	type InviteLinkState,
	type MemberStatus,
} from './telegram-chats';
import {
	TelegramApiError,
	TelegramParams,
	badRequest,
	conflict,
	forbidden,
	tooManyRequests,
} from './telegram-params';
import {
	MAX_MESSAGE_CHARS,
	commandEntities,
	displayedText,
	inlineKeyboardOf,
} from './telegram-text';
import { MAX_UPDATES_PER_CALL, UpdateQueue, type UpdateKind } from './telegram-updates';
import { WebhookDelivery, type WebhookAttempt } from './telegram-webhook';

export type { WebhookAttempt } from './telegram-webhook';
export type { UpdateKind } from './telegram-updates';

const BOT_PATH = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/;
/** Bot API tokens: the bot's id, a colon, 35 characters. */
const TOKEN_PATTERN = /^(\d+):[A-Za-z0-9_-]{35}$/;
/** Bots may delete messages for everyone only within this long. */
const DELETE_WINDOW_MS = 48 * 60 * 60 * 1000;
const MAX_LONG_POLL_SECONDS = 50;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

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

const DEFAULT_RATE_LIMITS: TelegramRateLimits = {
	messagesPerSecond: 30,
	perChatMessagesPerSecond: 1,
	perChatBurst: 3,
	groupMessagesPerMinute: 20,
};

export interface TelegramStandInOptions {
	/** The one token this Bot API answers to (default: `SANDBOX_TELEGRAM.token`). */
	token?: string;
	username?: string;
	firstName?: string;
	clock?: SandboxClock;
	rateLimits?: Partial<TelegramRateLimits>;
	/** Wait before a refused webhook delivery is tried again (default 1000). */
	webhookRetryMs?: number;
	/** How long a webhook has to answer (default 10000). */
	webhookTimeoutMs?: number;
}

/** A sandbox-only bot: the token opens nothing but this loopback stand-in. */
export const SANDBOX_TELEGRAM = {
	token: '7000000001:AAFanloopSandboxBotToken00000000001',
	username: 'fanloop_sandbox_bot',
} as const;

export interface NewTelegramUser {
	firstName?: string;
	lastName?: string;
	username?: string;
	languageCode?: string;
	/** The user opened the bot before the test began, so the bot may already write to them. */
	started?: boolean;
}

export interface NewTelegramChannel {
	title: string;
	/** Public channels have a username the bot can address as `@username`. */
	username?: string;
	/** Where the bot stands in the channel (default: administrator, as a community bot must). */
	botStatus?: BotStatusInChannel;
}

export interface AnsweredCallback {
	callbackQueryId: string;
	userId: number;
	data?: string;
	text?: string;
	showAlert: boolean;
	url?: string;
}

export type JoinOutcome = 'member' | 'requested';

type MethodResult = unknown;
type Method = (params: TelegramParams) => MethodResult | Promise<MethodResult>;

/** A method answer that carries Telegram's `description` beside the result (setWebhook does). */
class Described {
	constructor(
		readonly result: unknown,
		readonly description: string,
	) {}
}

const TELEGRAM_FAULT_ANSWERS: FaultAnswers = {
	rateLimited: (retryAfterSeconds) => errorResponse(tooManyRequests(retryAfterSeconds)),
	unavailable: () => errorResponse(new TelegramApiError(502, 'Bad Gateway')),
};

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

type Conversation =
	| { kind: 'private'; account: FanAccount; log: ChatLog }
	| { kind: 'channel'; channel: ChannelState; log: ChatLog };

/**
 * The Telegram Bot API for one bot on loopback, as grammY calls it: `POST {apiRoot}/bot<token>/<method>`,
 * answers `{ok, result}` or `{ok:false, error_code, description, parameters?}`. Long polling and
 * webhooks over one update queue, the documented refusals (unstarted and blocked users, missing
 * admin rights, unknown chats), flood limits with `retry_after`, and a test API that plays the
 * fans: they type commands, press inline buttons, block the bot and join channels by invite link.
 */
export class TelegramStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	readonly token: string;
	readonly me: UserFromGetMe;
	private readonly limits: TelegramRateLimits;
	private readonly updates = new UpdateQueue(randomInt(100_000_000, 900_000_000));
	private readonly webhook: WebhookDelivery;
	private readonly methods = new Map<string, { name: string; run: Method }>();
	private readonly counts = new Map<string, number>();
	private readonly accounts = new Map<number, FanAccount>();
	private readonly channels = new Map<number, ChannelState>();
	private readonly logs = new Map<number, ChatLog>();
	private readonly callbacks = new Map<
		string,
		{ query: CallbackQuery; answer?: AnsweredCallback }
	>();
	private readonly commands = new Map<string, BotCommand[]>();
	private readonly sendWindow: RateWindow;
	private readonly chatWindows = new Map<number, RateWindow>();
	private currentPoll: AbortController | undefined;
	private nextUserId = 5_100_000_001;
	private nextChannelId = 1_000_000_001;

	constructor(options: TelegramStandInOptions = {}) {
		this.clock = options.clock ?? new SandboxClock();
		this.token = options.token ?? SANDBOX_TELEGRAM.token;
		const tokenMatch = TOKEN_PATTERN.exec(this.token);
		if (!tokenMatch) throw new Error('a Telegram bot token is "<bot id>:<35 characters>"');
		this.me = {
			id: Number(tokenMatch[1]),
			is_bot: true,
			first_name: options.firstName ?? 'Fanloop Sandbox',
			username: options.username ?? SANDBOX_TELEGRAM.username,
			can_join_groups: true,
			can_read_all_group_messages: false,
			supports_inline_queries: false,
			can_connect_to_business: false,
			has_main_web_app: false,
			has_topics_enabled: false,
			allows_users_to_create_topics: false,
			can_manage_bots: false,
			supports_join_request_queries: false,
		};
		this.limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
		this.sendWindow = new RateWindow(this.limits.messagesPerSecond, 1000);
		this.webhook = new WebhookDelivery(this.updates, {
			clock: this.clock,
			retryMs: options.webhookRetryMs ?? 1000,
			timeoutMs: options.webhookTimeoutMs ?? 10_000,
			runReply: async (method, params) => {
				const known = this.methods.get(method.toLowerCase());
				if (known) await known.run(TelegramParams.of(params));
			},
		});
		this.server = new HttpStandIn(
			'Telegram',
			(request) => this.handle(request),
			this.clock,
			TELEGRAM_FAULT_ANSWERS,
		);
		this.registerMethods();
	}

	async start(port = 0): Promise<string> {
		await this.server.start(port);
		return this.apiRoot;
	}

	/** Ends long polls and webhook deliveries, then the server and every open connection. */
	async close(): Promise<void> {
		this.currentPoll?.abort('closed');
		this.webhook.remove();
		await this.server.stop();
	}

	/** What grammY takes as `client.apiRoot` (as `https://api.telegram.org`). */
	get apiRoot(): string {
		return this.server.url;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	// ——— Test API: the fans' side ———

	createUser(profile: NewTelegramUser = {}): User {
		const id = this.nextUserId;
		this.nextUserId += 1;
		const user: User = {
			id,
			is_bot: false,
			first_name: profile.firstName ?? `Fan ${id}`,
			...(profile.lastName ? { last_name: profile.lastName } : {}),
			...(profile.username ? { username: profile.username } : {}),
			...(profile.languageCode ? { language_code: profile.languageCode } : {}),
		};
		const chat: Chat.PrivateChat = {
			id,
			type: 'private',
			first_name: user.first_name,
			...(user.last_name ? { last_name: user.last_name } : {}),
			...(user.username ? { username: user.username } : {}),
		};
		this.accounts.set(id, { user, started: profile.started ?? false, blocked: false, chat });
		this.logs.set(id, new ChatLog());
		return user;
	}

	/**
	 * The fan types `text` to the bot: a `message` update in their private chat, with
	 * `bot_command` entities for commands (`/start <payload>` included). Opens the chat.
	 */
	send(userId: number, text: string): Message {
		const account = this.account(userId);
		if (account.blocked) throw new Error(`user ${userId} blocked the bot; unblock() them first`);
		account.started = true;
		const log = this.logOf(userId);
		const entities = commandEntities(text);
		const message: Message & Update.NonChannel = {
			message_id: log.nextId(),
			from: account.user,
			chat: account.chat,
			date: this.nowSeconds(),
			text,
			...(entities.length > 0 ? { entities } : {}),
		};
		log.add(message, false, this.clock.now());
		this.updates.add('message', message);
		return message;
	}

	/**
	 * The fan presses the inline button carrying `data` under one of the bot's messages in their
	 * chat; returns the callback query's id. Throws when no such button is on screen.
	 */
	press(userId: number, message: Message | number, data: string): string {
		const account = this.account(userId);
		const messageId = typeof message === 'number' ? message : message.message_id;
		const shown = this.logOf(userId).get(messageId);
		if (!shown?.fromBot)
			throw new Error(`message ${messageId} from the bot is not in chat ${userId}`);
		const buttons = shown.message.reply_markup?.inline_keyboard.flat() ?? [];
		if (!buttons.some((button) => 'callback_data' in button && button.callback_data === data)) {
			throw new Error(`message ${messageId} has no inline button with callback_data "${data}"`);
		}
		const query: CallbackQuery = {
			id: `${randomInt(2 ** 47)}${randomInt(1000, 10_000)}`,
			from: account.user,
			message: shown.message,
			chat_instance: this.logOf(userId).instance,
			data,
		};
		this.callbacks.set(query.id, { query });
		this.updates.add('callback_query', query);
		return query.id;
	}

	/** The fan blocks the bot: sends to them fail with 403 and the bot hears `my_chat_member` (kicked). */
	block(userId: number): void {
		const account = this.account(userId);
		if (account.blocked) return;
		account.blocked = true;
		this.announceBotStatus(account.chat, account.user, 'member', 'kicked');
	}

	/** The fan restarts the bot after blocking it. */
	unblock(userId: number): void {
		const account = this.account(userId);
		if (!account.blocked) return;
		account.blocked = false;
		this.announceBotStatus(account.chat, account.user, 'kicked', 'member');
	}

	createChannel(channel: NewTelegramChannel): Chat.ChannelChat {
		const id = -(1_000_000_000_000 + this.nextChannelId);
		this.nextChannelId += 1;
		const chat: Chat.ChannelChat = {
			id,
			type: 'channel',
			title: channel.title,
			...(channel.username ? { username: channel.username } : {}),
		};
		const owner: User = {
			id: this.nextUserId,
			is_bot: false,
			first_name: `${channel.title} owner`,
		};
		this.nextUserId += 1;
		this.channels.set(id, {
			chat,
			owner,
			botStatus: channel.botStatus ?? 'administrator',
			members: new Map([[owner.id, 'creator']]),
			links: [],
			joinRequests: new Map(),
		});
		this.logs.set(id, new ChatLog());
		return chat;
	}

	/** The channel's owner promotes, demotes or removes the bot; the bot hears `my_chat_member`. */
	setBotStatus(chatId: number, status: BotStatusInChannel): void {
		const channel = this.channel(chatId);
		const before = channel.botStatus;
		if (before === status) return;
		channel.botStatus = status;
		this.updates.add('my_chat_member', {
			chat: channel.chat,
			from: channel.owner,
			date: this.nowSeconds(),
			old_chat_member: this.botMember(before),
			new_chat_member: this.botMember(status),
		});
	}

	/**
	 * The fan opens an invite link the bot created. Joining (or asking to, for links that create
	 * join requests) reaches the bot as `chat_member` / `chat_join_request` when it is an admin.
	 * Throws when the link is unknown, revoked, expired or used up, as the app would refuse it.
	 */
	joinChannel(userId: number, inviteLink: string): JoinOutcome {
		const account = this.account(userId);
		const found = [...this.channels.values()]
			.map((channel) => ({
				channel,
				state: channel.links.find((candidate) => candidate.link.invite_link === inviteLink),
			}))
			.find((candidate) => candidate.state !== undefined);
		if (!found?.state) throw new Error(`invite link ${inviteLink} does not exist`);
		const { channel, state } = found;
		const { link } = state;
		if (link.is_revoked) throw new Error(`invite link ${inviteLink} was revoked`);
		if (link.expire_date !== undefined && link.expire_date * 1000 <= this.clock.now()) {
			throw new Error(`invite link ${inviteLink} has expired`);
		}
		if (link.member_limit !== undefined && state.joinedCount >= link.member_limit) {
			throw new Error(`invite link ${inviteLink} reached its member limit`);
		}
		const before = channel.members.get(userId) ?? 'left';
		if (before === 'kicked')
			throw new Error(`user ${userId} is banned from channel ${channel.chat.id}`);
		if (before !== 'left') return 'member';
		if (link.creates_join_request) {
			channel.joinRequests.set(userId, state);
			link.pending_join_request_count = pendingRequests(channel, state);
			if (channel.botStatus === 'administrator') {
				this.updates.add('chat_join_request', {
					chat: channel.chat,
					from: account.user,
					user_chat_id: userId,
					date: this.nowSeconds(),
					invite_link: link,
				});
			}
			return 'requested';
		}
		state.joinedCount += 1;
		this.changeMember(channel, account.user, 'member', { from: account.user, link });
		return 'member';
	}

	/** The fan leaves the channel; an admin bot hears `chat_member` (member → left). */
	leaveChannel(userId: number, chatId: number): void {
		const account = this.account(userId);
		const channel = this.channel(chatId);
		if ((channel.members.get(userId) ?? 'left') !== 'member') return;
		this.changeMember(channel, account.user, 'left', { from: account.user });
	}

	// ——— Test API: reading back what the bot did ———

	/** The bot's messages in a chat (private chat id = user id, or a channel's id), edits applied, deleted ones gone. */
	messages(chatId: number): Message[] {
		return this.logs.get(chatId)?.fromBot() ?? [];
	}

	answeredCallbacks(): AnsweredCallback[] {
		return [...this.callbacks.values()].flatMap((entry) =>
			entry.answer ? [{ ...entry.answer }] : [],
		);
	}

	inviteLinks(chatId: number): ChatInviteLink[] {
		return this.channel(chatId).links.map((state) => ({ ...state.link }));
	}

	channelOwner(chatId: number): User {
		return { ...this.channel(chatId).owner };
	}

	memberStatus(chatId: number, userId: number): MemberStatus {
		return this.channel(chatId).members.get(userId) ?? 'left';
	}

	/** Authorized calls per Bot API method, by the method's documented name. */
	requestCounts(): Record<string, number> {
		return Object.fromEntries(this.counts);
	}

	/** Every POST to the bot's webhook, in order. */
	webhookAttempts(): WebhookAttempt[] {
		return this.webhook.attempts.map((attempt) => ({ ...attempt }));
	}

	get pendingUpdateCount(): number {
		return this.updates.size;
	}

	// ——— The Bot API ———

	private async handle(request: StandInRequest): Promise<StandInResponse> {
		const match = BOT_PATH.exec(request.path);
		if (!match) return errorResponse(new TelegramApiError(404, 'Not Found'));
		if (decodeURIComponent(match[1]) !== this.token) {
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
			getMe: () => this.me,
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
				this.writableConversation(params.chatId());
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
			throw conflict(
				"can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
			);
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
		if (allowed) this.updates.setAllowed(allowed);
		if (offset !== undefined) this.updates.confirm(offset);
		if (this.updates.size === 0 && timeoutSeconds > 0) {
			const poll = new AbortController();
			this.currentPoll = poll;
			await this.updates.nextArrival(poll.signal, timeoutSeconds * 1000);
			if (this.currentPoll === poll) this.currentPoll = undefined;
			if (poll.signal.reason === 'terminated') {
				throw conflict(
					'terminated by other getUpdates request; make sure that only one bot instance is running',
				);
			}
			if (poll.signal.reason === 'webhook') {
				throw conflict(
					"can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
				);
			}
		}
		return this.updates.first(limit);
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
		if (maxConnections < 1 || maxConnections > 100)
			throw badRequest('invalid max_connections specified');
		const allowed = this.allowedUpdatesOf(params);
		if (allowed) this.updates.setAllowed(allowed);
		if (params.optionalBoolean('drop_pending_updates')) this.updates.clear();
		const unchanged =
			this.webhook.current?.url === url && this.webhook.current.secretToken === secretToken;
		this.currentPoll?.abort('webhook');
		this.webhook.set({ url, secretToken, maxConnections });
		return new Described(true, unchanged ? 'Webhook is already set' : 'Webhook was set');
	}

	private deleteWebhook(params: TelegramParams): Described {
		const wasSet = this.webhook.current !== undefined;
		this.webhook.remove();
		if (params.optionalBoolean('drop_pending_updates')) this.updates.clear();
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
		const conversation = this.writableConversation(params.chatId());
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
			...(conversation.kind === 'private' ? { from: this.me } : { sender_chat: chat }),
			chat,
			date: this.nowSeconds(),
			text,
			...(keyboard ? { reply_markup: keyboard } : {}),
		};
		conversation.log.add(message, true, this.clock.now());
		return message;
	}

	private editMessage(params: TelegramParams, withText: boolean): Message {
		const conversation = this.writableConversation(params.chatId());
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
			edit_date: this.nowSeconds(),
			...(keyboard ? { reply_markup: keyboard } : {}),
		};
		conversation.log.replace(edited);
		return edited;
	}

	private deleteMessage(params: TelegramParams): true {
		const conversation = this.conversation(params.chatId());
		const messageId = params.integer('message_id');
		const shown = conversation.log.get(messageId);
		if (!shown) throw badRequest('message to delete not found');
		if (this.clock.now() - shown.sentAtMs > DELETE_WINDOW_MS) {
			throw badRequest("message can't be deleted for everyone");
		}
		conversation.log.delete(messageId);
		return true;
	}

	private answerCallbackQuery(params: TelegramParams): true {
		const id = params.string('callback_query_id');
		const entry = this.callbacks.get(id);
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
		const channel = this.managedChannel(params.chatId());
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
			creator: this.me,
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
		const channel = this.managedChannel(params.chatId());
		const inviteLink = params.string('invite_link');
		const state = channel.links.find((candidate) => candidate.link.invite_link === inviteLink);
		if (!state) throw badRequest('INVITE_HASH_EXPIRED');
		state.link.is_revoked = true;
		return { ...state.link };
	}

	private settleJoinRequest(params: TelegramParams, approve: boolean): true {
		const channel = this.managedChannel(params.chatId());
		const userId = params.integer('user_id');
		const state = channel.joinRequests.get(userId);
		if (!state) throw badRequest('HIDE_REQUESTER_MISSING');
		channel.joinRequests.delete(userId);
		state.link.pending_join_request_count = pendingRequests(channel, state);
		if (approve) {
			this.changeMember(channel, this.account(userId).user, 'member', {
				from: this.me,
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
		const conversation = this.conversation(params.chatId());
		if (conversation.kind !== 'channel' || conversation.channel.botStatus !== 'administrator') {
			throw badRequest(`not enough rights to ${ban ? 'restrict' : 'unrestrict'} chat member`);
		}
		const { channel } = conversation;
		const user = this.userIn(channel, params.integer('user_id'));
		const status = channel.members.get(user.id) ?? 'left';
		if (status === 'creator') throw badRequest("can't remove chat owner");
		if (user.id === this.me.id) throw badRequest("can't restrict self");
		if (ban) {
			if (status !== 'kicked') this.changeMember(channel, user, 'kicked', { from: this.me });
		} else if (
			status === 'kicked' ||
			(status === 'member' && !params.optionalBoolean('only_if_banned'))
		) {
			this.changeMember(channel, user, 'left', { from: this.me });
		}
		return true;
	}

	private getChatMember(params: TelegramParams): ChatMember {
		const conversation = this.conversation(params.chatId());
		const userId = params.integer('user_id');
		if (userId === this.me.id) {
			return conversation.kind === 'private'
				? memberOf(this.me, 'member')
				: this.botMember(conversation.channel.botStatus);
		}
		if (conversation.kind === 'private') {
			if (conversation.account.user.id !== userId) throw badRequest('user not found');
			return memberOf(conversation.account.user, 'member');
		}
		if (conversation.channel.botStatus !== 'administrator') {
			throw badRequest('member list is inaccessible');
		}
		const user = this.userIn(conversation.channel, userId);
		return memberOf(user, conversation.channel.members.get(userId) ?? 'left');
	}

	private setMyCommands(params: TelegramParams): true {
		const commands = params.optionalJson('commands');
		if (!Array.isArray(commands) || commands.length > 100)
			throw badRequest('commands must be an Array of up to 100 BotCommand');
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

	// ——— Chats, rights and limits ———

	private conversation(chatId: number | string): Conversation {
		if (typeof chatId === 'string') {
			const channel = [...this.channels.values()].find(
				(candidate) =>
					candidate.chat.username !== undefined && `@${candidate.chat.username}` === chatId,
			);
			if (!channel) throw badRequest('chat not found');
			return { kind: 'channel', channel, log: this.logOf(channel.chat.id) };
		}
		const account = this.accounts.get(chatId);
		if (account) return { kind: 'private', account, log: this.logOf(chatId) };
		const channel = this.channels.get(chatId);
		if (channel && channel.botStatus !== 'left')
			return { kind: 'channel', channel, log: this.logOf(chatId) };
		throw badRequest('chat not found');
	}

	/** A chat the bot may write into now, or the refusal Telegram gives. */
	private writableConversation(chatId: number | string): Conversation {
		const conversation = this.conversation(chatId);
		if (conversation.kind === 'private') {
			if (conversation.account.blocked) throw forbidden('bot was blocked by the user');
			if (!conversation.account.started)
				throw forbidden("bot can't initiate conversation with a user");
		} else if (conversation.channel.botStatus !== 'administrator') {
			throw badRequest('need administrator rights in the channel chat');
		}
		return conversation;
	}

	private managedChannel(chatId: number | string): ChannelState {
		const conversation = this.conversation(chatId);
		if (conversation.kind !== 'channel' || conversation.channel.botStatus !== 'administrator') {
			throw badRequest('not enough rights to manage chat invite links');
		}
		return conversation.channel;
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
		const nowMs = this.clock.now();
		// Both budgets are checked before either is spent, so a refused message costs neither.
		const waitMs = Math.max(window.waitMs(nowMs), this.sendWindow.waitMs(nowMs));
		if (waitMs > 0) throw tooManyRequests(Math.max(1, Math.ceil(waitMs / 1000)));
		window.take(nowMs);
		this.sendWindow.take(nowMs);
	}

	/** Moves a user in a channel; an admin bot hears it as `chat_member`, with who did it and through which link. */
	private changeMember(
		channel: ChannelState,
		user: User,
		status: MemberStatus,
		cause: { from: User; link?: ChatInviteLink; viaJoinRequest?: boolean },
	): void {
		const before = channel.members.get(user.id) ?? 'left';
		channel.members.set(user.id, status);
		if (channel.botStatus !== 'administrator') return;
		this.updates.add('chat_member', {
			chat: channel.chat,
			from: cause.from,
			date: this.nowSeconds(),
			old_chat_member: memberOf(user, before),
			new_chat_member: memberOf(user, status),
			...(cause.link ? { invite_link: { ...cause.link } } : {}),
			...(cause.viaJoinRequest ? { via_join_request: true } : {}),
		});
	}

	/** A user the channel can name: a sandbox fan or the channel's owner. */
	private userIn(channel: ChannelState, userId: number): User {
		if (userId === channel.owner.id) return channel.owner;
		const account = this.accounts.get(userId);
		if (!account) throw badRequest('user not found');
		return account.user;
	}

	private announceBotStatus(
		chat: Chat.PrivateChat,
		from: User,
		before: MemberStatus,
		after: MemberStatus,
	): void {
		this.updates.add('my_chat_member', {
			chat,
			from,
			date: this.nowSeconds(),
			old_chat_member: memberOf(this.me, before),
			new_chat_member: memberOf(this.me, after),
		});
	}

	private botMember(status: BotStatusInChannel): ChatMember {
		return status === 'administrator' ? administrator(this.me) : memberOf(this.me, status);
	}

	private account(userId: number): FanAccount {
		const account = this.accounts.get(userId);
		if (!account) throw new Error(`no sandbox Telegram user ${userId}; createUser() first`);
		return account;
	}

	private channel(chatId: number): ChannelState {
		const channel = this.channels.get(chatId);
		if (!channel) throw new Error(`no sandbox Telegram channel ${chatId}; createChannel() first`);
		return channel;
	}

	private logOf(chatId: number): ChatLog {
		const log = this.logs.get(chatId);
		if (!log) throw new Error(`no chat ${chatId}`);
		return log;
	}

	private nowSeconds(): number {
		return Math.floor(this.clock.now() / 1000);
	}
}

function pendingRequests(channel: ChannelState, link: InviteLinkState): number {
	return [...channel.joinRequests.values()].filter((state) => state === link).length;
}

/** A Bot API stand-in listening on 127.0.0.1 (a free port unless `port` is given). */
export async function startTelegramStandIn(
	options: TelegramStandInOptions & { port?: number } = {},
): Promise<TelegramStandIn> {
	const standIn = new TelegramStandIn(options);
	await standIn.start(options.port);
	return standIn;
}
