import type { StandInRequest, StandInResponse } from '../core/http-stand-in';
import type { CommandRegistry } from './discord-command-registry';
import { invocationOptions } from './discord-commands';
import { DiscordApiError, alreadyAcknowledged, invalidFormBody, unknown } from './discord-errors';
import type { DiscordMessages } from './discord-messages';
import {
	CHANNEL_TYPES,
	MESSAGE_FLAGS,
	memberPayload,
	randomToken,
	userPayload,
	type DiscordComponent,
	type DiscordMessage,
} from './discord-model';
import { bodyOf } from './discord-routes';
import type { DiscordState } from './discord-state';

/** Discord drops an interaction nobody answered within 3 seconds. */
const ANSWER_WITHIN_MS = 3000;
/** Interaction tokens (edits, follow-ups) stay valid for 15 minutes. */
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const INTERACTION_TYPES = { command: 2, component: 3 } as const;
/** Callback types (Discord's numbering). */
const CALLBACK = {
	message: 4,
	deferredMessage: 5,
	deferredUpdate: 6,
	updateMessage: 7,
	modal: 9,
} as const;

export interface InteractionCallbackRecord {
	type: number;
	data?: Record<string, unknown>;
	atMs: number;
}

/** An interaction as a test reads it back: what the user did and every answer the bot gave. */
export interface DiscordInteractionView {
	id: string;
	token: string;
	type: 'command' | 'component';
	userId: string;
	/** Absent for interactions in a DM with the bot. */
	guildId?: string;
	channelId: string;
	commandName?: string;
	customId?: string;
	callbacks: InteractionCallbackRecord[];
	/** The message the first answer produced or updated, as it stands after any edits. */
	response?: DiscordMessage;
	followUps: DiscordMessage[];
}

interface Interaction {
	id: string;
	token: string;
	type: number;
	userId: string;
	guildId?: string;
	channelId: string;
	commandName?: string;
	customId?: string;
	/** The message a button sat on (component interactions). */
	sourceMessageId?: string;
	createdAtMs: number;
	callbacks: InteractionCallbackRecord[];
	responseMessageId?: string;
	followUpIds: string[];
}

/**
 * Slash commands and button presses, both ends: users acting (the test API sends
 * INTERACTION_CREATE) and the bot answering through the callback endpoint and the
 * interaction webhook, with Discord's 3-second and 15-minute limits by the sandbox clock.
 */
export class DiscordInteractions {
	private readonly interactions = new Map<string, Interaction>();
	/** Webhook URLs name an interaction by its token alone. */
	private readonly byToken = new Map<string, Interaction>();

	constructor(
		private readonly state: DiscordState,
		private readonly messages: DiscordMessages,
		private readonly commands: CommandRegistry,
	) {}

	/**
	 * A user runs a registered slash command in a guild channel (the guild's first text
	 * channel unless named) or in their DM with the bot. Options are `{ name: value }`,
	 * typed by the registered definition.
	 */
	runCommand(
		userId: string,
		name: string,
		options: Record<string, string | number | boolean>,
		where: { guildId?: string; channelId?: string; inDm?: boolean },
	): { id: string; token: string } {
		this.state.userOrThrow(userId);
		const guild = where.inDm ? undefined : this.state.guildOrThrow(where.guildId);
		if (guild && !guild.members.has(userId)) {
			throw new Error(`user ${userId} is not a member of guild ${guild.id}`);
		}
		const command = this.commands.usable(name, guild ? { guildId: guild.id } : 'dm');
		if (!command) {
			throw new Error(
				guild
					? `no slash command /${name} is registered for guild ${guild.id} or globally`
					: `no global slash command /${name} is usable in DMs with the bot`,
			);
		}
		const invocation = invocationOptions(command, options);
		const guildChannel = guild
			? where.channelId
				? guild.channels.get(where.channelId)
				: [...guild.channels.values()].find(
						(candidate) => candidate.type === CHANNEL_TYPES.guildText,
					)
			: undefined;
		if (guild && !guildChannel) {
			throw new Error(`guild ${guild.id} has no text channel ${where.channelId ?? ''}`);
		}
		// Checked everything first: a DM channel is opened only for a command that will run.
		const channelId = guildChannel?.id ?? this.state.dmChannelWith(userId).id;
		const guildId = guild?.id;
		const interaction = this.open({
			type: INTERACTION_TYPES.command,
			userId,
			guildId,
			channelId,
			commandName: name,
		});
		this.state.dispatch('INTERACTION_CREATE', {
			...this.basePayload(interaction),
			data: {
				id: command.id,
				name: command.name,
				type: command.type,
				...(command.guildId ? { guild_id: command.guildId } : {}),
				...(invocation.length > 0 ? { options: invocation } : {}),
			},
		});
		return { id: interaction.id, token: interaction.token };
	}

