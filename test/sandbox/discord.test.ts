import { once } from 'node:events';
import {
	ActionRowBuilder,
	ButtonBuilder,
	ButtonStyle,
	Client,
	DiscordAPIError,
	Events,
	GatewayIntentBits,
	MessageFlags,
	type ButtonInteraction,
	type ChatInputCommandInteraction,
	type GuildMember,
	type Interaction,
	type Invite,
} from 'discord.js';
import { WebSocket } from 'ws';
import {
	PERMISSIONS,
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';

const INTENTS = [
	GatewayIntentBits.Guilds,
	GatewayIntentBits.GuildMembers,
	GatewayIntentBits.GuildInvites,
];
const STATUS_COMMAND = {
	name: 'status',
	description: 'Which layers you have',
	options: [{ type: 5, name: 'verbose', description: 'Say more', required: false }],
};

let discord: DiscordStandIn;
let client: Client;
let fanId: string;

/** The next interaction the client receives, once the stand-in has produced it. */
async function nextInteraction(act: () => unknown): Promise<Interaction> {
	const received = once(client, Events.InteractionCreate) as Promise<[Interaction]>;
	act();
	const [interaction] = await received;
	return interaction;
}

async function expectDiscordError(
	promise: Promise<unknown>,
	code: number,
): Promise<DiscordAPIError> {
	const error = await promise.then(
		() => undefined,
		(thrown: unknown) => thrown,
	);
	expect(error).toBeInstanceOf(DiscordAPIError);
	expect((error as DiscordAPIError).code).toBe(code);
	return error as DiscordAPIError;
}

beforeAll(async () => {
	discord = await startDiscordStandIn();
	fanId = discord.addUser('fan_one').id;
	discord.addMember(fanId);
	client = new Client({ intents: INTENTS, rest: { api: discord.apiRoot } });
	const ready = once(client, Events.ClientReady);
	await client.login(SANDBOX_DISCORD.token);
	await ready;
	await client.application!.commands.set(
		[{ name: 'join', description: 'Get release updates' }, STATUS_COMMAND],
		SANDBOX_DISCORD.guildId,
	);
});

afterAll(async () => {
	await client?.destroy();
	await discord?.stop();
});

describe('Discord stand-in driven by a real discord.js client', () => {
	it('logs the client in over the gateway and caches the guild with its roles and the bot member', () => {
		expect(client.user?.id).toBe(SANDBOX_DISCORD.applicationId);
		expect(client.application?.id).toBe(SANDBOX_DISCORD.applicationId);
		const guild = client.guilds.cache.get(SANDBOX_DISCORD.guildId);
		expect(guild?.available).toBe(true);
		expect(guild?.roles.cache.get(SANDBOX_DISCORD.releaseRoleId)?.name).toBe('Release updates');
		expect(guild?.members.me?.roles.highest.id).toBe(SANDBOX_DISCORD.botRoleId);
		expect(guild?.channels.cache.get(SANDBOX_DISCORD.announceChannelId)?.name).toBe(
			'announcements',
		);
		// Without the presence intent GUILD_CREATE carries only the bot's own member.
		expect([...(guild?.members.cache.keys() ?? [])]).toEqual([SANDBOX_DISCORD.applicationId]);
		expect(discord.gatewaySessions()).toEqual([
			expect.objectContaining({ connected: true, intents: 1 | 2 | 64 }),
		]);
	});

	it('keeps the commands the client registered for the guild, with stable ids', async () => {
		expect(discord.commands(SANDBOX_DISCORD.guildId).map((command) => command.name)).toEqual([
			'join',
			'status',
		]);
		const before = discord
			.commands(SANDBOX_DISCORD.guildId)
			.find((command) => command.name === 'join')!.id;
		await client.application!.commands.set(
			[{ name: 'join', description: 'Get release updates, again' }, STATUS_COMMAND],
			SANDBOX_DISCORD.guildId,
		);
		expect(
			discord.commands(SANDBOX_DISCORD.guildId).find((command) => command.name === 'join')!.id,
		).toBe(before);
		expect(discord.commands()).toEqual([]);
	});

	it('refuses an invalid command name with Discord form errors', async () => {
		const error = await expectDiscordError(
			client.application!.commands.set(
				[{ name: 'Join Now', description: 'x' }],
				SANDBOX_DISCORD.guildId,
			),
			50035,
		);
		expect(error.status).toBe(400);
		expect(discord.commands(SANDBOX_DISCORD.guildId).map((command) => command.name)).toEqual([
			'join',
			'status',
		]);
	});

	it('delivers a slash command and records the ephemeral reply with its button', async () => {
		const interaction = (await nextInteraction(() =>
			discord.runCommand(fanId, 'status', { verbose: true }),
		)) as ChatInputCommandInteraction;
		expect(interaction.isChatInputCommand()).toBe(true);
		expect(interaction.commandName).toBe('status');
		expect(interaction.options.getBoolean('verbose')).toBe(true);
		expect(interaction.user.id).toBe(fanId);
		expect(interaction.guildId).toBe(SANDBOX_DISCORD.guildId);
		await interaction.reply({
			content: 'You have no layers yet.',
			flags: MessageFlags.Ephemeral,
			components: [
				new ActionRowBuilder<ButtonBuilder>().addComponents(
					new ButtonBuilder().setCustomId('join').setLabel('Join').setStyle(ButtonStyle.Primary),
				),
			],
		});
		const view = discord.interaction(interaction.id);
		expect(view.callbacks.map((callback) => callback.type)).toEqual([4]);
		expect(view.response?.content).toBe('You have no layers yet.');
		expect(view.response?.flags).toBe(64);
		expect(view.response?.components[0].components?.[0]).toMatchObject({
			custom_id: 'join',
			type: 2,
		});
		// Ephemeral answers are not part of the channel everyone reads.
		expect(discord.channelMessages(SANDBOX_DISCORD.inviteChannelId)).toEqual([]);

		// discord.js refuses a second reply itself, so the second answer goes over the wire directly.
		const second = await fetch(
			`${discord.apiRoot}/v10/interactions/${interaction.id}/${interaction.token}/callback`,
			{
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ type: 4, data: { content: 'twice' } }),
			},
		);
		expect(second.status).toBe(400);
		expect(await second.json()).toEqual({
			message: 'Interaction has already been acknowledged.',
			code: 40060,
		});
	});

	it('lets the bot defer, then edit the original and follow up', async () => {
		const interaction = (await nextInteraction(() =>
			discord.runCommand(fanId, 'join'),
		)) as ChatInputCommandInteraction;
		const deferred = await interaction.deferReply({
			flags: MessageFlags.Ephemeral,
			withResponse: true,
		});
		expect(deferred.interaction.responseMessageLoading).toBe(true);
		expect(deferred.interaction.responseMessageEphemeral).toBe(true);
		expect(discord.interaction(interaction.id).response).toMatchObject({
			id: deferred.interaction.responseMessageId,
			flags: 64 | 128,
		});
		await interaction.editReply({ content: 'Done: you will hear about the release.' });
		const followUp = await interaction.followUp({
			content: 'One more thing',
			flags: MessageFlags.Ephemeral,
		});
		const view = discord.interaction(interaction.id);
		expect(view.response).toMatchObject({
			content: 'Done: you will hear about the release.',
			flags: 64,
		});
		expect(view.followUps.map((message) => [message.id, message.content])).toEqual([
			[followUp.id, 'One more thing'],
		]);
	});

	it('delivers a button press on the message that carries it, and records the update', async () => {
		const interaction = (await nextInteraction(() =>
			discord.press(fanId, 'join'),
		)) as ButtonInteraction;
		expect(interaction.isButton()).toBe(true);
		expect(interaction.customId).toBe('join');
		expect(interaction.message.content).toBe('You have no layers yet.');
		await interaction.update({ content: 'Joined.', components: [] });
		const view = discord.interaction(interaction.id);
		expect(view.type).toBe('component');
		expect(view.response).toMatchObject({ content: 'Joined.', components: [] });
		expect(() => discord.press(discord.addUser('stranger').id, 'join')).toThrow(/sees no message/);
	});

	it('grants a role below the bot, and refuses one above it with 50013', async () => {
		const interaction = (await nextInteraction(() =>
			discord.runCommand(fanId, 'join'),
		)) as ChatInputCommandInteraction;
		const member = interaction.member as GuildMember;
		await member.roles.add(SANDBOX_DISCORD.releaseRoleId);
		expect(discord.memberRoles(fanId)).toEqual([SANDBOX_DISCORD.releaseRoleId]);
		await eventually(
			'the client to see the granted role',
			() =>
				client.guilds.cache
					.get(SANDBOX_DISCORD.guildId)
					?.members.cache.get(fanId)
					?.roles.cache.has(SANDBOX_DISCORD.releaseRoleId) || undefined,
		);

		const moderators = discord.addRole({ name: 'Moderators', position: 3 });
		await eventually('the client to cache the new role', () =>
			client.guilds.cache.get(SANDBOX_DISCORD.guildId)?.roles.cache.get(moderators.id),
		);
		await expectDiscordError(member.roles.add(moderators.id), 50013);
		expect(discord.memberRoles(fanId)).toEqual([SANDBOX_DISCORD.releaseRoleId]);

		// The same role becomes grantable once the bot's role moves above it.
		discord.moveRole(SANDBOX_DISCORD.botRoleId, 4);
		await member.roles.add(moderators.id);
		await member.roles.remove(moderators.id);
		discord.moveRole(SANDBOX_DISCORD.botRoleId, 2);
		await member.roles.remove(SANDBOX_DISCORD.releaseRoleId);
		expect(discord.memberRoles(fanId)).toEqual([]);
		await interaction.reply({ content: 'ok', flags: MessageFlags.Ephemeral });
	});

	it('delivers DMs and refuses a user who blocked the bot with 50007', async () => {
		const fan = await client.users.fetch(fanId);
		const sent = await fan.send('The album is out now.');
		expect(discord.dms(fanId).map((message) => [message.id, message.content])).toEqual([
			[sent.id, 'The album is out now.'],
		]);

		const blockerId = discord.addUser('quiet_fan').id;
		discord.addMember(blockerId);
		discord.blockDms(blockerId);
		const blocker = await client.users.fetch(blockerId);
		const error = await expectDiscordError(blocker.send('The album is out now.'), 50007);
		expect(error.status).toBe(403);
		expect(discord.dms(blockerId)).toEqual([]);
	});

	it('records an announcement with the role pings allowed_mentions let through', async () => {
		const channel = await client.channels.fetch(SANDBOX_DISCORD.announceChannelId);
		if (!channel?.isSendable()) throw new Error('announcements is not a text channel');
		await channel.send({
			content: `<@&${SANDBOX_DISCORD.releaseRoleId}> the album is out now`,
			allowedMentions: { roles: [SANDBOX_DISCORD.releaseRoleId] },
		});
		await channel.send({
			content: `<@&${SANDBOX_DISCORD.releaseRoleId}> quietly`,
			allowedMentions: { parse: [] },
		});
		expect(
			discord
				.channelMessages(SANDBOX_DISCORD.announceChannelId)
				.map((message) => [message.content, message.mentionRoleIds]),
		).toEqual([
			[
				`<@&${SANDBOX_DISCORD.releaseRoleId}> the album is out now`,
				[SANDBOX_DISCORD.releaseRoleId],
			],
			[`<@&${SANDBOX_DISCORD.releaseRoleId}> quietly`, []],
		]);
	});

	it('attributes a join to a single-use invite, which disappears after the join', async () => {
		const channel = await client.channels.fetch(SANDBOX_DISCORD.inviteChannelId);
		if (!channel || !('createInvite' in channel))
			throw new Error('welcome is not a guild text channel');
		const invite = await channel.createInvite({ maxUses: 1, maxAge: 0, unique: true });
		expect(invite).toMatchObject({ uses: 0, maxUses: 1 });
		expect(discord.invites().map((live) => live.code)).toEqual([invite.code]);

		const joinerId = discord.addUser('new_fan').id;
		const joined = once(client, Events.GuildMemberAdd) as Promise<[GuildMember]>;
		const deleted = once(client, Events.InviteDelete) as Promise<[Invite]>;
		discord.memberJoins(joinerId, invite.code);
		const [[member], [gone]] = await Promise.all([joined, deleted]);
		expect(member.id).toBe(joinerId);
		expect(gone.code).toBe(invite.code);
		expect(discord.invites()).toEqual([]);
		const guild = client.guilds.cache.get(SANDBOX_DISCORD.guildId)!;
		expect((await guild.invites.fetch()).size).toBe(0);
		expect(() => discord.memberJoins(discord.addUser('late_fan').id, invite.code)).toThrow(
			/does not exist/,
		);
	});

	it("runs a global command in the fan's DM with the bot, and keeps guild-only ones out of DMs", async () => {
		await client.application!.commands.set([
			{ name: 'help', description: 'What this bot does', contexts: [0, 1] },
			{ name: 'stats', description: 'Server only', contexts: [0] },
		]);
		const interaction = (await nextInteraction(() =>
			discord.runCommand(fanId, 'help', {}, { inDm: true }),
		)) as ChatInputCommandInteraction;
		expect(interaction.guildId).toBeNull();
		expect(interaction.channel?.isDMBased()).toBe(true);
		await interaction.reply({ content: 'I ping you when new music is out.' });
		expect(discord.interaction(interaction.id)).toMatchObject({
			guildId: undefined,
			response: { content: 'I ping you when new music is out.', flags: 0 },
		});
		expect(discord.dms(fanId).map((message) => message.content)).toContain(
			'I ping you when new music is out.',
		);
		expect(() => discord.runCommand(fanId, 'stats', {}, { inDm: true })).toThrow(
			/no global slash command \/stats/,
		);
		await client.application!.commands.set([]);
	});

	it("answers 50013 once the bot's role loses Manage Server or Manage Roles", async () => {
		const guild = client.guilds.cache.get(SANDBOX_DISCORD.guildId)!;
		const original = guild.roles.cache.get(SANDBOX_DISCORD.botRoleId)!.permissions.bitfield;
		discord.setRolePermissions(SANDBOX_DISCORD.botRoleId, PERMISSIONS.manageRoles);
		try {
			await expectDiscordError(guild.invites.fetch(), 50013);
			discord.setRolePermissions(SANDBOX_DISCORD.botRoleId, PERMISSIONS.manageGuild);
			await expectDiscordError(
				guild.members.addRole({ user: fanId, role: SANDBOX_DISCORD.releaseRoleId }),
				50013,
			);
			expect(discord.memberRoles(fanId)).toEqual([]);
		} finally {
			discord.setRolePermissions(SANDBOX_DISCORD.botRoleId, original);
		}
	});

	it('answers a member fetch over the gateway (op 8) and the REST member list', async () => {
		const guild = client.guilds.cache.get(SANDBOX_DISCORD.guildId)!;
		const fetched = await guild.members.fetch();
		expect(fetched.has(fanId)).toBe(true);
		expect(fetched.has(SANDBOX_DISCORD.applicationId)).toBe(true);
		const listed = await guild.members.list({ limit: 1000 });
		expect([...listed.keys()].sort()).toEqual([...fetched.keys()].sort());
		const page = await guild.members.list({ limit: 1 });
		expect(page.size).toBe(1);
	});

	it('tells the client when a member leaves', async () => {
		const leaverId = discord.addUser('leaving_fan').id;
		discord.addMember(leaverId);
		const left = once(client, Events.GuildMemberRemove) as Promise<[GuildMember]>;
		discord.memberLeaves(leaverId);
		const [member] = await left;
		expect(member.id).toBe(leaverId);
		expect(() => discord.memberRoles(leaverId)).toThrow(/not a member/);
	});

	it('resumes the session after a network cut without losing events', async () => {
		const [session] = discord.gatewaySessions();
		const resumed = once(client, Events.ShardResume);
		discord.gateway.cutConnections();
		const laterId = discord.addUser('later_fan').id;
		discord.addMember(laterId);
		const joined = once(client, Events.GuildMemberAdd) as Promise<[GuildMember]>;
		await resumed;
		const [member] = await joined;
		expect(member.id).toBe(laterId);
		expect(discord.gatewaySessions()).toEqual([
			expect.objectContaining({ sessionId: session.sessionId, connected: true }),
		]);
	});

	it('resumes the same session when the gateway asks the client to reconnect', async () => {
		const [session] = discord.gatewaySessions();
		const resumed = once(client, Events.ShardResume);
		discord.gateway.requestReconnect();
		await resumed;
		expect(discord.gatewaySessions()).toEqual([
			expect.objectContaining({ sessionId: session.sessionId, connected: true }),
		]);
		const interaction = await nextInteraction(() => discord.runCommand(fanId, 'join'));
		expect(interaction.isChatInputCommand()).toBe(true);
	});
});

