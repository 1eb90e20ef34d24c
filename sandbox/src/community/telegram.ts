import { randomInt } from 'node:crypto';
import type { CallbackQuery, Chat, ChatInviteLink, Message, Update, User } from '@grammyjs/types';
import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn } from '../core/http-stand-in';
import {
	DEFAULT_TELEGRAM_RATE_LIMITS,
	TELEGRAM_FAULT_ANSWERS,
	TelegramBotApi,
	type TelegramRateLimits,
} from './telegram-bot-api';
import type { BotStatusInChannel, MemberStatus } from './telegram-chats';
import { commandEntities } from './telegram-text';
import type { WebhookAttempt } from './telegram-webhook';
import {
	TelegramWorld,
	type AnsweredCallback,
	type NewTelegramChannel,
	type NewTelegramUser,
} from './telegram-world';

export type { TelegramRateLimits } from './telegram-bot-api';
export type { UpdateKind } from './telegram-updates';
export type { WebhookAttempt } from './telegram-webhook';
export type { AnsweredCallback, NewTelegramChannel, NewTelegramUser } from './telegram-world';

/** Bot API tokens: the bot's id, a colon, 35 characters. */
const TOKEN_PATTERN = /^(\d+):[A-Za-z0-9_-]{35}$/;

/** What a deep link's `start` parameter may hold; the app drops anything else. */
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

/** A sandbox-only bot: the token opens nothing but this loopback stand-in. */
export const SANDBOX_TELEGRAM = {
	token: '7000000001:AAFanloopSandboxBotToken00000000001',
	username: 'fanloop_sandbox_bot',
} as const;

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

export type JoinOutcome = 'member' | 'requested';

/**
 * The Telegram Bot API for one bot on loopback, as grammY calls it: `POST {apiRoot}/bot<token>/<method>`,
 * answered `{ok, result}` or `{ok:false, error_code, description, parameters?}`. Long polling and
 * webhooks over one update queue, the documented refusals (unstarted and blocked users, missing
 * admin rights, unknown chats), flood limits with `retry_after`, and a test API that plays the
 * fans: they type commands, press inline buttons, block the bot and join channels by invite link.
 */