	/** A user presses a button on `messageId`, or on the newest message they can see that carries `customId`. */
	press(userId: string, customId: string, messageId?: string): { id: string; token: string } {
		this.state.userOrThrow(userId);
		const candidates = messageId
			? [this.state.messages.get(messageId)].filter((message) => message !== undefined)
			: [...this.state.messages.values()].reverse();
		const message = candidates.find(
			(candidate) =>
				!candidate.deleted &&
				(candidate.visibleOnlyTo === undefined || candidate.visibleOnlyTo === userId) &&
				findComponent(candidate.components, customId) !== undefined,
		);
		if (!message) throw new Error(`user ${userId} sees no message with a button "${customId}"`);
		if (message.guildId && !this.state.guilds.get(message.guildId)?.members.has(userId)) {
			throw new Error(`user ${userId} is not a member of guild ${message.guildId}`);
		}
		const interaction = this.open({
			type: INTERACTION_TYPES.component,
			userId,
			guildId: message.guildId,
			channelId: message.channelId,
			customId,
			sourceMessageId: message.id,
		});
		this.state.dispatch('INTERACTION_CREATE', {
			...this.basePayload(interaction),
			data: {
				custom_id: customId,
				component_type: findComponent(message.components, customId)!.type,
			},
			message: this.state.messageWire(message),
		});
		return { id: interaction.id, token: interaction.token };
	}

	view(id: string): DiscordInteractionView {
		const interaction = this.interactions.get(id);
		if (!interaction) throw new Error(`no interaction ${id}`);
		const messageOf = (messageId: string | undefined): DiscordMessage | undefined => {
			const message = messageId ? this.state.messages.get(messageId) : undefined;
			return message && !message.deleted ? structuredClone(message) : undefined;
		};
		return {
			id: interaction.id,
			token: interaction.token,
			type: interaction.type === INTERACTION_TYPES.command ? 'command' : 'component',
			userId: interaction.userId,
			guildId: interaction.guildId,
			channelId: interaction.channelId,
			commandName: interaction.commandName,
			customId: interaction.customId,
			callbacks: structuredClone(interaction.callbacks),
			response: messageOf(interaction.responseMessageId),
			followUps: interaction.followUpIds
				.map((messageId) => messageOf(messageId))
				.filter((message) => message !== undefined),
		};
	}

	/** POST /interactions/{id}/{token}/callback: the bot's one initial answer. */
	callback(params: Record<string, string>, request: StandInRequest): StandInResponse {
		const interaction = this.interactions.get(params.interactionId);
		if (!interaction || interaction.token !== params.token) throw unknown('interaction');
		if (interaction.callbacks.length > 0) throw alreadyAcknowledged();
		if (this.state.clock.now() - interaction.createdAtMs > ANSWER_WITHIN_MS) {
			throw unknown('interaction');
		}
		const body = bodyOf(request);
		const data =
			body.data !== null && typeof body.data === 'object' && !Array.isArray(body.data)
				? (body.data as Record<string, unknown>)
				: undefined;
		const origin = { interaction: this.originOf(interaction) };
		switch (body.type) {
			case CALLBACK.message:
				interaction.responseMessageId = this.messages.create(
					interaction.channelId,
					data ?? {},
					origin,
				).id;
				break;
			case CALLBACK.deferredMessage: {
				const ephemeral = (Number(data?.flags ?? 0) & MESSAGE_FLAGS.ephemeral) !== 0;
				interaction.responseMessageId = this.messages.createLoading(
					interaction.channelId,
					ephemeral,
					origin,
				).id;
				break;
			}
			case CALLBACK.deferredUpdate:
			case CALLBACK.updateMessage:
				// Only a component's message can be updated in place.
				if (interaction.type !== INTERACTION_TYPES.component) {
					throw invalidFormBody(
						'type',
						'INTERACTION_RESPONSE_TYPE_INVALID',
						'Interaction response type is invalid',
					);
				}
				interaction.responseMessageId = interaction.sourceMessageId;
				if (body.type === CALLBACK.updateMessage) {
					this.messages.edit(this.state.messages.get(interaction.sourceMessageId!)!, data ?? {});
				}
				break;
			case CALLBACK.modal:
				break;
			default:
				throw invalidFormBody(
					'type',
					'BASE_TYPE_CHOICES',
					'Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.',
				);
		}
		interaction.callbacks.push({ type: body.type, data, atMs: this.state.clock.now() });
		if (request.query.get('with_response') !== 'true') return { status: 204 };
		return { status: 200, body: this.callbackResponse(interaction, body.type) };
	}

