import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn } from '../core/http-stand-in';
import { CommandRegistry } from './discord-command-registry';
import { commandPayload } from './discord-commands';
import { DiscordGateway, type GatewaySessionInfo } from './discord-gateway';
import { gatewayStateOf } from './discord-gateway-state';
import {
	DiscordGuilds,
	type NewDiscordChannel,
	type NewDiscordGuild,
	type NewDiscordRole,
} from './discord-guilds';
import { DiscordRestApi, type DiscordRestLimits, type RequestLogEntry } from './discord-http';
import { DiscordInteractions, type DiscordInteractionView } from './discord-interactions';
import { DiscordInvites } from './discord-invites';
import { DiscordMembers } from './discord-members';
import { DiscordMessages } from './discord-messages';
import {
	PRIVILEGED_INTENTS,
	type DiscordChannel,
	type DiscordGuild,
	type DiscordInvite,
	type DiscordMessage,
	type DiscordRole,
	type DiscordUser,
} from './discord-model';
import { discordRoutes } from './discord-rest';
import { DiscordState } from './discord-state';

export interface DiscordStandInOptions extends DiscordRestLimits {
	token: string;
	applicationId: string;
	botUsername?: string;
	clock?: SandboxClock;
	/** HELLO's heartbeat interval. */
	heartbeatIntervalMs?: number;
	/**
	 * Privileged intents switched on for the application (default all of them); a client
	 * asking for one that is off is closed with 4014, as when the portal toggle is forgotten.
	 */
	enabledPrivilegedIntents?: number;
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
	private readonly state: DiscordState;
	private readonly interactions: DiscordInteractions;
	private readonly commandRegistry: CommandRegistry;
	private readonly guilds: DiscordGuilds;
	private readonly members: DiscordMembers;
	private readonly guildInvites: DiscordInvites;
	private readonly rest: DiscordRestApi;

