import type {
	CallbackQuery,
	Chat,
	ChatInviteLink,
	ChatMember,
	User,
	UserFromGetMe,
} from '@grammyjs/types';
import { randomInt } from 'node:crypto';
import type { SandboxClock } from '../core/clock';
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
import { badRequest, forbidden } from './telegram-params';
import { UpdateQueue } from './telegram-updates';

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

export type Conversation =
	| { kind: 'private'; account: FanAccount; log: ChatLog }
	| { kind: 'channel'; channel: ChannelState; log: ChatLog };

/**
 * Telegram as one bot sees it: its users and channels, what was said in each chat, the bot's
 * pending updates and button presses, and the rules on who may do what. The fans (the test
 * API) and the bot (the Bot API) both act on this one world.
 */
export class TelegramWorld {
	readonly updates = new UpdateQueue(randomInt(100_000_000, 900_000_000));
	readonly callbacks = new Map<string, { query: CallbackQuery; answer?: AnsweredCallback }>();
	private readonly accounts = new Map<number, FanAccount>();
	private readonly channels = new Map<number, ChannelState>();
	private readonly logs = new Map<number, ChatLog>();
	private nextUserId = 5_100_000_001;
	private nextChannelId = 1_000_000_001;

	constructor(
		readonly me: UserFromGetMe,
		readonly clock: SandboxClock,
	) {}

	addUser(profile: NewTelegramUser): FanAccount {
		const id = this.newUserId();
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
		const account: FanAccount = { user, started: profile.started ?? false, blocked: false, chat };
		this.accounts.set(id, account);
		this.logs.set(id, new ChatLog());
		return account;
	}

	addChannel(channel: NewTelegramChannel): ChannelState {
		const id = -(1_000_000_000_000 + this.nextChannelId);
		this.nextChannelId += 1;
		const owner: User = {
			id: this.newUserId(),
			is_bot: false,
			first_name: `${channel.title} owner`,
		};
		const state: ChannelState = {
			chat: {
				id,
				type: 'channel',
				title: channel.title,
				...(channel.username ? { username: channel.username } : {}),
			},
			owner,
			botStatus: channel.botStatus ?? 'administrator',
			members: new Map([[owner.id, 'creator']]),
			links: [],
			joinRequests: new Map(),
		};
		this.channels.set(id, state);
		this.logs.set(id, new ChatLog());
		return state;
	}

	/** A sandbox user, for the test API (a test naming a user it never made is a test bug). */
	account(userId: number): FanAccount {
		const account = this.accounts.get(userId);
		if (!account) throw new Error(`no sandbox Telegram user ${userId}; createUser() first`);
		return account;
	}

	channel(chatId: number): ChannelState {
		const channel = this.channels.get(chatId);
		if (!channel) throw new Error(`no sandbox Telegram channel ${chatId}; createChannel() first`);
		return channel;
	}

	logOf(chatId: number): ChatLog {
		const log = this.logs.get(chatId);
		if (!log) throw new Error(`no sandbox Telegram chat ${chatId}`);
		return log;
	}

	/** The channel and link state behind an invite link the bot created, if any. */
	findLink(inviteLink: string): { channel: ChannelState; state: InviteLinkState } | undefined {
		for (const channel of this.channels.values()) {
			const state = channel.links.find((candidate) => candidate.link.invite_link === inviteLink);
			if (state) return { channel, state };
		}
		return undefined;
	}

	// ——— The rules the Bot API applies ———

	/** A chat the bot can see, by id or `@username`, or Telegram's `chat not found`. */
	conversation(chatId: number | string): Conversation {
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
		if (channel && channel.botStatus !== 'left') {
			return { kind: 'channel', channel, log: this.logOf(chatId) };
		}
		throw badRequest('chat not found');
	}

	/** A chat the bot may write into now, or the refusal Telegram gives. */
	writableConversation(chatId: number | string): Conversation {
		const conversation = this.conversation(chatId);
		if (conversation.kind === 'private') {
			if (conversation.account.blocked) throw forbidden('bot was blocked by the user');
			if (!conversation.account.started) {
				throw forbidden("bot can't initiate conversation with a user");
			}
		} else if (conversation.channel.botStatus !== 'administrator') {
			throw badRequest('need administrator rights in the channel chat');
		}
		return conversation;
	}

	/** A channel whose invite links and join requests the bot may manage. */
	managedChannel(chatId: number | string): ChannelState {
		const conversation = this.conversation(chatId);
		if (conversation.kind !== 'channel' || conversation.channel.botStatus !== 'administrator') {
			throw badRequest('not enough rights to manage chat invite links');
		}
		return conversation.channel;
	}

	/** A user the channel can name: a sandbox fan or the channel's owner. */
	userIn(channel: ChannelState, userId: number): User {
		if (userId === channel.owner.id) return channel.owner;
		const account = this.accounts.get(userId);
		if (!account) throw badRequest('user not found');
		return account.user;
	}

	/** Moves a user in a channel; an admin bot hears it as `chat_member`, with who did it and through which link. */
	changeMember(
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

	/** The bot's own standing changes in a chat; it hears `my_chat_member`. */
	changeBotStatus(
		chat: Chat.PrivateChat | Chat.ChannelChat,
		from: User,
		before: ChatMember,
		after: ChatMember,
	): void {
		this.updates.add('my_chat_member', {
			chat,
			from,
			date: this.nowSeconds(),
			old_chat_member: before,
			new_chat_member: after,
		});
	}

	botMember(status: BotStatusInChannel | 'kicked'): ChatMember {
		return status === 'administrator' ? administrator(this.me) : memberOf(this.me, status);
	}

	/** Join requests still open through one link (the link reports its own count). */
	pendingRequests(channel: ChannelState, link: InviteLinkState): number {
		return [...channel.joinRequests.values()].filter((state) => state === link).length;
	}

	nowSeconds(): number {
		return Math.floor(this.clock.now() / 1000);
	}

	private newUserId(): number {
		const id = this.nextUserId;
		this.nextUserId += 1;
		return id;
	}
}
