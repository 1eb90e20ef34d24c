import {
	InteractionContextType,
	SlashCommandBuilder,
	type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';

/** The actions a fan can take, each as a slash command and as a button. */
export const FAN_ACTIONS = ['join', 'stop', 'status', 'presave', 'saveall', 'help'] as const;
export type FanAction = (typeof FAN_ACTIONS)[number];

const DESCRIPTIONS: Record<FanAction, string> = {
	join: 'Get release updates: the artist pings you when new music is out',
	stop: 'Stop release updates and drop the role',
	status: 'What you have signed up for so far',
	presave: 'The link to pre-save the next release',
	saveall: 'Save every new release of the artist to your music library',
	help: 'What this bot does and how to stop it',
};

/** The command definitions Discord stores, shared by registration and the interaction handler. */
export function slashCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
	return FAN_ACTIONS.map((name) =>
		new SlashCommandBuilder()
			.setName(name)
			.setDescription(DESCRIPTIONS[name])
			// In the artist's server and in a DM with the bot: the role is granted in the configured server either way.
			.setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
			.toJSON(),
	);
}

export function isFanAction(name: string): name is FanAction {
	return (FAN_ACTIONS as readonly string[]).includes(name);
}
