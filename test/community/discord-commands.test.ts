import { FAN_ACTIONS } from '../../bot/src/discord/commands';
import { registerCommands, registerOptionsFrom } from '../../bot/src/register-commands';
import {
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';

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
