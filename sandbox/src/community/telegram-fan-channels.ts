import type { BotStatusInChannel } from './telegram-chats';
import type { TelegramWorld } from './telegram-world';

export type JoinOutcome = 'member' | 'requested';

/**
 * Channels from the people's side: fans join by the bot's invite links or leave, and the
 * owner changes the bot's rights. An admin bot hears each change as Telegram sends it.
 */
export class TelegramFanChannels {
	constructor(private readonly world: TelegramWorld) {}

	/**
	 * Joins (or asks to, for a link that creates join requests); refuses, as the app would, a
	 * link that is unknown, revoked, expired or used up, and a fan banned from the channel.
	 */
	join(userId: number, inviteLink: string): JoinOutcome {
		const { world } = this;
		const account = world.account(userId);
		const found = world.findLink(inviteLink);
		if (!found) throw new Error(`invite link ${inviteLink} does not exist`);
		const { channel, state } = found;
		const { link } = state;
		if (link.is_revoked) throw new Error(`invite link ${inviteLink} was revoked`);
		if (link.expire_date !== undefined && link.expire_date * 1000 <= world.clock.now()) {
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
			link.pending_join_request_count = world.pendingRequests(channel, state);
			if (channel.botStatus === 'administrator') {
				world.updates.add('chat_join_request', {
					chat: channel.chat,
					from: account.user,
					user_chat_id: userId,
					date: world.nowSeconds(),
					invite_link: { ...link },
				});
			}
			return 'requested';
		}
		state.joinedCount += 1;
		world.changeMember(channel, account.user, 'member', { from: account.user, link });
		return 'member';
	}

	/** Only a member can leave; anyone else is already out. */
	leave(userId: number, chatId: number): void {
		const { world } = this;
		const account = world.account(userId);
		const channel = world.channel(chatId);
		if ((channel.members.get(userId) ?? 'left') !== 'member') return;
		world.changeMember(channel, account.user, 'left', { from: account.user });
	}

	/** The owner promotes, demotes or removes the bot; the bot hears `my_chat_member`. */
	setBotStatus(chatId: number, status: BotStatusInChannel): void {
		const { world } = this;
		const channel = world.channel(chatId);
		const before = channel.botStatus;
		if (before === status) return;
		channel.botStatus = status;
		world.changeBotStatus(
			channel.chat,
			channel.owner,
			world.botMember(before),
			world.botMember(status),
		);
	}
}
