import { Composer, type Context } from 'grammy';
import type { CommunityDesk } from '../port';

const INSIDE = new Set(['member', 'administrator', 'creator', 'restricted']);

/**
 * Joins and leaves of the artist's private channel (chat_member updates, which Telegram
 * sends only to an admin bot that asked for them): a join is a hard-verified layer.
 */
export function channelMembers(desk: CommunityDesk, channelId: string | undefined): Composer<Context> {
	const members = new Composer<Context>();
	members.on('chat_member', async (ctx) => {
		const update = ctx.chatMember;
		const chat = update.chat;
		if (!channelId || (String(chat.id) !== channelId && `@${chat.username ?? ''}` !== channelId)) return;
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
