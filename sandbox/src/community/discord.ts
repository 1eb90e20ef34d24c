import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import {
	COMMAND_TYPES,
	commandPayload,
	invocationOptions,
	parseCommand,
	parseCommandList,
	type CommandDefinition,
	type RegisteredCommand,
} from './discord-commands';
import {
	DiscordApiError,
	alreadyAcknowledged,
	cannotMessageUser,
	emptyMessage,
	invalidFormBody,
	methodNotAllowed,
	missingAccess,
	missingPermissions,
	notFound,
	unauthorized,
	unknown,
} from './discord-errors';
import { DiscordGateway, type GatewaySessionInfo } from './discord-gateway';
import {
	CHANNEL_TYPES,
	INTENTS,
	MESSAGE_FLAGS,
	PERMISSIONS,
	Snowflakes,
	channelPayload,
	guildCreatePayload,
	guildPayload,
	invitePayload,
	memberPayload,
	messagePayload,
	randomToken,
	rolePayload,
	userPayload,
	type DiscordChannel,
	type DiscordComponent,
	type DiscordGuild,
	type DiscordInvite,
	type DiscordMember,
	type DiscordMessage,
	type DiscordRole,
	type DiscordUser,
} from './discord-model';
import { DiscordRateLimits, type RouteBudget } from './discord-rate-limits';
import { RouteTable, arrayBodyOf, bodyOf, type RouteCall } from './discord-routes';

const API_PREFIX = '/api/v10';
const MAX_CONTENT_CHARS = 2000;
/** Discord drops an interaction nobody answered within 3 seconds. */
const INTERACTION_ANSWER_MS = 3000;
/** Interaction tokens (replies, edits, follow-ups) stay valid for 15 minutes. */
const INTERACTION_TOKEN_MS = 15 * 60 * 1000;
/** Messages to one channel: 5 per 5 seconds, as Discord meters them. */
const CHANNEL_MESSAGE_BUDGET: RouteBudget = { limit: 5, windowMs: 5000 };
/** Callback types (Discord's numbering). */
const CALLBACK = {
	message: 4,
	deferredMessage: 5,
	deferredUpdate: 6,
	updateMessage: 7,
	modal: 9,
} as const;
const INTERACTION_TYPES = { command: 2, component: 3 } as const;
const BOT_ROLE_PERMISSIONS =
	PERMISSIONS.createInstantInvite |
	PERMISSIONS.viewChannel |
	PERMISSIONS.sendMessages |
	PERMISSIONS.mentionEveryone |
	PERMISSIONS.manageRoles;
const EVERYONE_PERMISSIONS =
	PERMISSIONS.createInstantInvite | PERMISSIONS.viewChannel | PERMISSIONS.sendMessages;

export interface DiscordStandInOptions {
	token: string;
	applicationId: string;
	botUsername?: string;
	clock?: SandboxClock;
	/** The bot's global budget (Discord's is 50 requests per second). */
	globalRequestsPerSecond?: number;
	/** Per-route bucket budgets by route template (`POST /channels/:channelId/messages`); others get the global rate. */
	routeBudgets?: Record<string, RouteBudget>;
	/** HELLO's heartbeat interval. */
	heartbeatIntervalMs?: number;
}

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
	guildId?: string;
	channelId: string;
	commandName?: string;
	customId?: string;
	callbacks: InteractionCallbackRecord[];
	/** The message the first answer produced or updated, as it stands after any edits. */
	response?: DiscordMessage;
	followUps: DiscordMessage[];
}

interface InteractionState {
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

export interface RequestLogEntry {
	method: string;
	path: string;
	status: number;
	atMs: number;
}

/**
 * Discord on loopback: the REST API under /api/v10 (bot auth, rate limits with Discord's
 * headers and 429 bodies, commands, interaction answers, roles with the hierarchy rule,
 * DMs, announcements, invites) and the gateway on /gateway of the same port, with a
 * test API to set up a guild, act as its members and read back what the bot did.
 */
export class DiscordStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	readonly gateway: DiscordGateway;
	readonly botUser: DiscordUser;
	private readonly snowflakes: Snowflakes;
	private readonly routes = new RouteTable();
	private readonly rateLimits: DiscordRateLimits;
	private readonly users = new Map<string, DiscordUser>();
	private readonly guilds = new Map<string, DiscordGuild>();
	private readonly dmChannels = new Map<string, DiscordChannel>();
	private readonly messages = new Map<string, DiscordMessage>();
	private readonly invitesByCode = new Map<string, DiscordInvite>();
	private readonly globalCommands = new Map<string, RegisteredCommand>();
	private readonly guildCommands = new Map<string, Map<string, RegisteredCommand>>();
	private readonly interactions = new Map<string, InteractionState>();
	private readonly dmBlockers = new Set<string>();
	private readonly log: RequestLogEntry[] = [];
	private invalidCount = 0;

