import { Client, GatewayIntentBits, Partials } from 'discord.js';

export interface DiscordClientOptions {
	/** Discord's REST root as discord.js takes it (`rest.api`); default https://discord.com/api. The gateway URL comes from its `GET /gateway/bot`. */
	apiRoot?: string;
}

/**
 * A discord.js client with the intents the bot uses and nothing started: the caller logs
 * in (`client.login(token)`) and destroys it. Guild members is a privileged intent, needed
 * to see a fan join through an attributed invite; switch it on in the developer portal.
 */
export function createDiscordClient(options: DiscordClientOptions = {}): Client {
	return new Client({
		// Invites: when each expires, so an invite that lapsed unused is not taken for the one a join used.
		intents: [
			GatewayIntentBits.Guilds,
			GatewayIntentBits.GuildMembers,
			GatewayIntentBits.GuildInvites,
		],
		// Members who joined before the bot last connected are not cached; their leaving must still be seen.
		partials: [Partials.GuildMember],
		...(options.apiRoot ? { rest: { api: options.apiRoot.replace(/\/$/, '') } } : {}),
	});
}
