import { randomBytes } from 'node:crypto';
import type { ChatInviteLink, ChatMember } from '@grammyjs/types';
import { memberOf } from './telegram-chats';
import { badRequest, type TelegramParams } from './telegram-params';
import type { BotApiMethods } from './telegram-method';
import type { TelegramWorld } from './telegram-world';

/**
 * The bot administering a channel: invite links, join requests, bans, and reading one
 * member's status; each refused as Telegram refuses a bot without the admin rights.
 */
export class TelegramChannelMethods {
	constructor(private readonly world: TelegramWorld) {}

	methods(): BotApiMethods {
		return {
			createChatInviteLink: (params) => this.createChatInviteLink(params),
			revokeChatInviteLink: (params) => this.revokeChatInviteLink(params),
			approveChatJoinRequest: (params) => this.settleJoinRequest(params, true),
			declineChatJoinRequest: (params) => this.settleJoinRequest(params, false),
			banChatMember: (params) => this.restrictMember(params, true),
			unbanChatMember: (params) => this.restrictMember(params, false),
			getChatMember: (params) => this.getChatMember(params),
		};
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
}
