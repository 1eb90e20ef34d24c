/**
 * The bots of two `hub serve` processes on one PostgreSQL database. Discord's gateway gives
 * every connection of a bot every interaction, so two connected processes would both answer
 * a fan; Telegram ends a long poll with 409 Conflict when another begins, so two pollers
 * fight. Each bot connects from one process at a time, under a lease the other process takes
 * over when the holder is SIGKILLed.
 */
import { randomBytes } from 'node:crypto';

import { registerCommands } from '../../bot/src/register-commands';
import {
	MESSAGE_FLAGS,
	SANDBOX_DISCORD,
	SANDBOX_TELEGRAM,
	startDiscordStandIn,
	startTelegramStandIn,
	type DiscordStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { freePorts, HubCluster } from '../support/hub-cluster';
import { buildHub, type HubProcess } from '../support/hub-process';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** Short, so the takeover is seen in seconds; the default is 15 s. */
const LEASE_MS = 3_000;
/** A lease runs out within LEASE_MS of the holder's death; the other process looks every third of it, then connects. */
const TAKEOVER_WITHIN_MS = 4 * LEASE_MS;

jest.setTimeout(120_000);

describe('bots of several hub processes on one PostgreSQL database', () => {
	let database: TestDatabase;
	let discord: DiscordStandIn;
	let telegram: TelegramStandIn;
	let cluster: HubCluster;
	let hubs: HubProcess[] = [];

	beforeAll(async () => {
		buildHub();
		database = await createTestDatabase('postgres');
		discord = await startDiscordStandIn();
		await registerCommands({
			botToken: SANDBOX_DISCORD.token,
			applicationId: SANDBOX_DISCORD.applicationId,
			apiRoot: discord.apiRoot,
			scope: { guildId: SANDBOX_DISCORD.guildId },
		});
		telegram = await startTelegramStandIn();
		cluster = HubCluster.create(database, await freePorts(2), randomBytes(32), {
			FANLOOP_BOT_LEASE_MS: String(LEASE_MS),
			FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
			FANLOOP_TELEGRAM_API_URL: telegram.apiRoot,
			FANLOOP_DISCORD_BOT_TOKEN: SANDBOX_DISCORD.token,
			FANLOOP_DISCORD_APPLICATION_ID: SANDBOX_DISCORD.applicationId,
			FANLOOP_DISCORD_GUILD_ID: SANDBOX_DISCORD.guildId,
			FANLOOP_DISCORD_RELEASE_ROLE_ID: SANDBOX_DISCORD.releaseRoleId,
			FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID: SANDBOX_DISCORD.announceChannelId,
			FANLOOP_DISCORD_API_URL: discord.apiRoot,
		});
		hubs = cluster.hubs;
	});

	afterAll(async () => {
		await cluster?.close();
		await telegram?.close();
		await discord?.stop();
		await database?.drop();
	});

	/** Runs a slash command as the member and waits for the bot's finished answer; how many callbacks were tried. */
	async function command(userId: string, name: string): Promise<number> {
		const { id } = discord.runCommand(userId, name);
		await eventually(
			`the answer to /${name}`,
			() => {
				const response = discord.interaction(id).response;
				return response && (response.flags & MESSAGE_FLAGS.loading) === 0 ? true : undefined;
			},
			10_000,
			() => JSON.stringify(discord.interaction(id)),
			20,
		);
		return discord
			.requestLog()
			.filter((entry) => entry.method === 'POST' && entry.path.includes(`/interactions/${id}/`))
			.length;
	}

	/** Waits until the bot has sent the fan `count` messages; returns how many it sent. */
	async function repliesTo(fanId: number, count: number): Promise<number> {
		await eventually(
			`message #${count} to fan ${fanId}`,
			() => telegram.messages(fanId)[count - 1],
			10_000,
			() => JSON.stringify(telegram.messages(fanId).map((message) => message.text)),
			20,
		);
		return telegram.messages(fanId).length;
	}

	const connectedSessions = () =>
		discord.gatewaySessions().filter((session) => session.connected).length;

	it('connect each bot from one process, answer each fan once, and move to the other when the holder dies', async () => {
		const [first, second] = hubs;
		await first.start();
		await eventually('the first hub to connect to the gateway', () =>
			connectedSessions() === 1 ? true : undefined,
		);
		await eventually('the first hub to poll Telegram', () =>
			(telegram.requestCounts().getUpdates ?? 0) > 0 ? true : undefined,
		);
		await second.start();
		await eventually(
			'the second hub to find both bots held',
			() => (second.log.match(/lease held by another process/g)?.length === 2 ? true : undefined),
			10_000,
			() => second.log,
		);

		const member = discord.addUser('ada');
		discord.addMember(member.id);
		expect(await command(member.id, 'help')).toBe(1);
		expect(discord.gateway.identifyCount).toBe(1);
		expect(connectedSessions()).toBe(1);

		const fan = telegram.createUser();
		telegram.send(fan.id, '/start');
		// The greeting and the offer, then the help a second message asks for: each once.
		expect(await repliesTo(fan.id, 2)).toBe(2);
		telegram.send(fan.id, '/help');
		expect(await repliesTo(fan.id, 3)).toBe(3);
		expect(telegram.conflictingPolls).toBe(0);

		const killedAtMs = Date.now();
		await first.kill('SIGKILL');
		// Sent while nobody polls: it waits at Telegram for the process that takes over.
		telegram.send(fan.id, '/help');
		await eventually(
			'the second hub to connect to the gateway',
			() => (discord.gateway.identifyCount === 2 && connectedSessions() === 1 ? true : undefined),
			TAKEOVER_WITHIN_MS,
			() => second.log,
		);
		const discordTakeoverMs = Date.now() - killedAtMs;
		expect(await repliesTo(fan.id, 4)).toBe(4);
		const telegramTakeoverMs = Date.now() - killedAtMs;
		expect(await command(member.id, 'help')).toBe(1);
		expect(telegram.conflictingPolls).toBe(0);
		console.log(
			`lease ${LEASE_MS} ms: after SIGKILL, the gateway reconnected in ${discordTakeoverMs} ms, the poller answered in ${telegramTakeoverMs} ms`,
		);
	});
});