export class TelegramStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	readonly token: string;
	private readonly world: TelegramWorld;
	private readonly api: TelegramBotApi;

	constructor(options: TelegramStandInOptions = {}) {
		this.clock = options.clock ?? new SandboxClock();
		this.token = options.token ?? SANDBOX_TELEGRAM.token;
		const tokenMatch = TOKEN_PATTERN.exec(this.token);
		if (!tokenMatch) throw new Error('a Telegram bot token is "<bot id>:<35 characters>"');
		this.world = new TelegramWorld(
			{
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
			},
			this.clock,
		);
		this.api = new TelegramBotApi(this.world, {
			token: this.token,
			limits: { ...DEFAULT_TELEGRAM_RATE_LIMITS, ...options.rateLimits },
			webhookRetryMs: options.webhookRetryMs ?? 1000,
			webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
		});
		this.server = new HttpStandIn(
			'Telegram',
			(request) => this.api.handle(request),
			this.clock,
			TELEGRAM_FAULT_ANSWERS,
		);
	}

	async start(port = 0): Promise<string> {
		await this.server.start(port);
		return this.apiRoot;
	}

	/** Ends long polls and webhook deliveries, then the server and every open connection. */
	async close(): Promise<void> {
		this.api.close();
		await this.server.stop();
	}

	/** What grammY takes as `client.apiRoot` (as `https://api.telegram.org`). */
	get apiRoot(): string {
		return this.server.url;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	/** The bot as getMe describes it. */
	get me(): User {
		return { ...this.world.me };
	}

	// ——— Test API: the fans' side ———

	createUser(profile: NewTelegramUser = {}): User {
		return { ...this.world.addUser(profile).user };
	}

	/**
	 * The fan types `text` to the bot: a `message` update in their private chat, with
	 * `bot_command` entities for commands (`/start <payload>` included). Opens the chat.
	 */
	send(userId: number, text: string): Message {
		const account = this.world.account(userId);
		if (account.blocked) throw new Error(`user ${userId} blocked the bot; unblock() them first`);
		account.started = true;
		const log = this.world.logOf(userId);
		const entities = commandEntities(text);
		const message: Message & Update.NonChannel = {
			message_id: log.nextId(),
			from: account.user,
			chat: account.chat,
			date: this.world.nowSeconds(),
			text,
			...(entities.length > 0 ? { entities } : {}),
		};
		log.add(message, false, this.clock.now());
		this.world.updates.add('message', message);
		return message;
	}

	/**
	 * The fan taps a deep link (`https://t.me/<bot>?start=<payload>`): the app opens the bot and
	 * sends `/start <payload>`. Like the app, it drops a payload outside 1–64 of `A-Za-z0-9_-`
	 * and sends a bare `/start`. Throws for a link to another bot or not a start link at all.
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
		if (botName.toLowerCase() !== this.world.me.username.toLowerCase()) {
			throw new Error(`${link} opens @${botName}, not @${this.world.me.username}`);
		}
		const payload = url.searchParams.get('start') ?? '';
		return this.send(userId, START_PAYLOAD.test(payload) ? `/start ${payload}` : '/start');
	}

	/**
	 * The fan presses the inline button carrying `data` under one of the bot's messages in their
	 * chat; returns the callback query's id. Throws when no such button is on screen.
	 */
	press(userId: number, message: Message | number, data: string): string {
		const account = this.world.account(userId);
		if (account.blocked) throw new Error(`user ${userId} blocked the bot; unblock() them first`);
		const messageId = typeof message === 'number' ? message : message.message_id;
		const log = this.world.logOf(userId);
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
		this.world.callbacks.set(query.id, { query });
		this.world.updates.add('callback_query', query);
		return query.id;
	}

	/** The fan blocks the bot: sends to them fail with 403 and the bot hears `my_chat_member` (kicked). */
	block(userId: number): void {
		const account = this.world.account(userId);
		if (account.blocked) return;
		account.blocked = true;
		this.world.changeBotStatus(
			account.chat,
			account.user,
			this.world.botMember('member'),
			this.world.botMember('kicked'),
		);
	}

	/** The fan restarts the bot after blocking it. */
	unblock(userId: number): void {
		const account = this.world.account(userId);
		if (!account.blocked) return;
		account.blocked = false;
		this.world.changeBotStatus(
			account.chat,
			account.user,
			this.world.botMember('kicked'),
			this.world.botMember('member'),
		);
	}

	/** A channel with an owner (see `channelOwner`); the bot is its admin unless `botStatus` says otherwise. */
	createChannel(channel: NewTelegramChannel): Chat.ChannelChat {
		return { ...this.world.addChannel(channel).chat };
	}

	/** The channel's owner promotes, demotes or removes the bot; the bot hears `my_chat_member`. */
	setBotStatus(chatId: number, status: BotStatusInChannel): void {
		const channel = this.world.channel(chatId);
		const before = channel.botStatus;
		if (before === status) return;
		channel.botStatus = status;
		this.world.changeBotStatus(
			channel.chat,
			channel.owner,
			this.world.botMember(before),
			this.world.botMember(status),
		);
	}

	/**
	 * The fan opens an invite link the bot created. Joining (or asking to, for links that create
	 * join requests) reaches the bot as `chat_member` / `chat_join_request` when it is an admin.
	 * Throws when the link is unknown, revoked, expired or used up, as the app would refuse it.
	 */
	joinChannel(userId: number, inviteLink: string): JoinOutcome {
		const account = this.world.account(userId);
		const found = this.world.findLink(inviteLink);
		if (!found) throw new Error(`invite link ${inviteLink} does not exist`);
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
		if (before === 'kicked') {
			throw new Error(`user ${userId} is banned from channel ${channel.chat.id}`);
		}
		if (before !== 'left') return 'member';
		if (link.creates_join_request) {
			channel.joinRequests.set(userId, state);
			link.pending_join_request_count = this.world.pendingRequests(channel, state);
			if (channel.botStatus === 'administrator') {
				this.world.updates.add('chat_join_request', {
					chat: channel.chat,
					from: account.user,
					user_chat_id: userId,
					date: this.world.nowSeconds(),
					invite_link: { ...link },
				});
			}
			return 'requested';
		}
		state.joinedCount += 1;
		this.world.changeMember(channel, account.user, 'member', { from: account.user, link });
		return 'member';
	}

	/** The fan leaves the channel; an admin bot hears `chat_member` (member → left). */
	leaveChannel(userId: number, chatId: number): void {
		const account = this.world.account(userId);
		const channel = this.world.channel(chatId);
		if ((channel.members.get(userId) ?? 'left') !== 'member') return;
		this.world.changeMember(channel, account.user, 'left', { from: account.user });
	}

	// ——— Test API: reading back what the bot did ———

	/** The bot's messages in a chat (private chat id = user id, or a channel's id), edits applied, deleted ones gone. */
	messages(chatId: number): Message[] {
		return this.world.logOf(chatId).fromBot();
	}

	answeredCallbacks(): AnsweredCallback[] {
		return [...this.world.callbacks.values()].flatMap((entry) =>
			entry.answer ? [{ ...entry.answer }] : [],
		);
	}

	inviteLinks(chatId: number): ChatInviteLink[] {
		return this.world.channel(chatId).links.map((state) => ({ ...state.link }));
	}

	channelOwner(chatId: number): User {
		return { ...this.world.channel(chatId).owner };
	}

	memberStatus(chatId: number, userId: number): MemberStatus {
		return this.world.channel(chatId).members.get(userId) ?? 'left';
	}

	/** Authorized calls per Bot API method, by the method's documented name. */
	requestCounts(): Record<string, number> {
		return this.api.requestCounts();
	}

	/** Every POST to the bot's webhook, in order. */
	webhookAttempts(): WebhookAttempt[] {
		return this.api.webhookAttempts();
	}

	get pendingUpdateCount(): number {
		return this.world.updates.size;
	}
}

/** A Bot API stand-in listening on 127.0.0.1 (a free port unless `port` is given). */
export async function startTelegramStandIn(
	options: TelegramStandInOptions & { port?: number } = {},
): Promise<TelegramStandIn> {
	const standIn = new TelegramStandIn(options);
	await standIn.start(options.port);
	return standIn;
}
