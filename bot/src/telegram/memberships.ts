import { Composer, type Context } from 'grammy';
import type { CommunityDesk } from '../port';

const INSIDE = new Set(['member', 'administrator', 'creator', 'restricted']);

/**
 * Membership changes Telegram reports: a fan blocking the bot in their private chat
 * (my_chat_member → kicked), and joins and leaves of the artist's private channel
 * (chat_member, sent only to an admin bot that asks for them), a join being a
 * hard-verified layer.
 */
export function memberships(desk: CommunityDesk, channelId: string | undefined): Composer<Context> {
	const members = new Composer<Context>();
	members.on('my_chat_member', async (ctx) => {
		const update = ctx.myChatMember;
		if (update.chat.type !== 'private' || update.from.is_bot) return;
		if (update.new_chat_member.status === 'kicked' && update.old_chat_member.status !== 'kicked') {
			await desk.left({ platform: 'telegram', userId: String(update.from.id) }, { what: 'chat' });
		}
	});
	members.on('chat_member', async (ctx) => {
		const update = ctx.chatMember;
		const chat = update.chat;
		if (!channelId || (String(chat.id) !== channelId && `@${chat.username ?? ''}` !== channelId))
			return;
		const member = update.new_chat_member.user;
		if (member.is_bot) return;
		const user = { platform: 'telegram' as const, userId: String(member.id) };
		const wasInside = INSIDE.has(update.old_chat_member.status);
		const isInside = INSIDE.has(update.new_chat_member.status);
		if (!wasInside && isInside) await desk.joined(user, { what: 'channel' });
		else if (wasInside && !isInside) await desk.left(user, { what: 'channel' });
	});
	return members;
}
