import { DiscordApiError, unknown } from './discord-errors';
import type { DiscordMessages } from './discord-messages';
import { bodyOf, ok, type RouteTable } from './discord-routes';
import type { DiscordState } from './discord-state';

/** Opening a DM, reading a channel, and posting and reading its messages (guild or DM alike). */
export function addChannelRoutes(
	table: RouteTable,
	state: DiscordState,
	messages: DiscordMessages,
): void {
	table
		.add('POST', '/users/@me/channels', ({ request }) => {
			const recipientId = bodyOf(request).recipient_id;
			if (
				typeof recipientId !== 'string' ||
				!state.users.has(recipientId) ||
				recipientId === state.botUser.id
			) {
				throw new DiscordApiError(400, 50033, 'Invalid Recipient(s)');
			}
			return ok(state.channelWire(state.dmChannelWith(recipientId)));
		})
		.add('GET', '/channels/:channelId', ({ params }) =>
			ok(state.channelWire(state.channelOr404(params.channelId))),
		)
		.add('POST', '/channels/:channelId/messages', ({ params, request }) =>
			ok(state.messageWire(messages.post(params.channelId, bodyOf(request)))),
		)
		.add('GET', '/channels/:channelId/messages/:messageId', ({ params }) => {
			const message = state.messages.get(params.messageId);
			const visible =
				message &&
				!message.deleted &&
				message.channelId === params.channelId &&
				!message.visibleOnlyTo;
			if (!visible) throw unknown('Message');
			return ok(state.messageWire(message));
		});
}
