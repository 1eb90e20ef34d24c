import { cannotMessageUser, emptyMessage, invalidFormBody } from './discord-errors';
import {
	CHANNEL_TYPES,
	MESSAGE_FLAGS,
	PERMISSIONS,
	type DiscordComponent,
	type DiscordGuild,
	type DiscordMessage,
} from './discord-model';
import type { DiscordState } from './discord-state';

const MAX_CONTENT_CHARS = 2000;

/** The interaction a message answers, if any: only interaction answers may be ephemeral. */
export interface MessageOrigin {
	interaction?: { id: string; type: number; userId: string };
}

/**
 * Messages the bot writes: channel posts, DMs (refused with 50007 to users who closed them
 * or share no server with the bot), interaction answers and their edits, each validated
 * as Discord validates them, with the role pings it really makes worked out.
 */
export class DiscordMessages {
	constructor(private readonly state: DiscordState) {}

	/** POST /channels/{id}/messages. */
	post(channelId: string, body: Record<string, unknown>): DiscordMessage {
		const channel = this.state.channelOr404(channelId);
		if (channel.type === CHANNEL_TYPES.dm) {
			const recipientId = channel.recipientId!;
			const sharesGuild = [...this.state.guilds.values()].some((guild) =>
				guild.members.has(recipientId),
			);
			if (this.state.dmBlockers.has(recipientId) || !sharesGuild) throw cannotMessageUser();
		}
		return this.create(channel.id, body, {});
	}

	/** A new message from a request body; only interaction answers may be ephemeral. */
	create(channelId: string, body: Record<string, unknown>, origin: MessageOrigin): DiscordMessage {
		const content = body.content ?? '';
		if (typeof content !== 'string') {
			throw invalidFormBody(
				'content',
				'BASE_TYPE_STRING',
				'Could not interpret the value as string.',
			);
		}
		checkLength(content);
		const embeds = Array.isArray(body.embeds) ? body.embeds : [];
		const components = Array.isArray(body.components)
			? (body.components as DiscordComponent[])
			: [];
		if (content === '' && embeds.length === 0 && components.length === 0) throw emptyMessage();
		const flags = origin.interaction ? Number(body.flags ?? 0) & MESSAGE_FLAGS.ephemeral : 0;
		const channel = this.state.channelOr404(channelId);
		const guild = channel.guildId ? this.state.guilds.get(channel.guildId) : undefined;
		return this.store(
			{
				channelId,
				guildId: channel.guildId,
				content,
				embeds,
				components,
				flags,
				mentionRoleIds: guild ? this.pingedRoles(guild, content, body.allowed_mentions) : [],
				allowedMentions: body.allowed_mentions,
			},
			origin,
		);
	}

	/** A deferred answer: an empty message showing "thinking…" until the bot edits it. */
	createLoading(channelId: string, ephemeral: boolean, origin: MessageOrigin): DiscordMessage {
		const channel = this.state.channelOr404(channelId);
		return this.store(
			{
				channelId,
				guildId: channel.guildId,
				content: '',
				embeds: [],
				components: [],
				flags: MESSAGE_FLAGS.loading | (ephemeral ? MESSAGE_FLAGS.ephemeral : 0),
				mentionRoleIds: [],
			},
			origin,
		);
	}

	/** PATCH semantics: fields present in the body replace the message's. */
	edit(message: DiscordMessage, body: Record<string, unknown>): void {
		const wasLoading = (message.flags & MESSAGE_FLAGS.loading) !== 0;
		if (body.content !== undefined) {
			if (typeof body.content !== 'string') {
				throw invalidFormBody(
					'content',
					'BASE_TYPE_STRING',
					'Could not interpret the value as string.',
				);
			}
			checkLength(body.content);
			message.content = body.content;
		}
		if (Array.isArray(body.embeds)) message.embeds = body.embeds;
		if (Array.isArray(body.components)) message.components = body.components as DiscordComponent[];
		if (body.allowed_mentions !== undefined) message.allowedMentions = body.allowed_mentions;
		const guild = message.guildId ? this.state.guilds.get(message.guildId) : undefined;
		if (guild)
			message.mentionRoleIds = this.pingedRoles(guild, message.content, message.allowedMentions);
		message.flags &= ~MESSAGE_FLAGS.loading;
		// Completing a deferred answer is its first content, not an edit.
		if (!wasLoading) message.editedAtMs = this.state.clock.now();
	}

	private store(
		fields: Pick<
			DiscordMessage,
			| 'channelId'
			| 'guildId'
			| 'content'
			| 'embeds'
			| 'components'
			| 'flags'
			| 'mentionRoleIds'
			| 'allowedMentions'
		>,
		{ interaction }: MessageOrigin,
	): DiscordMessage {
		const message: DiscordMessage = {
			...fields,
			id: this.state.snowflakes.next(),
			authorId: this.state.botUser.id,
			createdAtMs: this.state.clock.now(),
			editedAtMs: null,
			deleted: false,
			...(interaction
				? {
						// Interaction answers come from the application's webhook.
						webhookId: this.state.applicationId,
						interaction,
						...((fields.flags & MESSAGE_FLAGS.ephemeral) !== 0
							? { visibleOnlyTo: interaction.userId }
							: {}),
					}
				: {}),
		};
		this.state.messages.set(message.id, message);
		const channel = this.state.findChannel(message.channelId);
		if (channel) channel.lastMessageId = message.id;
		return message;
	}

	/**
	 * Roles a message pings: mentioned as `<@&id>`, let through by `allowed_mentions` (all
	 * parsed mentions when it is absent), and either mentionable or pinged by a bot with
	 * Mention Everyone. A mention that pings nobody still shows as text.
	 */
	private pingedRoles(guild: DiscordGuild, content: string, allowedMentions: unknown): string[] {
		const mentioned = [...content.matchAll(/<@&(\d+)>/g)].map((match) => match[1]);
		let allowed = mentioned;
		if (allowedMentions !== null && typeof allowedMentions === 'object') {
			const { parse, roles } = allowedMentions as { parse?: unknown; roles?: unknown };
			const parsesRoles = Array.isArray(parse) && parse.includes('roles');
			if (parsesRoles && Array.isArray(roles) && roles.length > 0) {
				throw invalidFormBody(
					'allowed_mentions',
					'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
					'parse:["roles"] and roles: [ids] are mutually exclusive.',
				);
			}
			allowed = parsesRoles
				? mentioned
				: mentioned.filter((id) => Array.isArray(roles) && roles.includes(id));
		}
		const canPingAll =
			(this.state.permissionsOf(guild, this.state.botUser.id) & PERMISSIONS.mentionEveryone) !== 0n;
		return [...new Set(allowed)].filter((id) => {
			const role = guild.roles.get(id);
			return role !== undefined && (role.mentionable || canPingAll);
		});
	}
}

function checkLength(content: string): void {
	if (content.length > MAX_CONTENT_CHARS) {
		throw invalidFormBody(
			'content',
			'BASE_TYPE_BAD_LENGTH',
			`Must be ${MAX_CONTENT_CHARS} or fewer in length.`,
		);
	}
}
