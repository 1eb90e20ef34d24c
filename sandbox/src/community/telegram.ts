import type { Chat, ChatInviteLink, Message, User } from '@grammyjs/types';
import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn } from '../core/http-stand-in';
import { DEFAULT_TELEGRAM_RATE_LIMITS, type TelegramRateLimits } from './telegram-api-messages';
import { TELEGRAM_FAULT_ANSWERS, TelegramBotApi } from './telegram-bot-api';
import type { BotStatusInChannel, MemberStatus } from './telegram-chats';
import { TelegramFanChannels, type JoinOutcome } from './telegram-fan-channels';
import { TelegramFanChats } from './telegram-fan-chats';
import type { WebhookAttempt } from './telegram-webhook';
import {
	TelegramWorld,
	type AnsweredCallback,
	type NewTelegramChannel,
	type NewTelegramUser,
} from './telegram-world';

export type { TelegramRateLimits } from './telegram-api-messages';
export type { JoinOutcome } from './telegram-fan-channels';
export type { UpdateKind } from './telegram-updates';
export type { WebhookAttempt } from './telegram-webhook';
export type { AnsweredCallback, NewTelegramChannel, NewTelegramUser } from './telegram-world';

/** Bot API tokens: the bot's id, a colon, 35 characters. */
const TOKEN_PATTERN = /^(\d+):[A-Za-z0-9_-]{35}$/;

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
	private readonly fanChats: TelegramFanChats;
	private readonly fanChannels: TelegramFanChannels;

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
		this.fanChats = new TelegramFanChats(this.world);
		this.fanChannels = new TelegramFanChannels(this.world);
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
		return this.fanChats.send(userId, text);
	}

	/**
	 * The fan taps a deep link (`https://t.me/<bot>?start=<payload>`): the app opens the bot and
	 * sends `/start <payload>`. Like the app, it drops a payload outside 1–64 of `A-Za-z0-9_-`
	 * and sends a bare `/start`. Throws for a link to another bot or not a start link at all.
	 */
	openStartLink(userId: number, link: string): Message {
		return this.fanChats.openStartLink(userId, link);
	}

	/**
	 * The fan presses the inline button carrying `data` under one of the bot's messages in their
	 * chat; returns the callback query's id. Throws when no such button is on screen.
	 */
	press(userId: number, message: Message | number, data: string): string {
		return this.fanChats.press(
			userId,
			typeof message === 'number' ? message : message.message_id,
			data,
		);
	}

	/** The fan blocks the bot: sends to them fail with 403 and the bot hears `my_chat_member` (kicked). */
	block(userId: number): void {
		this.fanChats.setBlocked(userId, true);
	}

	/** The fan restarts the bot after blocking it. */
	unblock(userId: number): void {
		this.fanChats.setBlocked(userId, false);
	}

	/** A channel with an owner (see `channelOwner`); the bot is its admin unless `botStatus` says otherwise. */
	createChannel(channel: NewTelegramChannel): Chat.ChannelChat {
		return { ...this.world.addChannel(channel).chat };
	}

	/** The channel's owner promotes, demotes or removes the bot; the bot hears `my_chat_member`. */
	setBotStatus(chatId: number, status: BotStatusInChannel): void {
		this.fanChannels.setBotStatus(chatId, status);
	}

	/**
	 * The fan opens an invite link the bot created. Joining (or asking to, for links that create
	 * join requests) reaches the bot as `chat_member` / `chat_join_request` when it is an admin.
	 * Throws when the link is unknown, revoked, expired or used up, as the app would refuse it.
	 */
	joinChannel(userId: number, inviteLink: string): JoinOutcome {
		return this.fanChannels.join(userId, inviteLink);
	}

	/** The fan leaves the channel; an admin bot hears `chat_member` (member → left). */
	leaveChannel(userId: number, chatId: number): void {
		this.fanChannels.leave(userId, chatId);
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

	/** Long polls a newer getUpdates ended with 409 Conflict: each one means a second poller. */
	get conflictingPolls(): number {
		return this.api.conflictingPolls;
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
