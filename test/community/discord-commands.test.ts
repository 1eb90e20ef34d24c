import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FAN_ACTIONS } from '../../bot/src/discord/commands';
import { registerCommands, registerOptionsFrom } from '../../bot/src/register-commands';
import {
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { buildHub } from '../support/hub-process';

const ENV = {
	FANLOOP_DISCORD_BOT_TOKEN: SANDBOX_DISCORD.token,
	FANLOOP_DISCORD_APPLICATION_ID: SANDBOX_DISCORD.applicationId,
	FANLOOP_DISCORD_GUILD_ID: SANDBOX_DISCORD.guildId,
};

describe('registering the Discord bot’s slash commands', () => {
	let discord: DiscordStandIn;

	afterEach(async () => {
		await discord?.stop();
	});

	it('registers every fan action in one server for development, and globally for production', async () => {
		discord = await startDiscordStandIn();
		const env = { ...ENV, FANLOOP_DISCORD_API_URL: discord.apiRoot };

		const inGuild = registerOptionsFrom(['--guild'], env);
		if (typeof inGuild === 'string') throw new Error(inGuild);
		expect(inGuild.scope).toEqual({ guildId: SANDBOX_DISCORD.guildId });
		await expect(registerCommands(inGuild)).resolves.toEqual({ registered: [...FAN_ACTIONS] });
		expect(discord.commands(SANDBOX_DISCORD.guildId).map((command) => command.name)).toEqual([
			...FAN_ACTIONS,
		]);
		expect(discord.commands()).toEqual([]);

		const global = registerOptionsFrom(['--global'], env);
		if (typeof global === 'string') throw new Error(global);
		await registerCommands(global);
		expect(discord.commands().map((command) => [command.name, command.contexts])).toEqual(
			FAN_ACTIONS.map((name) => [name, [0, 1]]),
		);
	});

	it('keeps command ids when registering again, so nothing is duplicated', async () => {
		discord = await startDiscordStandIn();
		const options = {
			botToken: SANDBOX_DISCORD.token,
			applicationId: SANDBOX_DISCORD.applicationId,
			apiRoot: discord.apiRoot,
			scope: { guildId: SANDBOX_DISCORD.guildId },
		};
		await registerCommands(options);
		const before = discord.commands(SANDBOX_DISCORD.guildId).map((command) => command.id);
		await registerCommands(options);
		expect(discord.commands(SANDBOX_DISCORD.guildId).map((command) => command.id)).toEqual(before);
	});

	it('says what is missing instead of registering anywhere', () => {
		expect(registerOptionsFrom([], ENV)).toContain('Usage:');
		expect(registerOptionsFrom(['--guild', '--global'], ENV)).toContain('Usage:');
		expect(
			registerOptionsFrom(['--guild'], { ...ENV, FANLOOP_DISCORD_GUILD_ID: undefined }),
		).toContain('--guild needs a server id');
		expect(registerOptionsFrom(['--guild', 'general'], ENV)).toContain('FANLOOP_DISCORD_GUILD_ID');
		const noToken = registerOptionsFrom(['--global'], {
			...ENV,
			FANLOOP_DISCORD_BOT_TOKEN: undefined,
		});
		expect(noToken).toContain('FANLOOP_DISCORD_BOT_TOKEN');
		expect(registerOptionsFrom(['--guild', '1301000000000000999'], ENV)).toMatchObject({
			scope: { guildId: '1301000000000000999' },
		});
	});

	it('fails with Discord’s refusal for a server the bot is not in, without the token in the message', async () => {
		discord = await startDiscordStandIn();
		const failure = await registerCommands({
			botToken: SANDBOX_DISCORD.token,
			applicationId: SANDBOX_DISCORD.applicationId,
			apiRoot: discord.apiRoot,
			scope: { guildId: '1301000000000000999' },
		}).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(Error);
		expect((failure as Error).message).toContain('Missing Access');
		expect((failure as Error).message).not.toContain(SANDBOX_DISCORD.token);
	});
});

describe('the fanloop-register-commands command', () => {
	const cli = path.resolve(__dirname, '../../hub/dist/bot/src/register-commands.js');
	let discord: DiscordStandIn;

	beforeAll(() => buildHub(), 120_000);

	afterEach(async () => {
		await discord?.stop();
	});

	/** Runs the built command (asynchronously: the stand-in answers from this process). */
	async function run(
		args: string[],
		env: NodeJS.ProcessEnv,
	): Promise<{ code: number; stdout: string; stderr: string }> {
		try {
			const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
				env,
			});
			return { code: 0, stdout, stderr };
		} catch (error) {
			const failed = error as { code: number; stdout: string; stderr: string };
			return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
		}
	}

	it('registers the commands in the development server, prints what it did and exits', async () => {
		discord = await startDiscordStandIn();

		const result = await run(['--guild'], { ...ENV, FANLOOP_DISCORD_API_URL: discord.apiRoot });

		expect(result).toMatchObject({
			code: 0,
			stdout: `Registered /join, /stop, /status, /presave, /saveall, /help in server ${SANDBOX_DISCORD.guildId}.\n`,
		});
		expect(discord.commands(SANDBOX_DISCORD.guildId)).toHaveLength(FAN_ACTIONS.length);
	});

	it('exits 2 with the usage when the scope is missing, and 1 with Discord’s refusal', async () => {
		discord = await startDiscordStandIn();
		const env = { ...ENV, FANLOOP_DISCORD_API_URL: discord.apiRoot };

		const usage = await run([], env);
		expect(usage.code).toBe(2);
		expect(usage.stderr).toContain('Usage: fanloop-register-commands');

		const refused = await run(['--guild', '1301000000000000999'], env);
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain('Missing Access');
		expect(refused.stderr).not.toContain(SANDBOX_DISCORD.token);
	});
});