describe('Discord stand-in at the wire', () => {
	it('refuses requests without the bot token', async () => {
		const response = await fetch(`${discord.apiRoot}/v10/users/@me`);
		expect(response.status).toBe(401);
		expect(await response.json()).toEqual({ message: '401: Unauthorized', code: 0 });
	});

	it('forgets an interaction nobody answered within 3 seconds', async () => {
		const { id, token } = discord.runCommand(fanId, 'join');
		discord.clock.advance(3001);
		const response = await fetch(`${discord.apiRoot}/v10/interactions/${id}/${token}/callback`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ type: 4, data: { content: 'late' } }),
		});
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ message: 'Unknown interaction', code: 10062 });
	});

	it('closes the gateway with 4004 when IDENTIFY carries a wrong token', async () => {
		const socket = new WebSocket(`${discord.gatewayUrl}?v=10&encoding=json`);
		const [hello] = (await once(socket, 'message')) as [Buffer];
		expect(JSON.parse(hello.toString())).toMatchObject({
			op: 10,
			d: { heartbeat_interval: 41_250 },
		});
		socket.send(JSON.stringify({ op: 1, d: null }));
		const [ack] = (await once(socket, 'message')) as [Buffer];
		expect(JSON.parse(ack.toString())).toMatchObject({ op: 11 });
		const closed = once(socket, 'close') as Promise<[number]>;
		socket.send(
			JSON.stringify({ op: 2, d: { token: 'not-the-token', intents: 1, properties: {} } }),
		);
		const [code] = await closed;
		expect(code).toBe(4004);
	});

	it('meters channel messages per channel: the sixth in 5 seconds gets a route 429', async () => {
		const post = (channelId: string): Promise<Response> =>
			fetch(`${discord.apiRoot}/v10/channels/${channelId}/messages`, {
				method: 'POST',
				headers: {
					authorization: `Bot ${SANDBOX_DISCORD.token}`,
					'content-type': 'application/json',
				},
				body: JSON.stringify({ content: 'hello' }),
			});
		const welcome = discord.addChannel({ name: 'burst' }).id;
		const invalidBefore = discord.invalidRequestCount;
		const remaining: Array<string | null> = [];
		for (let sent = 0; sent < 5; sent += 1) {
			const response = await post(welcome);
			expect(response.status).toBe(200);
			remaining.push(response.headers.get('x-ratelimit-remaining'));
		}
		expect(remaining).toEqual(['4', '3', '2', '1', '0']);
		const sixth = await post(welcome);
		expect(sixth.status).toBe(429);
		expect(sixth.headers.get('x-ratelimit-global')).toBeNull();
		expect(sixth.headers.get('x-ratelimit-scope')).toBe('user');
		expect(await sixth.json()).toMatchObject({ global: false, retry_after: expect.any(Number) });
		expect(discord.invalidRequestCount).toBe(invalidBefore + 1);
		// Another channel has its own bucket.
		expect((await post(SANDBOX_DISCORD.inviteChannelId)).status).toBe(200);
		discord.clock.advance(5000);
		expect((await post(welcome)).status).toBe(200);
	});

	it('words injected faults as Discord does', async () => {
		const call = (): Promise<Response> =>
			fetch(`${discord.apiRoot}/v10/users/@me`, {
				headers: { authorization: `Bot ${SANDBOX_DISCORD.token}` },
			});
		try {
			discord.faults.set({ rateLimitRate: 1, retryAfterSeconds: 2 });
			const limited = await call();
			expect(limited.status).toBe(429);
			expect(limited.headers.get('retry-after')).toBe('2');
			expect(await limited.json()).toEqual({
				message: 'You are being rate limited.',
				retry_after: 2,
				global: false,
			});
			discord.faults.set({ serverErrorRate: 1 });
			const down = await call();
			expect(down.status).toBe(502);
			expect(await down.json()).toEqual({ message: '502: Bad Gateway', code: 0 });
		} finally {
			discord.faults.clear();
		}
	});

	it('closes the gateway with 4014 when a session asks for a privileged intent the app has off', async () => {
		const strict = await startDiscordStandIn({ enabledPrivilegedIntents: 0 });
		try {
			const socket = new WebSocket(`${strict.gatewayUrl}?v=10&encoding=json`);
			await once(socket, 'message');
			const closed = once(socket, 'close') as Promise<[number]>;
			socket.send(
				JSON.stringify({
					op: 2,
					d: {
						token: SANDBOX_DISCORD.token,
						intents: GatewayIntentBits.GuildMembers,
						properties: {},
					},
				}),
			);
			const [code] = await closed;
			expect(code).toBe(4014);
			expect(strict.gatewaySessions()).toEqual([]);
		} finally {
			await strict.stop();
		}
	});

	it('answers a burst over the global budget with a global 429 and counts it as invalid', async () => {
		const limited = await startDiscordStandIn({ globalRequestsPerSecond: 2 });
		try {
			const call = (): Promise<Response> =>
				fetch(`${limited.apiRoot}/v10/users/@me`, {
					headers: { authorization: `Bot ${SANDBOX_DISCORD.token}` },
				});
			const first = await call();
			expect(first.status).toBe(200);
			expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
			expect(first.headers.get('x-ratelimit-limit')).toBe('2');
			expect((await call()).status).toBe(200);
			const third = await call();
			expect(third.status).toBe(429);
			expect(third.headers.get('x-ratelimit-global')).toBe('true');
			expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
			const body = (await third.json()) as {
				message: string;
				retry_after: number;
				global: boolean;
			};
			expect(body.global).toBe(true);
			expect(body.retry_after).toBeGreaterThan(0);
			expect(body.retry_after).toBeLessThanOrEqual(1);
			expect(limited.invalidRequestCount).toBe(1);

			limited.clock.advance(1000);
			expect((await call()).status).toBe(200);
		} finally {
			await limited.stop();
		}
	});
});
