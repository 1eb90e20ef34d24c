import type { DiscordInteractions } from './discord-interactions';
import type { DiscordMessages } from './discord-messages';
import { NO_CONTENT, bodyOf, ok, type RouteTable } from './discord-routes';
import type { DiscordState } from './discord-state';

/**
 * The interaction callback and the interaction webhook (the original answer and
 * follow-ups). These carry the interaction's token in the URL and need no bot token.
 */
export function addInteractionRoutes(
	table: RouteTable,
	state: DiscordState,
	messages: DiscordMessages,
	interactions: DiscordInteractions,
): void {
	const webhookMessage = '/webhooks/:webhookId/:token/messages/:messageId';
	const noBotAuth = false;
	table
		.add(
			'POST',
			'/interactions/:interactionId/:token/callback',
			({ params, request }) => interactions.callback(params, request),
			noBotAuth,
		)
		.add(
			'GET',
			webhookMessage,
			({ params }) => ok(state.messageWire(interactions.webhookMessage(params))),
			noBotAuth,
		)
		.add(
			'PATCH',
			webhookMessage,
			({ params, request }) => {
				const message = interactions.webhookMessage(params);
				messages.edit(message, bodyOf(request));
				return ok(state.messageWire(message));
			},
			noBotAuth,
		)
		.add(
			'DELETE',
			webhookMessage,
			({ params }) => {
				interactions.webhookMessage(params).deleted = true;
				return NO_CONTENT;
			},
			noBotAuth,
		)
		.add(
			'POST',
			'/webhooks/:webhookId/:token',
			({ params, request }) => interactions.followUp(params, request),
			noBotAuth,
		);
}
