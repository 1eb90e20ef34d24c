import type { DiscordInvites } from './discord-invites';
import { PERMISSIONS, type DiscordInvite } from './discord-model';
import { bodyOf, ok, type RouteTable } from './discord-routes';
import type { DiscordState } from './discord-state';

/** Creating, listing, reading and revoking invites. */
export function addInviteRoutes(
	table: RouteTable,
	state: DiscordState,
	invites: DiscordInvites,
): void {
	const wires = (list: DiscordInvite[]): Array<Record<string, unknown>> =>
		list.map((invite) => state.inviteWire(invite));
	table
		.add('GET', '/guilds/:guildId/invites', ({ params }) => {
			const guild = state.guildOr404(params.guildId);
			// Listing a server's invites takes Manage Server.
			state.requireBotPermission(guild, PERMISSIONS.manageGuild);
			return ok(wires(invites.liveWhere((invite) => invite.guildId === guild.id)));
		})
		.add('POST', '/channels/:channelId/invites', ({ params, request }) =>
			ok(state.inviteWire(invites.create(params.channelId, bodyOf(request)))),
		)
		.add('GET', '/channels/:channelId/invites', ({ params }) => {
			const channel = state.channelOr404(params.channelId);
			return ok(wires(invites.liveWhere((invite) => invite.channelId === channel.id)));
		})
		.add('GET', '/invites/:code', ({ params }) =>
			ok(state.inviteWire(invites.liveOr404(params.code))),
		)
		.add('DELETE', '/invites/:code', ({ params }) => {
			const invite = invites.liveOr404(params.code);
			invites.delete(invite);
			return ok(state.inviteWire(invite));
		});
}
