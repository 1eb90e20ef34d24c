#!/usr/bin/env node
import { REST, Routes } from 'discord.js';
import { z } from 'zod';
import { discordBotConfig } from './config';
import { slashCommands } from './discord/commands';

/** Guild commands appear at once (development); global ones reach every server the bot is in (production). */
export type CommandScope = { guildId: string } | 'global';

export interface RegisterCommandsOptions {
	botToken: string;
	applicationId: string;
	scope: CommandScope;
	/** Default https://discord.com/api. */
	apiRoot?: string;
}

/**
 * Replaces the bot's slash commands in one bulk overwrite, so commands dropped from the
 * code disappear from Discord too. Never run at startup: Discord limits command creation
 * per day, and a running bot needs nothing from it.
 */
export async function registerCommands(
	options: RegisterCommandsOptions,
): Promise<{ registered: string[] }> {
	const rest = new REST(
		options.apiRoot ? { api: options.apiRoot.replace(/\/$/, '') } : {},
	).setToken(options.botToken);
	const route =
		options.scope === 'global'
			? Routes.applicationCommands(options.applicationId)
			: Routes.applicationGuildCommands(options.applicationId, options.scope.guildId);
	const stored = (await rest.put(route, { body: slashCommands() })) as { name: string }[];
	return { registered: stored.map((command) => command.name) };
}

const USAGE = `Usage: fanloop-register-commands (--guild [GUILD_ID] | --global)

  --guild [GUILD_ID]   register in one server, visible at once (development);
                       GUILD_ID defaults to FANLOOP_DISCORD_GUILD_ID
  --global             register for every server the bot is in (production)

Environment: FANLOOP_DISCORD_BOT_TOKEN, FANLOOP_DISCORD_APPLICATION_ID,
FANLOOP_DISCORD_GUILD_ID, FANLOOP_DISCORD_API_URL (default https://discord.com/api).`;

/** The settings registration needs, checked as the bots' own configuration checks them. */
const settings = discordBotConfig
	.pick({ botToken: true, applicationId: true, apiRoot: true })
	.extend({ guildId: discordBotConfig.shape.guildId.optional() });
const VARIABLES: Record<keyof z.infer<typeof settings>, string> = {
	botToken: 'FANLOOP_DISCORD_BOT_TOKEN',
	applicationId: 'FANLOOP_DISCORD_APPLICATION_ID',
	guildId: 'FANLOOP_DISCORD_GUILD_ID',
	apiRoot: 'FANLOOP_DISCORD_API_URL',
};

/** The options the command line and environment ask for, or a sentence saying what is wrong. */
export function registerOptionsFrom(
	args: string[],
	env: NodeJS.ProcessEnv,
): RegisterCommandsOptions | string {
	const global = args.includes('--global');
	const guildIndex = args.indexOf('--guild');
	if (global === guildIndex >= 0) return USAGE;
	const given = args[guildIndex + 1];
	const parsed = settings.safeParse({
		botToken: env[VARIABLES.botToken],
		applicationId: env[VARIABLES.applicationId],
		guildId: global ? undefined : given && !given.startsWith('--') ? given : env[VARIABLES.guildId],
		apiRoot: env[VARIABLES.apiRoot] || undefined,
	});
	if (!parsed.success) {
		return parsed.error.issues
			.map(
				(issue) =>
					`${VARIABLES[issue.path[0] as keyof typeof VARIABLES] ?? String(issue.path[0])}: ${issue.message}`,
			)
			.join('\n');
	}
	const { botToken, applicationId, apiRoot, guildId } = parsed.data;
	if (!global && !guildId)
		return `--guild needs a server id (or ${VARIABLES.guildId}).\n\n${USAGE}`;
	return { botToken, applicationId, apiRoot, scope: global ? 'global' : { guildId: guildId! } };
}

async function main(): Promise<void> {
	const options = registerOptionsFrom(process.argv.slice(2), process.env);
	if (typeof options === 'string') {
		process.stderr.write(`${options}\n`);
		process.exitCode = 2;
		return;
	}
	try {
		const { registered } = await registerCommands(options);
		const where = options.scope === 'global' ? 'globally' : `in server ${options.scope.guildId}`;
		process.stdout.write(`Registered /${registered.join(', /')} ${where}.\n`);
	} catch (error) {
		// discord.js's errors name the route, never the token.
		process.stderr.write(`Registering the commands failed: ${(error as Error).message}\n`);
		process.exitCode = 1;
	}
}

if (require.main === module) void main();
