import { randomInt } from 'node:crypto';
import type { Chat, ChatInviteLink, ChatMember, Message, User } from '@grammyjs/types';

/** A Telegram user the sandbox made, and where they stand with the bot. */
export interface FanAccount {
	user: User;
	/** Telegram lets a bot write only to users who have opened a chat with it. */
	started: boolean;
	blocked: boolean;
	chat: Chat.PrivateChat;
}

export type BotStatusInChannel = 'administrator' | 'member' | 'left';
export type MemberStatus = 'creator' | 'administrator' | 'member' | 'left' | 'kicked';

export interface InviteLinkState {
	link: ChatInviteLink;
	joinedCount: number;
}

export interface ChannelState {
	chat: Chat.ChannelChat;
	/** The person who made the channel and gives the bot its rights. */
	owner: User;
	botStatus: BotStatusInChannel;
	members: Map<number, MemberStatus>;
	links: InviteLinkState[];
	/** Users waiting for approval, by the join-request link each one used. */
	joinRequests: Map<number, InviteLinkState>;
}

/** Everything said in one chat, both ways, as the chat shows it now (edits applied, deletions gone). */
export class ChatLog {
	private readonly shown = new Map<
		number,
		{ message: Message; fromBot: boolean; sentAtMs: number }
	>();
	private nextMessageId = 1;
	/** Telegram's per-chat `chat_instance` for callback queries. */
	readonly instance = `-${randomInt(2 ** 47)}${randomInt(100_000, 1_000_000)}`;

	nextId(): number {
		const id = this.nextMessageId;
		this.nextMessageId += 1;
		return id;
	}

	add(message: Message, fromBot: boolean, sentAtMs: number): void {
		this.shown.set(message.message_id, { message, fromBot, sentAtMs });
	}

	get(messageId: number): { message: Message; fromBot: boolean; sentAtMs: number } | undefined {
		return this.shown.get(messageId);
	}

	replace(message: Message): void {
		const entry = this.shown.get(message.message_id);
		if (entry) entry.message = message;
	}

	delete(messageId: number): boolean {
		return this.shown.delete(messageId);
	}

	fromBot(): Message[] {
		return [...this.shown.values()].filter((entry) => entry.fromBot).map((entry) => entry.message);
	}
}

export function memberOf(user: User, status: MemberStatus): ChatMember {
	switch (status) {
		case 'creator':
			return { status, user, is_anonymous: false };
		case 'administrator':
			return administrator(user);
		case 'member':
			return { status, user };
		case 'left':
			return { status, user };
		case 'kicked':
			return { status, user, until_date: 0 };
	}
}

/** A channel admin with the rights a community bot is given: post, edit, delete, invite. */
export function administrator(user: User): ChatMember {
	return {
		status: 'administrator',
		user,
		can_be_edited: false,
		is_anonymous: false,
		can_manage_chat: true,
		can_delete_messages: true,
		can_manage_video_chats: false,
		can_restrict_members: true,
		can_promote_members: false,
		can_change_info: false,
		can_invite_users: true,
		can_post_stories: false,
		can_edit_stories: false,
		can_delete_stories: false,
		can_post_messages: true,
		can_edit_messages: true,
		can_send_welcome_messages: false,
	};
}