	constructor(private readonly options: DiscordStandInOptions) {
		this.clock = options.clock ?? new SandboxClock();
		this.snowflakes = new Snowflakes(() => this.clock.now());
		const globalRequestsPerSecond = options.globalRequestsPerSecond ?? 50;
		const budgets: Record<string, RouteBudget> = {
			'POST /channels/:channelId/messages': CHANNEL_MESSAGE_BUDGET,
			...options.routeBudgets,
		};
		this.rateLimits = new DiscordRateLimits(
			globalRequestsPerSecond,
			(template) => budgets[template] ?? { limit: globalRequestsPerSecond, windowMs: 1000 },
		);
		this.botUser = {
			id: options.applicationId,
			username: options.botUsername ?? 'Fanloop',
			globalName: null,
			bot: true,
		};
		this.users.set(this.botUser.id, this.botUser);
		this.gateway = new DiscordGateway(
			{
				token: options.token,
				ready: (sessionId, resumeGatewayUrl) => this.readyPayload(sessionId, resumeGatewayUrl),
				guildCreates: (intents) =>
					[...this.guilds.values()].map((guild) => this.guildCreate(guild, intents)),
				membersChunk: (request) => this.membersChunk(request),
			},
			options.heartbeatIntervalMs ?? 41_250,
			() => this.clock.now(),
		);
		this.server = new HttpStandIn('Discord', (request) => this.handle(request), this.clock, {
			rateLimited: (retryAfterSeconds) =>
				this.recorded('INJECTED', 'fault', {
					status: 429,
					headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-scope': 'user' },
					body: {
						message: 'You are being rate limited.',
						retry_after: retryAfterSeconds,
						global: false,
					},
				}),
			unavailable: () =>
				this.recorded('INJECTED', 'fault', {
					status: 502,
					body: { message: '502: Bad Gateway', code: 0 },
				}),
		});
		this.server.onUpgrade((request: IncomingMessage, socket: Duplex, head: Buffer) =>
			this.gateway.upgrade(request, socket, head),
		);
		this.declareRoutes();
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	async stop(): Promise<void> {
		await this.gateway.close();
		await this.server.stop();
	}

	/** What discord.js takes as `rest.api`: `http://127.0.0.1:PORT/api`. */
	get apiRoot(): string {
		return `${this.server.url}/api`;
	}

	get gatewayUrl(): string {
		return `${this.server.url.replace(/^http/, 'ws')}/gateway`;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	// ---- setup -------------------------------------------------------------------------------

	/** A guild with its @everyone role, a managed role for the bot (Manage Roles and friends) and the bot as a member. */
	addGuild(setup: {
		id?: string;
		name: string;
		botRoleId?: string;
		botRolePosition?: number;
	}): DiscordGuild {
		const id = setup.id ?? this.snowflakes.next();
		const nowMs = this.clock.now();
		const guild: DiscordGuild = {
			id,
			name: setup.name,
			ownerId: this.botUser.id,
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
			id: setup.botRoleId ?? this.snowflakes.next(),
			name: this.botUser.username,
			position: setup.botRolePosition ?? 1,
			permissions: BOT_ROLE_PERMISSIONS,
			mentionable: false,
			botId: this.botUser.id,
		};
		guild.roles.set(botRole.id, botRole);
		guild.members.set(this.botUser.id, {
			userId: this.botUser.id,
			roleIds: [botRole.id],
			joinedAtMs: nowMs,
			nick: null,
		});
		this.guilds.set(id, guild);
		this.gateway.dispatch('GUILD_CREATE', this.guildCreate(guild, INTENTS.guilds), INTENTS.guilds);
		return guild;
	}

	addRole(setup: {
		name: string;
		position: number;
		id?: string;
		guildId?: string;
		permissions?: bigint;
		mentionable?: boolean;
	}): DiscordRole {
		const guild = this.guildOrThrow(setup.guildId);
		const role: DiscordRole = {
			id: setup.id ?? this.snowflakes.next(),
			name: setup.name,
			position: setup.position,
			permissions: setup.permissions ?? 0n,
			mentionable: setup.mentionable ?? false,
		};
		guild.roles.set(role.id, role);
		this.gateway.dispatch(
			'GUILD_ROLE_CREATE',
			{ guild_id: guild.id, role: rolePayload(role) },
			INTENTS.guilds,
		);
		return { ...role };
	}

	/** Moves a role up or down the hierarchy (the bot's own role included). */
	moveRole(roleId: string, position: number, guildId?: string): void {
		const guild = this.guildOrThrow(guildId);
		const role = guild.roles.get(roleId);
		if (!role) throw new Error(`no role ${roleId} in guild ${guild.id}`);
		role.position = position;
		this.gateway.dispatch(
			'GUILD_ROLE_UPDATE',
			{ guild_id: guild.id, role: rolePayload(role) },
			INTENTS.guilds,
		);
	}

	botRoleId(guildId?: string): string {
		const guild = this.guildOrThrow(guildId);
		return [...guild.roles.values()].find((role) => role.botId === this.botUser.id)!.id;
	}

	addChannel(setup: {
		name: string;
		id?: string;
		guildId?: string;
		type?: number;
	}): DiscordChannel {
		const guild = this.guildOrThrow(setup.guildId);
		const channel: DiscordChannel = {
			id: setup.id ?? this.snowflakes.next(),
			type: setup.type ?? CHANNEL_TYPES.guildText,
			name: setup.name,
			guildId: guild.id,
			lastMessageId: null,
		};
		guild.channels.set(channel.id, channel);
		this.gateway.dispatch(
			'CHANNEL_CREATE',
			channelPayload(channel, guild.channels.size - 1),
			INTENTS.guilds,
		);
		return { ...channel };
	}

	addUser(username: string, setup: { id?: string; globalName?: string } = {}): DiscordUser {
		const user: DiscordUser = {
			id: setup.id ?? this.snowflakes.next(),
			username,
			globalName: setup.globalName ?? null,
			bot: false,
		};
		this.users.set(user.id, user);
		return { ...user };
	}

	/** Puts a user in a guild directly (as if they were already there); `memberJoins` is the invite path. */
	addMember(userId: string, setup: { guildId?: string; roleIds?: string[] } = {}): void {
		const guild = this.guildOrThrow(setup.guildId);
		this.userOrThrow(userId);
		for (const roleId of setup.roleIds ?? []) {
			if (!guild.roles.has(roleId)) throw new Error(`no role ${roleId} in guild ${guild.id}`);
		}
		const member: DiscordMember = {
			userId,
			roleIds: [...(setup.roleIds ?? [])],
			joinedAtMs: this.clock.now(),
			nick: null,
		};
		guild.members.set(userId, member);
		this.gateway.dispatch(
			'GUILD_MEMBER_ADD',
			{ ...memberPayload(member, this.users.get(userId)!), guild_id: guild.id },
			INTENTS.guildMembers,
		);
	}

	/** The user closed DMs from this server or blocked the bot: DMs answer 50007 from now on. */
	blockDms(userId: string): void {
		this.dmBlockers.add(userId);
	}

	unblockDms(userId: string): void {
		this.dmBlockers.delete(userId);
	}

	// ---- acting as users ----------------------------------------------------------------------

	/**
	 * A member runs a slash command the application registered (guild commands first, then
	 * global); the bot receives INTERACTION_CREATE. Options are `{ name: value }`, typed by
	 * the registered definition.
	 */
	runCommand(
		userId: string,
		name: string,
		options: Record<string, string | number | boolean> = {},
		where: { guildId?: string; channelId?: string } = {},
	): { id: string; token: string } {
		const guild = this.guildOrThrow(where.guildId);
		const member = guild.members.get(userId);
		if (!member) throw new Error(`user ${userId} is not a member of guild ${guild.id}`);
		const command =
			[...(this.guildCommands.get(guild.id)?.values() ?? [])].find(
				(candidate) => candidate.name === name && candidate.type === COMMAND_TYPES.chatInput,
			) ??
			[...this.globalCommands.values()].find(
				(candidate) => candidate.name === name && candidate.type === COMMAND_TYPES.chatInput,
			);
		if (!command) {
			throw new Error(`no slash command /${name} is registered for guild ${guild.id} or globally`);
		}
		const channel = where.channelId
			? guild.channels.get(where.channelId)
			: [...guild.channels.values()].find(
					(candidate) => candidate.type === CHANNEL_TYPES.guildText,
				);
		if (!channel) throw new Error(`guild ${guild.id} has no text channel ${where.channelId ?? ''}`);
		const invocation = invocationOptions(command, options);
		const interaction = this.openInteraction({
			type: INTERACTION_TYPES.command,
			userId,
			guildId: guild.id,
			channelId: channel.id,
			commandName: name,
		});
		this.gateway.dispatch('INTERACTION_CREATE', {
			...this.interactionBase(interaction),
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

	/**
	 * A user presses a button: on `messageId`, or on the newest message they can see that
	 * carries `customId`. The bot receives INTERACTION_CREATE type 3.
	 */
	press(userId: string, customId: string, messageId?: string): { id: string; token: string } {
		this.userOrThrow(userId);
		const candidates = messageId
			? [this.messages.get(messageId)].filter((message) => message !== undefined)
			: [...this.messages.values()].reverse();
		const message = candidates.find(
			(candidate) =>
				!candidate.deleted &&
				(candidate.visibleOnlyTo === undefined || candidate.visibleOnlyTo === userId) &&
				findButton(candidate.components, customId) !== undefined,
		);
		if (!message) throw new Error(`user ${userId} sees no message with a button "${customId}"`);
		if (message.guildId && !this.guilds.get(message.guildId)?.members.has(userId)) {
			throw new Error(`user ${userId} is not a member of guild ${message.guildId}`);
		}
		const interaction = this.openInteraction({
			type: INTERACTION_TYPES.component,
			userId,
			guildId: message.guildId,
			channelId: message.channelId,
			customId,
			sourceMessageId: message.id,
		});
		this.gateway.dispatch('INTERACTION_CREATE', {
			...this.interactionBase(interaction),
			data: { custom_id: customId, component_type: findButton(message.components, customId)!.type },
			message: this.messageWire(message),
		});
		return { id: interaction.id, token: interaction.token };
	}

	/**
	 * A user accepts an invite: they become a member (GUILD_MEMBER_ADD), the invite counts
	 * the use, and an invite that reached its max uses is deleted (INVITE_DELETE).
	 */
	memberJoins(userId: string, inviteCode: string): void {
		this.userOrThrow(userId);
		const invite = this.liveInvite(inviteCode);
		if (!invite) throw new Error(`invite ${inviteCode} does not exist or has expired`);
		const guild = this.guilds.get(invite.guildId)!;
		if (guild.members.has(userId))
			throw new Error(`user ${userId} is already in guild ${guild.id}`);
		invite.uses += 1;
		this.addMember(userId, { guildId: guild.id });
		if (invite.maxUses > 0 && invite.uses >= invite.maxUses) this.deleteInvite(invite);
	}

	memberLeaves(userId: string, guildId?: string): void {
		const guild = this.guildOrThrow(guildId);
		if (!guild.members.delete(userId))
			throw new Error(`user ${userId} is not in guild ${guild.id}`);
		this.gateway.dispatch(
			'GUILD_MEMBER_REMOVE',
			{ guild_id: guild.id, user: userPayload(this.users.get(userId)!) },
			INTENTS.guildMembers,
		);
	}

	// ---- read-back ----------------------------------------------------------------------------

	memberRoles(userId: string, guildId?: string): string[] {
		const member = this.guildOrThrow(guildId).members.get(userId);
		if (!member) throw new Error(`user ${userId} is not a member`);
		return [...member.roleIds];
	}

	/** Messages the bot sent to this user in DMs, oldest first. */
	dms(userId: string): DiscordMessage[] {
		const channel = this.dmChannels.get(userId);
		return channel ? this.channelMessages(channel.id) : [];
	}

	/** Messages everyone in the channel sees (ephemeral answers excluded), oldest first. */
	channelMessages(channelId: string): DiscordMessage[] {
		return [...this.messages.values()]
			.filter(
				(message) => message.channelId === channelId && !message.deleted && !message.visibleOnlyTo,
			)
			.map((message) => structuredClone(message));
	}

	interaction(id: string): DiscordInteractionView {
		const interaction = this.interactions.get(id);
		if (!interaction) throw new Error(`no interaction ${id}`);
		const messageOf = (messageId: string | undefined): DiscordMessage | undefined => {
			const message = messageId ? this.messages.get(messageId) : undefined;
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

	/** Registered commands: global ones, or a guild's. */
	commands(guildId?: string): Array<Record<string, unknown>> {
		const scope = guildId ? this.guildCommands.get(guildId) : this.globalCommands;
		return [...(scope?.values() ?? [])].map(commandPayload);
	}

	/** Invites still usable (not expired, not used up). */
	invites(guildId?: string): DiscordInvite[] {
		const guild = this.guildOrThrow(guildId);
		return [...this.invitesByCode.values()]
			.filter((invite) => invite.guildId === guild.id && this.liveInvite(invite.code))
			.map((invite) => ({ ...invite }));
	}

	requestLog(): RequestLogEntry[] {
		return this.log.map((entry) => ({ ...entry }));
	}

	/** 401, 403 and 429 answers: what Discord counts towards its 10,000-per-10-minutes IP ban. */
	get invalidRequestCount(): number {
		return this.invalidCount;
	}

	gatewaySessions(): GatewaySessionInfo[] {
		return this.gateway.sessionInfo();
	}

	// ---- HTTP ---------------------------------------------------------------------------------

	private handle(request: StandInRequest): StandInResponse {
		if (!request.path.startsWith(API_PREFIX)) {
			return this.recorded(request.method, request.path, notFound().toResponse());
		}
		const path = request.path.slice(API_PREFIX.length);
		const matched = this.routes.match(request.method, path);
		if (matched === undefined || matched === 'wrong_method') {
			const error = matched === undefined ? notFound() : methodNotAllowed();
			return this.recorded(request.method, request.path, error.toResponse());
		}
		const { route, params, majorParameter } = matched;
		if (route.botAuth && request.headers.authorization !== `Bot ${this.options.token}`) {
			return this.recorded(request.method, request.path, unauthorized().toResponse());
		}
		const verdict = this.rateLimits.take(
			{ template: route.template, majorParameter, global: route.botAuth },
			this.clock.now(),
		);
		if (verdict.kind === 'limited') {
			return this.recorded(request.method, request.path, verdict);
		}
		let answer: StandInResponse;
		try {
			answer = route.handle({ request, params });
		} catch (error) {
			if (!(error instanceof DiscordApiError)) throw error;
			answer = error.toResponse();
		}
		return this.recorded(request.method, request.path, {
			...answer,
			headers: { ...verdict.headers, ...answer.headers },
		});
	}

	private recorded(method: string, path: string, answer: StandInResponse): StandInResponse {
		this.log.push({ method, path, status: answer.status, atMs: this.clock.now() });
		if (answer.status === 401 || answer.status === 403 || answer.status === 429)
			this.invalidCount += 1;
		return answer;
	}

	private declareRoutes(): void {
		const ok = (body: unknown): StandInResponse => ({ status: 200, body });
		const noContent: StandInResponse = { status: 204 };
		this.routes
			.add('GET', '/gateway', () => ok({ url: this.gatewayUrl }), false)
			.add('GET', '/gateway/bot', () =>
				ok({
					url: this.gatewayUrl,
					shards: 1,
					session_start_limit: {
						total: 1000,
						remaining: Math.max(1000 - this.gateway.identifyCount, 0),
						reset_after: 86_400_000,
						max_concurrency: 1,
					},
				}),
			)
			.add('GET', '/users/@me', () => ok(userPayload(this.botUser)))
			.add('GET', '/users/:userId', ({ params }) => ok(userPayload(this.userOr404(params.userId))))
			.add('GET', '/applications/@me', () => ok(this.applicationPayload()))
			.add('GET', '/applications/:applicationId/commands', ({ params }) =>
				ok(this.commandScope(params.applicationId).map(commandPayload)),
			)
			.add('PUT', '/applications/:applicationId/commands', ({ params, request }) =>
				ok(
					this.replaceCommands(
						params.applicationId,
						undefined,
						parseCommandList(arrayBodyOf(request)),
					),
				),
			)
			.add('POST', '/applications/:applicationId/commands', ({ params, request }) =>
				this.upsertCommand(params.applicationId, undefined, parseCommand(bodyOf(request), '_')),
			)
			.add('DELETE', '/applications/:applicationId/commands/:commandId', ({ params }) =>
				this.deleteCommand(params.applicationId, undefined, params.commandId),
			)
			.add('GET', '/applications/:applicationId/guilds/:guildId/commands', ({ params }) =>
				ok(this.commandScope(params.applicationId, params.guildId).map(commandPayload)),
			)
			.add('PUT', '/applications/:applicationId/guilds/:guildId/commands', ({ params, request }) =>
				ok(
					this.replaceCommands(
						params.applicationId,
						params.guildId,
						parseCommandList(arrayBodyOf(request)),
					),
				),
			)
			.add('POST', '/applications/:applicationId/guilds/:guildId/commands', ({ params, request }) =>
				this.upsertCommand(
					params.applicationId,
					params.guildId,
					parseCommand(bodyOf(request), '_'),
				),
			)
			.add(
				'DELETE',
				'/applications/:applicationId/guilds/:guildId/commands/:commandId',
				({ params }) => this.deleteCommand(params.applicationId, params.guildId, params.commandId),
			)
			.add(
				'POST',
				'/interactions/:interactionId/:token/callback',
				(call) => this.interactionCallback(call),
				false,
			)
			.add(
				'GET',
				'/webhooks/:webhookId/:token/messages/:messageId',
				({ params }) => ok(this.messageWire(this.webhookMessage(params))),
				false,
			)
			.add(
				'PATCH',
				'/webhooks/:webhookId/:token/messages/:messageId',
				(call) => ok(this.editWebhookMessage(call)),
				false,
			)
			.add(
				'DELETE',
				'/webhooks/:webhookId/:token/messages/:messageId',
				({ params }) => {
					this.webhookMessage(params).deleted = true;
					return noContent;
				},
				false,
			)
			.add('POST', '/webhooks/:webhookId/:token', (call) => this.followUp(call), false)
			.add('GET', '/guilds/:guildId', ({ params }) =>
				ok(guildPayload(this.guildOr404(params.guildId))),
			)
			.add('GET', '/guilds/:guildId/roles', ({ params }) =>
				ok([...this.guildOr404(params.guildId).roles.values()].map(rolePayload)),
			)
			.add('GET', '/guilds/:guildId/channels', ({ params }) =>
				ok(
					[...this.guildOr404(params.guildId).channels.values()].map((channel, index) =>
						channelPayload(channel, index),
					),
				),
			)
			.add('GET', '/guilds/:guildId/members', ({ params, request }) =>
				ok(this.listMembers(params.guildId, request)),
			)
			.add('GET', '/guilds/:guildId/members/:userId', ({ params }) => {
				const guild = this.guildOr404(params.guildId);
				const member = guild.members.get(params.userId);
				if (!member) throw unknown('Member');
				return ok(memberPayload(member, this.users.get(member.userId)!));
			})
			.add('PUT', '/guilds/:guildId/members/:userId/roles/:roleId', ({ params }) => {
				this.changeRole(params.guildId, params.userId, params.roleId, 'grant');
				return noContent;
			})
			.add('DELETE', '/guilds/:guildId/members/:userId/roles/:roleId', ({ params }) => {
				this.changeRole(params.guildId, params.userId, params.roleId, 'revoke');
				return noContent;
			})
			.add('GET', '/guilds/:guildId/invites', ({ params }) => {
				const guild = this.guildOr404(params.guildId);
				return ok(this.invites(guild.id).map((invite) => this.inviteWire(invite)));
			})
			.add('POST', '/users/@me/channels', ({ request }) => ok(this.openDm(bodyOf(request))))
			.add('GET', '/channels/:channelId', ({ params }) =>
				ok(this.channelWire(this.channelOr404(params.channelId))),
			)
			.add('POST', '/channels/:channelId/messages', ({ params, request }) =>
				ok(this.messageWire(this.sendChannelMessage(params.channelId, bodyOf(request)))),
			)
			.add('GET', '/channels/:channelId/messages/:messageId', ({ params }) => {
				const message = this.messages.get(params.messageId);
				if (
					!message ||
					message.deleted ||
					message.channelId !== params.channelId ||
					message.visibleOnlyTo
				) {
					throw unknown('Message');
				}
				return ok(this.messageWire(message));
			})
			.add('POST', '/channels/:channelId/invites', ({ params, request }) =>
				ok(this.inviteWire(this.createInvite(params.channelId, bodyOf(request)))),
			)
			.add('GET', '/channels/:channelId/invites', ({ params }) => {
				const channel = this.channelOr404(params.channelId);
				return ok(
					[...this.invitesByCode.values()]
						.filter((invite) => invite.channelId === channel.id && this.liveInvite(invite.code))
						.map((invite) => this.inviteWire(invite)),
				);
			})
			.add('GET', '/invites/:code', ({ params }) => {
				const invite = this.liveInvite(params.code);
				if (!invite) throw unknown('Invite');
				return ok(this.inviteWire(invite));
			})
			.add('DELETE', '/invites/:code', ({ params }) => {
				const invite = this.liveInvite(params.code);
				if (!invite) throw unknown('Invite');
				this.deleteInvite(invite);
				return ok(this.inviteWire(invite));
			});
	}

	// ---- commands -----------------------------------------------------------------------------

	private commandScope(applicationId: string, guildId?: string): RegisteredCommand[] {
		return [...this.commandMap(applicationId, guildId).values()];
	}

	private commandMap(applicationId: string, guildId?: string): Map<string, RegisteredCommand> {
		if (applicationId !== this.options.applicationId) throw missingAccess();
		if (!guildId) return this.globalCommands;
		// A bot may only manage commands in guilds it is in.
		if (!this.guilds.has(guildId)) throw missingAccess();
		let scope = this.guildCommands.get(guildId);
		if (!scope) {
			scope = new Map();
			this.guildCommands.set(guildId, scope);
		}
		return scope;
	}

	/** PUT replaces the whole list; a command keeping its name and type keeps its id. */
	private replaceCommands(
		applicationId: string,
		guildId: string | undefined,
		definitions: CommandDefinition[],
	): Array<Record<string, unknown>> {
		const scope = this.commandMap(applicationId, guildId);
		const previous = [...scope.values()];
		scope.clear();
		for (const definition of definitions) {
			const kept = previous.find(
				(command) => command.name === definition.name && command.type === definition.type,
			);
			const command = this.registered(definition, guildId, kept?.id);
			scope.set(command.id, command);
		}
		return [...scope.values()].map(commandPayload);
	}

	private upsertCommand(
		applicationId: string,
		guildId: string | undefined,
		definition: CommandDefinition,
	): StandInResponse {
		const scope = this.commandMap(applicationId, guildId);
		const existing = [...scope.values()].find(
			(command) => command.name === definition.name && command.type === definition.type,
		);
		const command = this.registered(definition, guildId, existing?.id);
		scope.set(command.id, command);
		// 201 for a new command, 200 when one with that name was overwritten.
		return { status: existing ? 200 : 201, body: commandPayload(command) };
	}

	private deleteCommand(
		applicationId: string,
		guildId: string | undefined,
		commandId: string,
	): StandInResponse {
		if (!this.commandMap(applicationId, guildId).delete(commandId))
			throw unknown('application command');
		return { status: 204 };
	}

	private registered(
		definition: CommandDefinition,
		guildId: string | undefined,
		id?: string,
	): RegisteredCommand {
		return {
			...definition,
			id: id ?? this.snowflakes.next(),
			applicationId: this.options.applicationId,
			guildId,
			version: this.snowflakes.next(),
		};
	}

	// ---- interactions -------------------------------------------------------------------------

	private openInteraction(
		setup: Pick<
			InteractionState,
			'type' | 'userId' | 'guildId' | 'channelId' | 'commandName' | 'customId' | 'sourceMessageId'
		>,
	): InteractionState {
		const interaction: InteractionState = {
			...setup,
			id: this.snowflakes.next(),
			// Interaction tokens are long opaque strings; discord.js only passes them back.
			token: `aW50ZXJhY3Rpb246${randomToken(90)}`,
			createdAtMs: this.clock.now(),
			callbacks: [],
			followUpIds: [],
		};
		this.interactions.set(interaction.id, interaction);
		return interaction;
	}

	/** The fields every INTERACTION_CREATE carries, in a guild (member) or a DM (user). */
	private interactionBase(interaction: InteractionState): Record<string, unknown> {
		const user = this.users.get(interaction.userId)!;
		const common = {
			id: interaction.id,
			application_id: this.options.applicationId,
			type: interaction.type,
			token: interaction.token,
			version: 1,
			channel_id: interaction.channelId,
			locale: 'en-US',
			entitlements: [],
			attachment_size_limit: 10_485_760,
		};
		if (!interaction.guildId) {
			return {
				...common,
				channel: this.channelWire(this.dmChannels.get(interaction.userId)!),
				user: userPayload(user),
				app_permissions: EVERYONE_PERMISSIONS.toString(),
				authorizing_integration_owners: { '0': '0' },
				context: 1,
			};
		}
		const guild = this.guilds.get(interaction.guildId)!;
		const member = guild.members.get(interaction.userId)!;
		return {
			...common,
			guild_id: guild.id,
			guild: { id: guild.id, locale: 'en-US', features: [] },
			guild_locale: 'en-US',
			channel: this.channelWire(guild.channels.get(interaction.channelId)!),
			member: {
				...memberPayload(member, user),
				permissions: this.permissionsOf(guild, interaction.userId).toString(),
			},
			app_permissions: this.permissionsOf(guild, this.botUser.id).toString(),
			authorizing_integration_owners: { '0': guild.id },
			context: 0,
		};
	}

	private interactionCallback({ params, request }: RouteCall): StandInResponse {
		const interaction = this.interactions.get(params.interactionId);
		if (!interaction || interaction.token !== params.token) throw unknown('interaction');
		if (interaction.callbacks.length > 0) throw alreadyAcknowledged();
		if (this.clock.now() - interaction.createdAtMs > INTERACTION_ANSWER_MS)
			throw unknown('interaction');
		const body = bodyOf(request);
		const data =
			body.data !== null && typeof body.data === 'object' && !Array.isArray(body.data)
				? (body.data as Record<string, unknown>)
				: undefined;
		const isComponent = interaction.type === INTERACTION_TYPES.component;
		switch (body.type) {
			case CALLBACK.message: {
				const message = this.newMessage(interaction.channelId, data ?? {}, {
					interaction,
					ephemeralAllowed: true,
				});
				interaction.responseMessageId = message.id;
				break;
			}
			case CALLBACK.deferredMessage: {
				const flags = Number((data?.flags as number | undefined) ?? 0) & MESSAGE_FLAGS.ephemeral;
				const message = this.storeMessage({
					channelId: interaction.channelId,
					guildId: interaction.guildId,
					content: '',
					embeds: [],
					components: [],
					flags: flags | MESSAGE_FLAGS.loading,
					mentionRoleIds: [],
					interaction,
				});
				interaction.responseMessageId = message.id;
				break;
			}
			case CALLBACK.deferredUpdate:
			case CALLBACK.updateMessage: {
				if (!isComponent) {
					throw invalidFormBody(
						'type',
						'INTERACTION_RESPONSE_TYPE_INVALID',
						'Interaction response type is invalid',
					);
				}
				interaction.responseMessageId = interaction.sourceMessageId;
				if (body.type === CALLBACK.updateMessage) {
					this.editMessage(this.messages.get(interaction.sourceMessageId!)!, data ?? {});
				}
				break;
			}
			case CALLBACK.modal:
				break;
			default:
				throw invalidFormBody(
					'type',
					'BASE_TYPE_CHOICES',
					'Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.',
				);
		}
		interaction.callbacks.push({ type: body.type, data, atMs: this.clock.now() });
		if (request.query.get('with_response') !== 'true') return { status: 204 };
		const response = interaction.responseMessageId
			? this.messages.get(interaction.responseMessageId)
			: undefined;
		return {
			status: 200,
			body: {
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
					? { type: body.type, message: this.messageWire(response) }
					: { type: body.type },
			},
		};
	}

	/** The interaction a webhook URL names, while its token is valid and after it was acknowledged. */
	private webhookInteraction(params: Record<string, string>): InteractionState {
		const interaction = [...this.interactions.values()].find(
			(candidate) => candidate.token === params.token,
		);
		if (
			params.webhookId !== this.options.applicationId ||
			!interaction ||
			interaction.callbacks.length === 0
		) {
			throw unknown('Webhook');
		}
		if (this.clock.now() - interaction.createdAtMs > INTERACTION_TOKEN_MS) {
			throw new DiscordApiError(401, 50027, 'Invalid Webhook Token');
		}
		return interaction;
	}

	private webhookMessage(params: Record<string, string>): DiscordMessage {
		const interaction = this.webhookInteraction(params);
		const messageId =
			params.messageId === '@original' ? interaction.responseMessageId : params.messageId;
		const owned =
			messageId === interaction.responseMessageId ||
			interaction.followUpIds.includes(messageId ?? '');
		const message = messageId && owned ? this.messages.get(messageId) : undefined;
		if (!message || message.deleted) throw unknown('Message');
		return message;
	}

	private editWebhookMessage(call: RouteCall): Record<string, unknown> {
		const message = this.webhookMessage(call.params);
		this.editMessage(message, bodyOf(call.request));
		return this.messageWire(message);
	}

	private followUp({ params, request }: RouteCall): StandInResponse {
		const interaction = this.webhookInteraction(params);
		const message = this.newMessage(interaction.channelId, bodyOf(request), {
			interaction,
			ephemeralAllowed: true,
		});
		interaction.followUpIds.push(message.id);
		return request.query.get('wait') === 'true'
			? { status: 200, body: this.messageWire(message) }
			: { status: 204 };
	}

	// ---- messages -----------------------------------------------------------------------------

	private sendChannelMessage(channelId: string, body: Record<string, unknown>): DiscordMessage {
		const channel = this.channelOr404(channelId);
		if (channel.type === CHANNEL_TYPES.dm) {
			const recipientId = channel.recipientId!;
			const sharesGuild = [...this.guilds.values()].some((guild) => guild.members.has(recipientId));
			if (this.dmBlockers.has(recipientId) || !sharesGuild) throw cannotMessageUser();
		}
		return this.newMessage(channel.id, body, {});
	}

	/** Validates a message body and stores it, working out which roles it really pings. */
	private newMessage(
		channelId: string,
		body: Record<string, unknown>,
		context: { interaction?: InteractionState; ephemeralAllowed?: boolean },
	): DiscordMessage {
		const content = body.content ?? '';
		if (typeof content !== 'string') {
			throw invalidFormBody(
				'content',
				'BASE_TYPE_STRING',
				'Could not interpret the value as string.',
			);
		}
		if (content.length > MAX_CONTENT_CHARS) {
			throw invalidFormBody(
				'content',
				'BASE_TYPE_BAD_LENGTH',
				`Must be ${MAX_CONTENT_CHARS} or fewer in length.`,
			);
		}
		const embeds = Array.isArray(body.embeds) ? body.embeds : [];
		const components = Array.isArray(body.components)
			? (body.components as DiscordComponent[])
			: [];
		if (content === '' && embeds.length === 0 && components.length === 0) throw emptyMessage();
		const requestedFlags = Number(body.flags ?? 0);
		const flags = context.ephemeralAllowed ? requestedFlags & MESSAGE_FLAGS.ephemeral : 0;
		const channel = this.channelOr404(channelId);
		return this.storeMessage({
			channelId,
			guildId: channel.guildId,
			content,
			embeds,
			components,
			flags,
			mentionRoleIds: channel.guildId
				? this.pingedRoles(this.guilds.get(channel.guildId)!, content, body.allowed_mentions)
				: [],
			allowedMentions: body.allowed_mentions,
			interaction: context.interaction,
		});
	}

	private storeMessage(
		fields: Pick<
			DiscordMessage,
			'channelId' | 'guildId' | 'content' | 'embeds' | 'components' | 'flags' | 'mentionRoleIds'
		> & {
			allowedMentions?: unknown;
			interaction?: InteractionState;
		},
	): DiscordMessage {
		const { interaction, ...rest } = fields;
		const message: DiscordMessage = {
			...rest,
			id: this.snowflakes.next(),
			authorId: this.botUser.id,
			createdAtMs: this.clock.now(),
			editedAtMs: null,
			deleted: false,
			...(interaction
				? {
						webhookId: this.options.applicationId,
						interactionId: interaction.id,
						...((rest.flags & MESSAGE_FLAGS.ephemeral) !== 0
							? { visibleOnlyTo: interaction.userId }
							: {}),
					}
				: {}),
		};
		this.messages.set(message.id, message);
		const channel = this.findChannel(message.channelId);
		if (channel) channel.lastMessageId = message.id;
		return message;
	}

	private editMessage(message: DiscordMessage, body: Record<string, unknown>): void {
		const wasLoading = (message.flags & MESSAGE_FLAGS.loading) !== 0;
		if (body.content !== undefined) {
			if (typeof body.content !== 'string' || body.content.length > MAX_CONTENT_CHARS) {
				throw invalidFormBody(
					'content',
					'BASE_TYPE_BAD_LENGTH',
					`Must be ${MAX_CONTENT_CHARS} or fewer in length.`,
				);
			}
			message.content = body.content;
		}
		if (Array.isArray(body.embeds)) message.embeds = body.embeds;
		if (Array.isArray(body.components)) message.components = body.components as DiscordComponent[];
		if (body.allowed_mentions !== undefined && message.guildId) {
			message.allowedMentions = body.allowed_mentions;
			message.mentionRoleIds = this.pingedRoles(
				this.guilds.get(message.guildId)!,
				message.content,
				body.allowed_mentions,
			);
		}
		message.flags &= ~MESSAGE_FLAGS.loading;
		// Completing a deferred answer is its first content, not an edit.
		if (!wasLoading) message.editedAtMs = this.clock.now();
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
			(this.permissionsOf(guild, this.botUser.id) &
				(PERMISSIONS.mentionEveryone | PERMISSIONS.administrator)) !==
			0n;
		return [...new Set(allowed)].filter((id) => {
			const role = guild.roles.get(id);
			return role !== undefined && (role.mentionable || canPingAll);
		});
	}

	private openDm(body: Record<string, unknown>): Record<string, unknown> {
		const recipientId = body.recipient_id;
		if (
			typeof recipientId !== 'string' ||
			!this.users.has(recipientId) ||
			recipientId === this.botUser.id
		) {
			throw new DiscordApiError(400, 50033, 'Invalid Recipient(s)');
		}
		let channel = this.dmChannels.get(recipientId);
		if (!channel) {
			channel = {
				id: this.snowflakes.next(),
				type: CHANNEL_TYPES.dm,
				name: '',
				recipientId,
				lastMessageId: null,
			};
			this.dmChannels.set(recipientId, channel);
		}
		return this.channelWire(channel);
	}

	// ---- roles --------------------------------------------------------------------------------

	/**
	 * Grants or removes a role as Discord allows it: the bot needs Manage Roles and its
	 * highest role strictly above the role; anything else is 50013.
	 */
	private changeRole(
		guildId: string,
		userId: string,
		roleId: string,
		change: 'grant' | 'revoke',
	): void {
		const guild = this.guildOr404(guildId);
		const role = guild.roles.get(roleId);
		if (!role) throw unknown('Role');
		const member = guild.members.get(userId);
		if (!member) throw unknown('Member');
		const botPermissions = this.permissionsOf(guild, this.botUser.id);
		const mayManage =
			(botPermissions & (PERMISSIONS.manageRoles | PERMISSIONS.administrator)) !== 0n;
		if (!mayManage || this.highestPosition(guild, this.botUser.id) <= role.position || role.botId) {
			throw missingPermissions();
		}
		const has = member.roleIds.includes(roleId);
		if (change === 'grant' ? has : !has) return;
		member.roleIds =
			change === 'grant'
				? [...member.roleIds, roleId]
				: member.roleIds.filter((id) => id !== roleId);
		this.gateway.dispatch(
			'GUILD_MEMBER_UPDATE',
			{ ...memberPayload(member, this.users.get(userId)!), guild_id: guild.id },
			INTENTS.guildMembers,
		);
	}

	private highestPosition(guild: DiscordGuild, userId: string): number {
		const member = guild.members.get(userId);
		return Math.max(0, ...(member?.roleIds ?? []).map((id) => guild.roles.get(id)?.position ?? 0));
	}

	private permissionsOf(guild: DiscordGuild, userId: string): bigint {
		const member = guild.members.get(userId);
		const roleIds = [guild.id, ...(member?.roleIds ?? [])];
		const permissions = roleIds.reduce(
			(bits, id) => bits | (guild.roles.get(id)?.permissions ?? 0n),
			0n,
		);
		// Administrators hold every permission.
		return (permissions & PERMISSIONS.administrator) !== 0n ? (1n << 53n) - 1n : permissions;
	}

	// ---- invites ------------------------------------------------------------------------------

	private createInvite(channelId: string, body: Record<string, unknown>): DiscordInvite {
		const channel = this.channelOr404(channelId);
		if (!channel.guildId)
			throw new DiscordApiError(400, 50003, 'Cannot execute action on a DM channel');
		const guild = this.guilds.get(channel.guildId)!;
		if ((this.permissionsOf(guild, this.botUser.id) & PERMISSIONS.createInstantInvite) === 0n) {
			throw missingPermissions();
		}
		const maxAgeSeconds = integerIn(body.max_age, 86_400, 0, 604_800, 'max_age');
		const maxUses = integerIn(body.max_uses, 0, 0, 100, 'max_uses');
		const temporary = body.temporary === true;
		if (body.unique !== true) {
			// Without `unique`, Discord hands back a live invite with the same settings.
			const same = [...this.invitesByCode.values()].find(
				(invite) =>
					invite.channelId === channel.id &&
					invite.inviterId === this.botUser.id &&
					invite.maxAgeSeconds === maxAgeSeconds &&
					invite.maxUses === maxUses &&
					invite.temporary === temporary &&
					this.liveInvite(invite.code),
			);
			if (same) return same;
		}
		const invite: DiscordInvite = {
			code: randomToken(6).replace(/[-_]/g, 'x'),
			guildId: guild.id,
			channelId: channel.id,
			inviterId: this.botUser.id,
			maxAgeSeconds,
			maxUses,
			uses: 0,
			temporary,
			createdAtMs: this.clock.now(),
		};
		this.invitesByCode.set(invite.code, invite);
		this.gateway.dispatch(
			'INVITE_CREATE',
			{
				channel_id: invite.channelId,
				code: invite.code,
				created_at: new Date(invite.createdAtMs).toISOString(),
				guild_id: invite.guildId,
				inviter: userPayload(this.botUser),
				max_age: invite.maxAgeSeconds,
				max_uses: invite.maxUses,
				temporary: invite.temporary,
				uses: 0,
			},
			INTENTS.guildInvites,
		);
		return invite;
	}

	private liveInvite(code: string): DiscordInvite | undefined {
		const invite = this.invitesByCode.get(code);
		if (!invite) return undefined;
		const expired =
			invite.maxAgeSeconds > 0 &&
			this.clock.now() >= invite.createdAtMs + invite.maxAgeSeconds * 1000;
		return expired ? undefined : invite;
	}

	private deleteInvite(invite: DiscordInvite): void {
		this.invitesByCode.delete(invite.code);
		this.gateway.dispatch(
			'INVITE_DELETE',
			{ channel_id: invite.channelId, guild_id: invite.guildId, code: invite.code },
			INTENTS.guildInvites,
		);
	}

	// ---- wire shapes and lookups --------------------------------------------------------------

	private readyPayload(sessionId: string, resumeGatewayUrl: string): Record<string, unknown> {
		return {
			v: 10,
			user_settings: {},
			user: { ...userPayload(this.botUser), verified: true, mfa_enabled: false, email: null },
			guilds: [...this.guilds.keys()].map((id) => ({ id, unavailable: true })),
			session_id: sessionId,
			session_type: 'normal',
			resume_gateway_url: resumeGatewayUrl,
			shard: [0, 1],
			application: { id: this.options.applicationId, flags: 0 },
			private_channels: [],
			relationships: [],
			presences: [],
			guild_join_requests: [],
			geo_ordered_rtc_regions: [],
		};
	}

	/** Without the presence intent Discord sends only the bot's own member in GUILD_CREATE. */
	private guildCreate(guild: DiscordGuild, intents: number): Record<string, unknown> {
		const memberIds =
			(intents & INTENTS.guildPresences) !== 0 ? [...guild.members.keys()] : [this.botUser.id];
		return guildCreatePayload(guild, this.users, memberIds);
	}

	private membersChunk(request: Record<string, unknown>): Record<string, unknown> | undefined {
		const guild =
			typeof request.guild_id === 'string' ? this.guilds.get(request.guild_id) : undefined;
		if (!guild) return undefined;
		const userIds = Array.isArray(request.user_ids)
			? (request.user_ids as unknown[]).map(String)
			: typeof request.user_ids === 'string'
				? [request.user_ids]
				: undefined;
		const query = typeof request.query === 'string' ? request.query.toLowerCase() : '';
		const limit =
			typeof request.limit === 'number' && request.limit > 0
				? request.limit
				: Number.POSITIVE_INFINITY;
		const members = [...guild.members.values()]
			.filter((member) =>
				userIds
					? userIds.includes(member.userId)
					: this.users.get(member.userId)!.username.toLowerCase().startsWith(query),
			)
			.slice(0, limit);
		return {
			guild_id: guild.id,
			members: members.map((member) => memberPayload(member, this.users.get(member.userId)!)),
			chunk_index: 0,
			chunk_count: 1,
			not_found: userIds ? userIds.filter((id) => !guild.members.has(id)) : [],
			...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
		};
	}

	private listMembers(guildId: string, request: StandInRequest): Array<Record<string, unknown>> {
		const guild = this.guildOr404(guildId);
		const limit = integerIn(request.query.get('limit') ?? undefined, 1, 1, 1000, 'limit');
		const after = BigInt(request.query.get('after') ?? '0');
		return [...guild.members.values()]
			.filter((member) => BigInt(member.userId) > after)
			.sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
			.slice(0, limit)
			.map((member) => memberPayload(member, this.users.get(member.userId)!));
	}

	private applicationPayload(): Record<string, unknown> {
		return {
			id: this.options.applicationId,
			name: this.botUser.username,
			icon: null,
			description: '',
			bot_public: true,
			bot_require_code_grant: false,
			bot: userPayload(this.botUser),
			flags: 0,
			verify_key: '0'.repeat(64),
			team: null,
			owner: userPayload(this.botUser),
			approximate_guild_count: this.guilds.size,
		};
	}

	private messageWire(message: DiscordMessage): Record<string, unknown> {
		const interaction = message.interactionId
			? this.interactions.get(message.interactionId)
			: undefined;
		return messagePayload(
			message,
			this.users.get(message.authorId)!,
			interaction
				? { id: interaction.id, type: interaction.type, user: this.users.get(interaction.userId)! }
				: undefined,
		);
	}

	private channelWire(channel: DiscordChannel): Record<string, unknown> {
		if (channel.type === CHANNEL_TYPES.dm) {
			return channelPayload(channel, 0, this.users.get(channel.recipientId!));
		}
		const guild = this.guilds.get(channel.guildId!)!;
		return channelPayload(channel, [...guild.channels.keys()].indexOf(channel.id));
	}

	private inviteWire(invite: DiscordInvite): Record<string, unknown> {
		const guild = this.guilds.get(invite.guildId)!;
		return invitePayload(
			invite,
			guild,
			guild.channels.get(invite.channelId)!,
			this.users.get(invite.inviterId)!,
		);
	}

	private findChannel(channelId: string): DiscordChannel | undefined {
		for (const guild of this.guilds.values()) {
			const channel = guild.channels.get(channelId);
			if (channel) return channel;
		}
		return [...this.dmChannels.values()].find((channel) => channel.id === channelId);
	}

	private channelOr404(channelId: string): DiscordChannel {
		const channel = this.findChannel(channelId);
		if (!channel) throw unknown('Channel');
		return channel;
	}

	private guildOr404(guildId: string): DiscordGuild {
		const guild = this.guilds.get(guildId);
		if (!guild) throw unknown('Guild');
		return guild;
	}

	private userOr404(userId: string): DiscordUser {
		const user = this.users.get(userId);
		if (!user) throw unknown('User');
		return user;
	}

	/** The named guild, or the only/first one when none is named (tests mostly have one). */
	private guildOrThrow(guildId?: string): DiscordGuild {
		const guild = guildId ? this.guilds.get(guildId) : this.guilds.values().next().value;
		if (!guild) throw new Error(guildId ? `no guild ${guildId}` : 'the stand-in has no guild yet');
		return guild;
	}

	private userOrThrow(userId: string): DiscordUser {
		const user = this.users.get(userId);
		if (!user) throw new Error(`no user ${userId}; add it with addUser first`);
		return user;
	}
}

function findButton(
	components: DiscordComponent[],
	customId: string,
): DiscordComponent | undefined {
	for (const component of components) {
		if (component.custom_id === customId) return component;
		const inner = component.components ? findButton(component.components, customId) : undefined;
		if (inner) return inner;
	}
	return undefined;
}

function integerIn(
	value: unknown,
	fallback: number,
	min: number,
	max: number,
	field: string,
): number {
	if (value === undefined || value === null) return fallback;
	const number = Number(value);
	if (!Number.isInteger(number) || number < min || number > max) {
		throw invalidFormBody(
			field,
			'NUMBER_TYPE_MAX',
			`Must be an integer between ${min} and ${max}.`,
		);
	}
	return number;
}