	/** GET, PATCH or DELETE /webhooks/{app}/{token}/messages/{id | @original}. */
	webhookMessage(params: Record<string, string>): DiscordMessage {
		const interaction = this.webhookInteraction(params);
		const messageId =
			params.messageId === '@original' ? interaction.responseMessageId : params.messageId;
		const owned =
			messageId === interaction.responseMessageId ||
			interaction.followUpIds.includes(messageId ?? '');
		const message = messageId && owned ? this.state.messages.get(messageId) : undefined;
		if (!message || message.deleted) throw unknown('Message');
		return message;
	}

	/** POST /webhooks/{app}/{token}: a follow-up message (answered only with `?wait=true`). */
	followUp(params: Record<string, string>, request: StandInRequest): StandInResponse {
		const interaction = this.webhookInteraction(params);
		const message = this.messages.create(interaction.channelId, bodyOf(request), {
			interaction: this.originOf(interaction),
		});
		interaction.followUpIds.push(message.id);
		return request.query.get('wait') === 'true'
			? { status: 200, body: this.state.messageWire(message) }
			: { status: 204 };
	}

	private open(
		setup: Pick<
			Interaction,
			'type' | 'userId' | 'guildId' | 'channelId' | 'commandName' | 'customId' | 'sourceMessageId'
		>,
	): Interaction {
		const interaction: Interaction = {
			...setup,
			id: this.state.snowflakes.next(),
			// Interaction tokens are long opaque strings that clients only pass back.
			token: `aW50ZXJhY3Rpb246${randomToken(90)}`,
			createdAtMs: this.state.clock.now(),
			callbacks: [],
			followUpIds: [],
		};
		this.interactions.set(interaction.id, interaction);
		this.byToken.set(interaction.token, interaction);
		return interaction;
	}

	private originOf(interaction: Interaction): { id: string; type: number; userId: string } {
		return { id: interaction.id, type: interaction.type, userId: interaction.userId };
	}

	/** The fields every INTERACTION_CREATE carries, in a guild (member) or in a DM (user). */
	private basePayload(interaction: Interaction): Record<string, unknown> {
		const { state } = this;
		const user = state.users.get(interaction.userId)!;
		const common = {
			id: interaction.id,
			application_id: state.applicationId,
			type: interaction.type,
			token: interaction.token,
			version: 1,
			channel_id: interaction.channelId,
			channel: state.channelWire(state.findChannel(interaction.channelId)!),
			locale: 'en-US',
			entitlements: [],
			attachment_size_limit: 10_485_760,
		};
		if (!interaction.guildId) {
			return {
				...common,
				user: userPayload(user),
				app_permissions: '0',
				authorizing_integration_owners: { '0': '0' },
				context: 1,
			};
		}
		const guild = state.guilds.get(interaction.guildId)!;
		return {
			...common,
			guild_id: guild.id,
			guild: { id: guild.id, locale: 'en-US', features: [] },
			guild_locale: 'en-US',
			member: {
				...memberPayload(guild.members.get(interaction.userId)!, user),
				permissions: state.permissionsOf(guild, interaction.userId).toString(),
			},
			app_permissions: state.permissionsOf(guild, state.botUser.id).toString(),
			authorizing_integration_owners: { '0': guild.id },
			context: 0,
		};
	}

	/** The body of a callback asked `with_response=true`. */
	private callbackResponse(
		interaction: Interaction,
		callbackType: number,
	): Record<string, unknown> {
		const response = interaction.responseMessageId
			? this.state.messages.get(interaction.responseMessageId)
			: undefined;
		return {
			interaction: {
				id: interaction.id,
				type: interaction.type,
				...(response
					? {
							response_message_id: response.id,
							response_message_loading: (response.flags & MESSAGE_FLAGS.loading) !== 0,
							response_message_ephemeral: (response.flags & MESSAGE_FLAGS.ephemeral) !== 0,
						}
					: {}),
			},
			resource: response
				? { type: callbackType, message: this.state.messageWire(response) }
				: { type: callbackType },
		};
	}

	/** The interaction a webhook URL names, while its token is valid and after it was acknowledged. */
	private webhookInteraction(params: Record<string, string>): Interaction {
		const interaction = this.byToken.get(params.token);
		if (
			params.webhookId !== this.state.applicationId ||
			!interaction ||
			interaction.callbacks.length === 0
		) {
			throw unknown('Webhook');
		}
		if (this.state.clock.now() - interaction.createdAtMs > TOKEN_LIFETIME_MS) {
			throw new DiscordApiError(401, 50027, 'Invalid Webhook Token');
		}
		return interaction;
	}
}

function findComponent(
	components: DiscordComponent[],
	customId: string,
): DiscordComponent | undefined {
	for (const component of components) {
		if (component.custom_id === customId) return component;
		const inner = component.components ? findComponent(component.components, customId) : undefined;
		if (inner) return inner;
	}
	return undefined;
}
