import type { DiscordMembers } from './discord-members';
import { channelPayload, guildPayload, rolePayload } from './discord-model';
import { NO_CONTENT, ok, type RouteTable } from './discord-routes';
import type { DiscordState } from './discord-state';

/** A guild as the bot reads it (the guild, its roles, channels and members) and role grants. */
export function addGuildRoutes(
	table: RouteTable,
	state: DiscordState,
	members: DiscordMembers,
): void {
	const memberRole = '/guilds/:guildId/members/:userId/roles/:roleId';
	table
		.add('GET', '/guilds/:guildId', ({ params }) =>
			ok(guildPayload(state.guildOr404(params.guildId))),
		)
		.add('GET', '/guilds/:guildId/roles', ({ params }) =>
			ok([...state.guildOr404(params.guildId).roles.values()].map(rolePayload)),
		)
		.add('GET', '/guilds/:guildId/channels', ({ params }) =>
			ok(
				[...state.guildOr404(params.guildId).channels.values()].map((channel, index) =>
					channelPayload(channel, index),
				),
			),
		)
		.add('GET', '/guilds/:guildId/members', ({ params, request }) =>
			ok(
				members.list(params.guildId, {
					limit: request.query.get('limit') ?? undefined,
					after: request.query.get('after') ?? undefined,
				}),
			),
		)
		.add('GET', '/guilds/:guildId/members/:userId', ({ params }) =>
			ok(members.member(params.guildId, params.userId)),
		)
		.add('PUT', memberRole, ({ params }) => {
			members.changeRole(
				{ guildId: params.guildId, userId: params.userId, roleId: params.roleId },
				'grant',
			);
			return NO_CONTENT;
		})
		.add('DELETE', memberRole, ({ params }) => {
			members.changeRole(
				{ guildId: params.guildId, userId: params.userId, roleId: params.roleId },
				'revoke',
			);
			return NO_CONTENT;
		});
}
