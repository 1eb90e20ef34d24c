import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';

/** Every button the bot shows; its custom id is `fanloop:<name>`. */
export const BUTTONS = {
	join: { label: 'Get release updates', style: ButtonStyle.Primary },
	'join-confirm': { label: 'Yes, ping me', style: ButtonStyle.Success },
	stop: { label: 'Stop updates', style: ButtonStyle.Secondary },
	status: { label: 'My status', style: ButtonStyle.Secondary },
	presave: { label: 'Pre-save', style: ButtonStyle.Secondary },
	'saveall-confirm': { label: 'Yes, save every release', style: ButtonStyle.Success },
} as const;
export type ButtonName = keyof typeof BUTTONS;

const PREFIX = 'fanloop:';

export function buttonRow(names: readonly ButtonName[]): ActionRowBuilder<ButtonBuilder> {
	return new ActionRowBuilder<ButtonBuilder>().addComponents(
		names.map((name) =>
			new ButtonBuilder()
				.setCustomId(PREFIX + name)
				.setLabel(BUTTONS[name].label)
				.setStyle(BUTTONS[name].style),
		),
	);
}

/** The button a custom id names, or undefined for ids this bot did not make. */
export function buttonNamed(customId: string): ButtonName | undefined {
	const name = customId.startsWith(PREFIX) ? customId.slice(PREFIX.length) : '';
	return Object.hasOwn(BUTTONS, name) ? (name as ButtonName) : undefined;
}
