import { guildCreateFor } from './discord-gateway-state';
import {
	CHANNEL_TYPES,
	INTENTS,
	PERMISSIONS,
	channelPayload,
	rolePayload,
	type DiscordChannel,
	type DiscordGuild,
	type DiscordRole,
} from './discord-model';
import type { DiscordState } from './discord-state';

/** What Discord gives the bot's managed role when it joins with the permissions it asked for. */
const BOT_ROLE_PERMISSIONS =
	PERMISSIONS.createInstantInvite |
	PERMISSIONS.manageGuild |
	PERMISSIONS.viewChannel |
	PERMISSIONS.sendMessages |
	PERMISSIONS.mentionEveryone |
	PERMISSIONS.manageRoles;
const EVERYONE_PERMISSIONS =
	PERMISSIONS.createInstantInvite | PERMISSIONS.viewChannel | PERMISSIONS.sendMessages;

export interface NewDiscordGuild {
	id?: string;
	name: string;
	botRoleId?: string;
	botRolePosition?: number;
}

export interface NewDiscordRole {
	name: string;
	position: number;
	id?: string;
	guildId?: string;
	permissions?: bigint;
	mentionable?: boolean;
}

export interface NewDiscordChannel {
	name: string;
	id?: string;
	guildId?: string;
	type?: number;
}

/**
 * Guilds with their roles and channels as tests build and change them, the way a server
 * owner would in the Discord app; the bot hears of each change over the gateway.
 */
export class DiscordGuilds {
	constructor(private readonly state: DiscordState) {}

	/** A guild with its @everyone role, a managed role for the bot and the bot as a member. */
	add(setup: NewDiscordGuild): DiscordGuild {
		const { state } = this;
		const id = setup.id ?? state.snowflakes.next();
		const nowMs = state.clock.now();
		const guild: DiscordGuild = {
			id,
			name: setup.name,
			ownerId: state.botUser.id,
			joinedAtMs: nowMs,
			roles: new Map(),
			channels: new Map(),
			members: new Map(),
		};
		// @everyone shares the guild's id and always sits at position 0.
		guild.roles.set(id, {
			id,
			name: '@everyone',
			position: 0,
			permissions: EVERYONE_PERMISSIONS,
			mentionable: false,
		});
		const botRole: DiscordRole = {
			id: setup.botRoleId ?? state.snowflakes.next(),
			name: state.botUser.username,
			position: setup.botRolePosition ?? 1,
			permissions: BOT_ROLE_PERMISSIONS,
			mentionable: false,
			botId: state.botUser.id,
		};
		guild.roles.set(botRole.id, botRole);
		guild.members.set(state.botUser.id, {
			userId: state.botUser.id,
			roleIds: [botRole.id],
			joinedAtMs: nowMs,
			nick: null,
		});
		state.guilds.set(id, guild);
		state.dispatch('GUILD_CREATE', guildCreateFor(state, guild, INTENTS.guilds), INTENTS.guilds);
		return guild;
	}

	addRole(setup: NewDiscordRole): DiscordRole {
		const guild = this.state.guildOrThrow(setup.guildId);
		const role: DiscordRole = {
			id: setup.id ?? this.state.snowflakes.next(),
			name: setup.name,
			position: setup.position,
			permissions: setup.permissions ?? 0n,
			mentionable: setup.mentionable ?? false,
		};
		guild.roles.set(role.id, role);
		this.state.dispatch(
			'GUILD_ROLE_CREATE',
			{ guild_id: guild.id, role: rolePayload(role) },
			INTENTS.guilds,
		);
		return { ...role };
	}

	updateRole(
		roleId: string,
		guildId: string | undefined,
		change: (role: DiscordRole) => void,
	): void {
		const guild = this.state.guildOrThrow(guildId);
		const role = guild.roles.get(roleId);
		if (!role) throw new Error(`no role ${roleId} in guild ${guild.id}`);
		change(role);
		this.state.dispatch(
			'GUILD_ROLE_UPDATE',
			{ guild_id: guild.id, role: rolePayload(role) },
			INTENTS.guilds,
		);
	}

	/** The role Discord made for the bot in a guild. */
	botRoleId(guildId?: string): string {
		const guild = this.state.guildOrThrow(guildId);
		return [...guild.roles.values()].find((role) => role.botId === this.state.botUser.id)!.id;
	}

	addChannel(setup: NewDiscordChannel): DiscordChannel {
		const guild = this.state.guildOrThrow(setup.guildId);
		const channel: DiscordChannel = {
			id: setup.id ?? this.state.snowflakes.next(),
			type: setup.type ?? CHANNEL_TYPES.guildText,
			name: setup.name,
			guildId: guild.id,
			lastMessageId: null,
		};
		guild.channels.set(channel.id, channel);
		this.state.dispatch(
			'CHANNEL_CREATE',
			channelPayload(channel, guild.channels.size - 1),
			INTENTS.guilds,
		);
		return { ...channel };
	}
}
