import {
	DiscordAPIError,
	Events,
	MessageFlags,
	RESTJSONErrorCodes,
	type Client,
	type Interaction,
} from 'discord.js';
import type { Logger } from '../../../hub/src/core/logger';
import type { ChatUser, CommunityDesk } from '../port';
import { buttonNamed, buttonRow } from './buttons';
import { isFanAction } from './commands';
import { REPLIES, answerFan, type FanRequest, type Reply } from './fan-actions';
import type { UserRateLimit } from '../user-rate-limit';

export interface InteractionDependencies {
	/** The artist's server, where the release-updates role lives. */
	guildId: string;
	desk: CommunityDesk;
	logger: Logger;
	rateLimit: UserRateLimit;
}

/** Answers the bot's slash commands and buttons; anything else is left alone. */
export function answerInteractions(client: Client, dependencies: InteractionDependencies): void {
	client.on(Events.InteractionCreate, (interaction) => void answer(interaction, dependencies));
}

async function answer(
	interaction: Interaction,
	{ guildId, desk, logger, rateLimit }: InteractionDependencies,
): Promise<void> {
	if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
	const request: FanRequest | undefined = interaction.isButton()
		? buttonNamed(interaction.customId)
		: isFanAction(interaction.commandName)
			? interaction.commandName
			: undefined;
	if (!request) return;
	const user: ChatUser = {
		platform: 'discord',
		userId: interaction.user.id,
		username: interaction.user.username,
		locale: interaction.locale,
	};
	try {
		if (!rateLimit.allow(user.userId)) {
			await interaction.reply({ content: REPLIES.slowDown, flags: MessageFlags.Ephemeral });
			return;
		}
		// The desk may call Discord (the role) and wait out a rate limit: past Discord's 3 s to answer.
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		let reply: Reply;
		try {
			reply = await answerFan(request, user, desk, async () =>
				interaction.guildId === guildId ? true : isMember(interaction.client, guildId, user.userId),
			);
		} catch (error) {
			logger.error('discord: a fan request failed', { request, error: (error as Error).message });
			reply = { content: REPLIES.sorry };
		}
		if (reply.problem)
			logger.warn('discord: the bot cannot manage the release-updates role', {
				problem: reply.problem,
			});
		await interaction.editReply({
			content: reply.content,
			components: reply.buttons ? [buttonRow(reply.buttons)] : [],
		});
	} catch (error) {
		// Only the answer itself failed here (the interaction expired, Discord is down); its URL carries the
		// interaction token, so log the message alone.
		logger.warn('discord: could not answer an interaction', {
			request,
			error: (error as Error).message,
		});
	}
}

async function isMember(client: Client, guildId: string, userId: string): Promise<boolean> {
	const server = await client.guilds.fetch(guildId);
	try {
		await server.members.fetch(userId);
		return true;
	} catch (error) {
		if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMember)
			return false;
		throw error;
	}
}