	constructor(options: DiscordStandInOptions) {
		this.clock = options.clock ?? new SandboxClock();
		const botUser: DiscordUser = {
			id: options.applicationId,
			username: options.botUsername ?? 'Fanloop',
			globalName: null,
			bot: true,
		};
		this.state = new DiscordState(
			options.applicationId,
			botUser,
			this.clock,
			(event, data, intent) => this.gateway.dispatch(event, data, intent),
		);
		this.gateway = new DiscordGateway(
			gatewayStateOf(
				this.state,
				options.token,
				options.enabledPrivilegedIntents ?? PRIVILEGED_INTENTS,
			),
			options.heartbeatIntervalMs ?? 41_250,
			() => this.clock.now(),
		);
		const messages = new DiscordMessages(this.state);
		this.commandRegistry = new CommandRegistry(this.state);
		this.interactions = new DiscordInteractions(this.state, messages, this.commandRegistry);
		this.guilds = new DiscordGuilds(this.state);
		this.members = new DiscordMembers(this.state);
		this.guildInvites = new DiscordInvites(this.state, this.members);
		const routes = discordRoutes({
			state: this.state,
			messages,
			interactions: this.interactions,
			commands: this.commandRegistry,
			members: this.members,
			invites: this.guildInvites,
			gatewayUrl: () => this.gatewayUrl,
			identifyCount: () => this.gateway.identifyCount,
		});
		this.rest = new DiscordRestApi(routes, options.token, this.clock, options);
		this.server = new HttpStandIn(
			'Discord',
			(request) => this.rest.handle(request),
			this.clock,
			this.rest.faultAnswers,
		);
		this.server.onUpgrade((request, socket, head) => this.gateway.upgrade(request, socket, head));
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	/** Closes gateway sockets first (the HTTP server's closeAllConnections no longer sees upgraded ones). */
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

	get botUser(): DiscordUser {
		return { ...this.state.botUser };
	}

	// ---- setup -------------------------------------------------------------------------------

	/** A guild with its @everyone role, a managed role for the bot (Manage Roles and friends) and the bot as a member. */
	addGuild(setup: NewDiscordGuild): DiscordGuild {
		return this.guilds.add(setup);
	}

	addRole(setup: NewDiscordRole): DiscordRole {
		return this.guilds.addRole(setup);
	}

	/** Moves a role up or down the hierarchy (the bot's own role included). */
	moveRole(roleId: string, position: number, guildId?: string): void {
		this.guilds.updateRole(roleId, guildId, (role) => {
			role.position = position;
		});
	}

	/** Changes what a role allows, e.g. takes Manage Roles away from the bot's role. */
	setRolePermissions(roleId: string, permissions: bigint, guildId?: string): void {
		this.guilds.updateRole(roleId, guildId, (role) => {
			role.permissions = permissions;
		});
	}

	/** The role Discord made for the bot in a guild. */
	botRoleId(guildId?: string): string {
		return this.guilds.botRoleId(guildId);
	}

	addChannel(setup: NewDiscordChannel): DiscordChannel {
		return this.guilds.addChannel(setup);
	}

	addUser(username: string, setup: { id?: string; globalName?: string } = {}): DiscordUser {
		const user: DiscordUser = {
			id: setup.id ?? this.state.snowflakes.next(),
			username,
			globalName: setup.globalName ?? null,
			bot: false,
		};
		this.state.users.set(user.id, user);
		return { ...user };
	}

	/** Puts a user in a guild directly (GUILD_MEMBER_ADD); `memberJoins` is the invite path. */
	addMember(userId: string, setup: { guildId?: string; roleIds?: string[] } = {}): void {
		this.members.add(userId, setup);
	}

	/** The user closed DMs from this server or blocked the bot: DMs answer 50007 from now on. */
	blockDms(userId: string): void {
		this.state.userOrThrow(userId);
		this.state.dmBlockers.add(userId);
	}

	unblockDms(userId: string): void {
		this.state.dmBlockers.delete(userId);
	}

	// ---- acting as users ----------------------------------------------------------------------

	/**
	 * A user runs a slash command the application registered, in a guild channel (the
	 * guild's first text channel unless named) or with `inDm` in their DM with the bot; the
	 * bot receives INTERACTION_CREATE type 2. Options are `{ name: value }`, typed by the
	 * registered definition. Returns the interaction to read back with `interaction(id)`.
	 */
	runCommand(
		userId: string,
		name: string,
		options: Record<string, string | number | boolean> = {},
		where: { guildId?: string; channelId?: string; inDm?: boolean } = {},
	): { id: string; token: string } {
		return this.interactions.runCommand(userId, name, options, where);
	}

	/**
	 * A user presses a button: on `messageId`, or on the newest message they can see that
	 * carries `customId`. The bot receives INTERACTION_CREATE type 3.
	 */
	press(userId: string, customId: string, messageId?: string): { id: string; token: string } {
		return this.interactions.press(userId, customId, messageId);
	}

	/**
	 * A user accepts an invite: they become a member (GUILD_MEMBER_ADD), the invite counts
	 * the use, and an invite that reached its max uses is deleted (INVITE_DELETE).
	 */
	memberJoins(userId: string, inviteCode: string): void {
		this.guildInvites.accept(userId, inviteCode);
	}

	memberLeaves(userId: string, guildId?: string): void {
		this.members.remove(userId, guildId);
	}

	// ---- read-back ----------------------------------------------------------------------------

	memberRoles(userId: string, guildId?: string): string[] {
		return this.members.roleIdsOf(userId, guildId);
	}

	/** Messages the bot sent to this user in DMs, oldest first. */
	dms(userId: string): DiscordMessage[] {
		const channel = this.state.dmChannels.get(userId);
		return channel ? this.channelMessages(channel.id) : [];
	}

	/** Messages everyone in the channel sees (ephemeral answers excluded), oldest first. */
	channelMessages(channelId: string): DiscordMessage[] {
		return [...this.state.messages.values()]
			.filter(
				(message) => message.channelId === channelId && !message.deleted && !message.visibleOnlyTo,
			)
			.map((message) => structuredClone(message));
	}

	/** An interaction with every answer the bot gave (callbacks, the response as edited, follow-ups). */
	interaction(id: string): DiscordInteractionView {
		return this.interactions.view(id);
	}

	/** Registered commands as Discord returns them: global ones, or a guild's. */
	commands(guildId?: string): Array<Record<string, unknown>> {
		return this.commandRegistry.registered(guildId).map(commandPayload);
	}

	/** Invites still usable (not expired, not used up). */
	invites(guildId?: string): DiscordInvite[] {
		const guild = this.state.guildOrThrow(guildId);
		return this.guildInvites
			.liveWhere((invite) => invite.guildId === guild.id)
			.map((invite) => ({ ...invite }));
	}

	/** Every REST request with the status it got (injected faults as `INJECTED fault`). */
	requestLog(): RequestLogEntry[] {
		return this.rest.requestLog();
	}

	/** 401, 403 and 429 answers: what Discord counts towards its 10,000-per-10-minutes IP ban. */
	get invalidRequestCount(): number {
		return this.rest.invalidRequestCount;
	}

	gatewaySessions(): GatewaySessionInfo[] {
		return this.gateway.sessionInfo();
	}
}
