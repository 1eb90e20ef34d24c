import { invalidFormBody, missingPermissions, unknown } from './discord-errors';
import {
	INTENTS,
	PERMISSIONS,
	memberPayload,
	userPayload,
	type DiscordMember,
} from './discord-model';
import { integerIn } from './discord-routes';
import type { DiscordState } from './discord-state';

/**
 * Who is in a guild and with which roles: members arriving and leaving as tests make
 * them, and the bot reading the member list and granting or removing roles over REST.
 * Every change reaches the gateway as Discord announces it.
 */
export class DiscordMembers {
	constructor(private readonly state: DiscordState) {}

	/** A user becomes a member (GUILD_MEMBER_ADD); test API, so mistakes are plain errors. */
	add(userId: string, setup: { guildId?: string; roleIds?: string[] } = {}): void {
		const { state } = this;
		const guild = state.guildOrThrow(setup.guildId);
		const user = state.userOrThrow(userId);
		if (guild.members.has(userId))
			throw new Error(`user ${userId} is already in guild ${guild.id}`);
		for (const roleId of setup.roleIds ?? []) {
			if (!guild.roles.has(roleId)) throw new Error(`no role ${roleId} in guild ${guild.id}`);
		}
		const member: DiscordMember = {
			userId,
			roleIds: [...(setup.roleIds ?? [])],
			joinedAtMs: state.clock.now(),
			nick: null,
		};
		guild.members.set(userId, member);
		state.dispatch(
			'GUILD_MEMBER_ADD',
			{ ...memberPayload(member, user), guild_id: guild.id },
			INTENTS.guildMembers,
		);
	}

	/** A member leaves (GUILD_MEMBER_REMOVE). */
	remove(userId: string, guildId?: string): void {
		const guild = this.state.guildOrThrow(guildId);
		if (!guild.members.delete(userId))
			throw new Error(`user ${userId} is not in guild ${guild.id}`);
		this.state.dispatch(
			'GUILD_MEMBER_REMOVE',
			{ guild_id: guild.id, user: userPayload(this.state.users.get(userId)!) },
			INTENTS.guildMembers,
		);
	}

	roleIdsOf(userId: string, guildId?: string): string[] {
		const member = this.state.guildOrThrow(guildId).members.get(userId);
		if (!member) throw new Error(`user ${userId} is not a member`);
		return [...member.roleIds];
	}

	/** GET /guilds/{id}/members/{user}. */
	member(guildId: string, userId: string): Record<string, unknown> {
		const member = this.state.guildOr404(guildId).members.get(userId);
		if (!member) throw unknown('Member');
		return memberPayload(member, this.state.users.get(member.userId)!);
	}

	/** GET /guilds/{id}/members: ordered by user id, paged with `limit` (1–1000) and `after`. */
	list(
		guildId: string,
		query: { limit: string | undefined; after: string | undefined },
	): Array<Record<string, unknown>> {
		const guild = this.state.guildOr404(guildId);
		const limit = integerIn(query.limit, 1, 1, 1000, 'limit');
		const after = query.after ?? '0';
		if (!/^\d+$/.test(after)) {
			throw invalidFormBody('after', 'NUMBER_TYPE_COERCE', 'Value is not snowflake.');
		}
		return [...guild.members.values()]
			.filter((member) => BigInt(member.userId) > BigInt(after))
			.sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
			.slice(0, limit)
			.map((member) => memberPayload(member, this.state.users.get(member.userId)!));
	}

	/**
	 * Grants or removes a role as Discord allows it: the bot needs Manage Roles and its
	 * highest role strictly above the role, and the bot's own managed role is never
	 * assignable; anything else is 50013. A change that changes nothing still succeeds.
	 */
	changeRole(
		ids: { guildId: string; userId: string; roleId: string },
		change: 'grant' | 'revoke',
	): void {
		const { state } = this;
		const guild = state.guildOr404(ids.guildId);
		const role = guild.roles.get(ids.roleId);
		if (!role) throw unknown('Role');
		const member = guild.members.get(ids.userId);
		if (!member) throw unknown('Member');
		state.requireBotPermission(guild, PERMISSIONS.manageRoles);
		if (state.highestPosition(guild, state.botUser.id) <= role.position || role.botId) {
			throw missingPermissions();
		}
		const has = member.roleIds.includes(role.id);
		if (change === 'grant' ? has : !has) return;
		member.roleIds =
			change === 'grant'
				? [...member.roleIds, role.id]
				: member.roleIds.filter((id) => id !== role.id);
		state.dispatch(
			'GUILD_MEMBER_UPDATE',
			{ ...memberPayload(member, state.users.get(member.userId)!), guild_id: guild.id },
			INTENTS.guildMembers,
		);
	}
}
