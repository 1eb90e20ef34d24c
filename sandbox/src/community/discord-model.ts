import { randomBytes } from 'node:crypto';

/** Discord's epoch (2015-01-01T00:00:00Z): snowflakes count milliseconds from it. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** Permission bits the stand-in checks (Discord's `permissions` bit set, sent as a decimal string). */
export const PERMISSIONS = {
	createInstantInvite: 1n << 0n,
	administrator: 1n << 3n,
	manageGuild: 1n << 5n,
	viewChannel: 1n << 10n,
	sendMessages: 1n << 11n,
	mentionEveryone: 1n << 17n,
	manageRoles: 1n << 28n,
} as const;

/** Gateway intents that decide which events a session receives. */
export const INTENTS = {
	guilds: 1 << 0,
	guildMembers: 1 << 1,
	guildInvites: 1 << 6,
	guildPresences: 1 << 8,
	messageContent: 1 << 15,
} as const;

/** Intents an application must switch on in the developer portal before a session may ask for them. */
export const PRIVILEGED_INTENTS =
	INTENTS.guildMembers | INTENTS.guildPresences | INTENTS.messageContent;

export const MESSAGE_FLAGS = {
	ephemeral: 1 << 6,
	loading: 1 << 7,
} as const;

export const CHANNEL_TYPES = { guildText: 0, dm: 1, guildAnnouncement: 5 } as const;

/** Snowflakes made the way Discord makes them, so discord.js reads creation times from them. */
export class Snowflakes {
	private increment = 0n;

	constructor(private readonly now: () => number) {}

	next(): string {
		this.increment = (this.increment + 1n) & 0xfffn;
		return (
			((BigInt(this.now()) - DISCORD_EPOCH_MS) << 22n) |
			(1n << 17n) |
			this.increment
		).toString();
	}
}

/** An opaque secret like an interaction token or an invite code. */
export function randomToken(bytes: number): string {
	return randomBytes(bytes).toString('base64url');
}

export function isoTimestamp(epochMs: number): string {
	return new Date(epochMs).toISOString().replace('Z', '+00:00');
}

export interface DiscordUser {
	id: string;
	username: string;
	globalName: string | null;
	bot: boolean;
}

export interface DiscordRole {
	id: string;
	name: string;
	/** Higher sits above; the bot may only manage roles strictly below its highest one. */
	position: number;
	permissions: bigint;
	mentionable: boolean;
	/** Set on the role Discord creates for a bot: it cannot be granted by hand. */
	botId?: string;
}

export interface DiscordChannel {
	id: string;
	type: number;
	name: string;
	guildId?: string;
	/** For DM channels: the other person. */
	recipientId?: string;
	lastMessageId: string | null;
}

export interface DiscordMember {
	userId: string;
	roleIds: string[];
	joinedAtMs: number;
	nick: string | null;
}

export interface DiscordGuild {
	id: string;
	name: string;
	ownerId: string;
	joinedAtMs: number;
	roles: Map<string, DiscordRole>;
	channels: Map<string, DiscordChannel>;
	members: Map<string, DiscordMember>;
}

export interface DiscordInvite {
	code: string;
	guildId: string;
	channelId: string;
	inviterId: string;
	maxAgeSeconds: number;
	maxUses: number;
	uses: number;
	temporary: boolean;
	createdAtMs: number;
}

export interface DiscordComponent {
	type: number;
	custom_id?: string;
	components?: DiscordComponent[];
	[field: string]: unknown;
}

export interface DiscordMessage {
	id: string;
	channelId: string;
	guildId?: string;
	authorId: string;
	content: string;
	embeds: unknown[];
	components: DiscordComponent[];
	flags: number;
	/** Roles this message really pinged: mentioned, allowed by `allowed_mentions`, and mentionable by the bot. */
	mentionRoleIds: string[];
	allowedMentions?: unknown;
	createdAtMs: number;
	editedAtMs: number | null;
	/** Interaction replies and follow-ups come from the application's webhook. */
	webhookId?: string;
	/** The interaction this message answers. */
	interaction?: { id: string; type: number; userId: string };
	/** Ephemeral messages exist only for the one user who ran the interaction. */
	visibleOnlyTo?: string;
	deleted: boolean;
}

export function userPayload(user: DiscordUser): Record<string, unknown> {
	return {
		id: user.id,
		username: user.username,
		discriminator: '0',
		global_name: user.globalName,
		avatar: null,
		...(user.bot ? { bot: true } : {}),
		public_flags: 0,
		flags: 0,
		banner: null,
		accent_color: null,
		avatar_decoration_data: null,
	};
}

export function rolePayload(role: DiscordRole): Record<string, unknown> {
	return {
		id: role.id,
		name: role.name,
		color: 0,
		colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
		hoist: false,
		icon: null,
		unicode_emoji: null,
		position: role.position,
		permissions: role.permissions.toString(),
		managed: role.botId !== undefined,
		mentionable: role.mentionable,
		flags: 0,
		...(role.botId !== undefined ? { tags: { bot_id: role.botId } } : {}),
	};
}

