import type { SandboxClock } from '../core/clock';
import { missingPermissions, unknown } from './discord-errors';
import {
	CHANNEL_TYPES,
	PERMISSIONS,
	Snowflakes,
	channelPayload,
	invitePayload,
	messagePayload,
	type DiscordChannel,
	type DiscordGuild,
	type DiscordInvite,
	type DiscordMessage,
	type DiscordUser,
} from './discord-model';

/** Sends a gateway event to every session whose intents include `intent` (none needed when omitted). */
export type Dispatch = (event: string, data: unknown, intent?: number) => void;

/**
 * The Discord world every part of the stand-in reads: users, guilds (roles, channels,
 * members), DM channels and messages, with the lookups and permission arithmetic the REST
 * routes, interactions and test API share. Commands, interactions and invites live with
 * the modules that manage them. Events go out through `dispatch`.
 */
export class DiscordState {
	readonly snowflakes: Snowflakes;
	readonly users = new Map<string, DiscordUser>();
	readonly guilds = new Map<string, DiscordGuild>();
	/** By recipient user id: one DM channel per user. */
	readonly dmChannels = new Map<string, DiscordChannel>();
	/** The same DM channels by channel id, so a broadcast's sends find theirs at once. */
	private readonly dmChannelsById = new Map<string, DiscordChannel>();
	readonly messages = new Map<string, DiscordMessage>();
	/** Users who closed their DMs or blocked the bot. */
	readonly dmBlockers = new Set<string>();

	constructor(
		readonly applicationId: string,
		readonly botUser: DiscordUser,
		readonly clock: SandboxClock,
		readonly dispatch: Dispatch,
	) {
		this.snowflakes = new Snowflakes(() => clock.now());
		this.users.set(botUser.id, botUser);
	}

	// ---- lookups answering Discord's errors (REST) ---------------------------------------------

	guildOr404(guildId: string): DiscordGuild {
		const guild = this.guilds.get(guildId);
		if (!guild) throw unknown('Guild');
		return guild;
	}

	channelOr404(channelId: string): DiscordChannel {
		const channel = this.findChannel(channelId);
		if (!channel) throw unknown('Channel');
		return channel;
	}

	userOr404(userId: string): DiscordUser {
		const user = this.users.get(userId);
		if (!user) throw unknown('User');
		return user;
	}

	// ---- lookups for the test API (plain errors naming the mistake) ----------------------------

	/** The named guild, or the first one when none is named (tests mostly have one). */
	guildOrThrow(guildId?: string): DiscordGuild {
		const guild = guildId ? this.guilds.get(guildId) : this.guilds.values().next().value;
		if (!guild) throw new Error(guildId ? `no guild ${guildId}` : 'the stand-in has no guild yet');
		return guild;
	}

	userOrThrow(userId: string): DiscordUser {
		const user = this.users.get(userId);
		if (!user) throw new Error(`no user ${userId}; add it with addUser first`);
		return user;
	}

	findChannel(channelId: string): DiscordChannel | undefined {
		for (const guild of this.guilds.values()) {
			const channel = guild.channels.get(channelId);
			if (channel) return channel;
		}
		return this.dmChannelsById.get(channelId);
	}

	/** The one DM channel between the bot and a user, opened on first use. */
	dmChannelWith(userId: string): DiscordChannel {
		let channel = this.dmChannels.get(userId);
		if (!channel) {
			channel = {
				id: this.snowflakes.next(),
				type: CHANNEL_TYPES.dm,
				name: '',
				recipientId: userId,
				lastMessageId: null,
			};
			this.dmChannels.set(userId, channel);
			this.dmChannelsById.set(channel.id, channel);
		}
		return channel;
	}

	// ---- permissions ---------------------------------------------------------------------------

	/** @everyone's permissions and the member's roles' together; an administrator holds them all. */
	permissionsOf(guild: DiscordGuild, userId: string): bigint {
		const member = guild.members.get(userId);
		const roleIds = [guild.id, ...(member?.roleIds ?? [])];
		const permissions = roleIds.reduce(
			(bits, id) => bits | (guild.roles.get(id)?.permissions ?? 0n),
			0n,
		);
		return (permissions & PERMISSIONS.administrator) !== 0n ? (1n << 53n) - 1n : permissions;
	}

	requireBotPermission(guild: DiscordGuild, permission: bigint): void {
		if ((this.permissionsOf(guild, this.botUser.id) & permission) === 0n)
			throw missingPermissions();
	}

	/** The position of the user's highest role; @everyone counts as 0. */
	highestPosition(guild: DiscordGuild, userId: string): number {
		const member = guild.members.get(userId);
		return Math.max(0, ...(member?.roleIds ?? []).map((id) => guild.roles.get(id)?.position ?? 0));
	}

	// ---- wire shapes that need the state -------------------------------------------------------

	messageWire(message: DiscordMessage): Record<string, unknown> {
		return messagePayload(message, this.users.get(message.authorId)!, this.users);
	}

	channelWire(channel: DiscordChannel): Record<string, unknown> {
		if (channel.type === CHANNEL_TYPES.dm) {
			return channelPayload(channel, 0, this.users.get(channel.recipientId!));
		}
		const guild = this.guilds.get(channel.guildId!)!;
		return channelPayload(channel, [...guild.channels.keys()].indexOf(channel.id));
	}

	inviteWire(invite: DiscordInvite): Record<string, unknown> {
		const guild = this.guilds.get(invite.guildId)!;
		return invitePayload(
			invite,
			guild,
			guild.channels.get(invite.channelId)!,
			this.users.get(invite.inviterId)!,
		);
	}
}