export function channelPayload(
	channel: DiscordChannel,
	position: number,
	recipient?: DiscordUser,
): Record<string, unknown> {
	if (channel.type === CHANNEL_TYPES.dm) {
		return {
			id: channel.id,
			type: channel.type,
			last_message_id: channel.lastMessageId,
			flags: 0,
			recipients: recipient ? [userPayload(recipient)] : [],
		};
	}
	return {
		id: channel.id,
		type: channel.type,
		guild_id: channel.guildId,
		name: channel.name,
		position,
		permission_overwrites: [],
		parent_id: null,
		topic: null,
		nsfw: false,
		last_message_id: channel.lastMessageId,
		rate_limit_per_user: 0,
		flags: 0,
	};
}

export function memberPayload(member: DiscordMember, user: DiscordUser): Record<string, unknown> {
	return {
		user: userPayload(user),
		nick: member.nick,
		avatar: null,
		banner: null,
		roles: [...member.roleIds],
		joined_at: isoTimestamp(member.joinedAtMs),
		premium_since: null,
		deaf: false,
		mute: false,
		flags: 0,
		pending: false,
		communication_disabled_until: null,
	};
}

export function invitePayload(
	invite: DiscordInvite,
	guild: DiscordGuild,
	channel: DiscordChannel,
	inviter: DiscordUser,
): Record<string, unknown> {
	return {
		type: 0,
		code: invite.code,
		guild: {
			id: guild.id,
			name: guild.name,
			icon: null,
			splash: null,
			banner: null,
			description: null,
			features: [],
			verification_level: 0,
			vanity_url_code: null,
			nsfw_level: 0,
			premium_subscription_count: 0,
		},
		channel: { id: channel.id, type: channel.type, name: channel.name },
		inviter: userPayload(inviter),
		uses: invite.uses,
		max_uses: invite.maxUses,
		max_age: invite.maxAgeSeconds,
		temporary: invite.temporary,
		created_at: isoTimestamp(invite.createdAtMs),
		expires_at:
			invite.maxAgeSeconds === 0
				? null
				: isoTimestamp(invite.createdAtMs + invite.maxAgeSeconds * 1000),
	};
}

/** The guild object REST answers with (GET /guilds/{id}). */
export function guildPayload(guild: DiscordGuild): Record<string, unknown> {
	const systemChannel = [...guild.channels.values()].find(
		(channel) => channel.type === CHANNEL_TYPES.guildText,
	);
	return {
		id: guild.id,
		name: guild.name,
		icon: null,
		splash: null,
		discovery_splash: null,
		owner_id: guild.ownerId,
		afk_channel_id: null,
		afk_timeout: 300,
		verification_level: 0,
		default_message_notifications: 1,
		explicit_content_filter: 0,
		roles: [...guild.roles.values()].map(rolePayload),
		emojis: [],
		stickers: [],
		features: [],
		mfa_level: 0,
		application_id: null,
		system_channel_id: systemChannel?.id ?? null,
		system_channel_flags: 0,
		rules_channel_id: null,
		max_members: 500_000,
		vanity_url_code: null,
		description: null,
		banner: null,
		premium_tier: 0,
		premium_subscription_count: 0,
		preferred_locale: 'en-US',
		public_updates_channel_id: null,
		nsfw_level: 0,
		premium_progress_bar_enabled: false,
		safety_alerts_channel_id: null,
	};
}

/** The guild as GUILD_CREATE carries it: everything discord.js needs to cache it and resolve roles. */
export function guildCreatePayload(
	guild: DiscordGuild,
	users: ReadonlyMap<string, DiscordUser>,
	memberIds: string[],
): Record<string, unknown> {
	return {
		...guildPayload(guild),
		joined_at: isoTimestamp(guild.joinedAtMs),
		large: false,
		unavailable: false,
		member_count: guild.members.size,
		voice_states: [],
		members: memberIds.map((id) => memberPayload(guild.members.get(id)!, users.get(id)!)),
		// Channels inside GUILD_CREATE leave out guild_id: the guild is implied.
		channels: [...guild.channels.values()].map((channel, index) => {
			const { guild_id: _guildId, ...payload } = channelPayload(channel, index);
			return payload;
		}),
		threads: [],
		presences: [],
		stage_instances: [],
		guild_scheduled_events: [],
		soundboard_sounds: [],
	};
}

export function messagePayload(
	message: DiscordMessage,
	author: DiscordUser,
	users: ReadonlyMap<string, DiscordUser>,
): Record<string, unknown> {
	const { interaction } = message;
	return {
		id: message.id,
		// 20 is the reply to a slash command; 0 an ordinary message.
		type: interaction?.type === 2 ? 20 : 0,
		channel_id: message.channelId,
		...(message.guildId ? { guild_id: message.guildId } : {}),
		author: userPayload(author),
		content: message.content,
		timestamp: isoTimestamp(message.createdAtMs),
		edited_timestamp: message.editedAtMs === null ? null : isoTimestamp(message.editedAtMs),
		tts: false,
		mention_everyone: false,
		mentions: [],
		mention_roles: [...message.mentionRoleIds],
		attachments: [],
		embeds: message.embeds,
		pinned: false,
		flags: message.flags,
		components: message.components,
		...(message.webhookId
			? { webhook_id: message.webhookId, application_id: message.webhookId }
			: {}),
		...(interaction
			? {
					interaction_metadata: {
						id: interaction.id,
						type: interaction.type,
						user: userPayload(users.get(interaction.userId)!),
						authorizing_integration_owners: { '0': message.guildId ?? '0' },
					},
				}
			: {}),
	};
}
