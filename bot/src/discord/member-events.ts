import {
	DiscordAPIError,
	Events,
	RESTJSONErrorCodes,
	type Client,
	type Guild,
	type GuildMember,
	type PartialGuildMember,
} from 'discord.js';
import type { Logger } from '../../../hub/src/core/logger';
import type { ChatUser, CommunityDesk, StartResult } from '../port';
import { buttonRow } from './buttons';
import { REPLIES } from './fan-actions';

export interface MemberDependencies {
	/** The artist's server; members of other servers are not fans of this hub. */
	guildId: string;
	desk: CommunityDesk;
	logger: Logger;
}

/**
 * Tells the desk who joined and left the artist's server. A join is attributed to the
 * fan whose single-use invite it used up: that invite is no longer listed afterwards.
 * Joins are handled one at a time so each compares the invites right after its own join.
 */
export function followMembers(client: Client, dependencies: MemberDependencies): void {
	let previous = Promise.resolve();
	client.on(Events.GuildMemberAdd, (member) => {
		previous = previous.then(() => welcome(member, dependencies));
	});
	client.on(Events.GuildMemberRemove, (member) => void farewell(member, dependencies));
}

function chatUserOf(member: GuildMember | PartialGuildMember): ChatUser {
	return { platform: 'discord', userId: member.id, username: member.user.username };
}

async function welcome(
	member: GuildMember,
	{ guildId, desk, logger }: MemberDependencies,
): Promise<void> {
	if (member.guild.id !== guildId || member.user.bot) return;
	let result: StartResult;
	try {
		const inviteCode = await usedInvite(member.guild, desk, logger);
		result = await desk.joined(chatUserOf(member), { what: 'guild', inviteCode });
	} catch (error) {
		logger.error('discord: recording a member join failed', { error: (error as Error).message });
		return;
	}
	if (result.outcome !== 'linked' || result.releaseUpdates || result.alreadyLinked) return;
	try {
		await member.send({ content: REPLIES.welcome, components: [buttonRow(['join'])] });
	} catch (error) {
		// Fans who keep their DMs closed are simply not greeted.
		if (
			error instanceof DiscordAPIError &&
			error.code === RESTJSONErrorCodes.CannotSendMessagesToThisUser
		)
			return;
		logger.warn('discord: could not send a new member the welcome DM', {
			error: (error as Error).message,
		});
	}
}

async function usedInvite(
	guild: Guild,
	desk: CommunityDesk,
	logger: Logger,
): Promise<string | undefined> {
	const open = await desk.openInviteCodes();
	if (open.length === 0) return undefined;
	let live: Set<string>;
	try {
		live = new Set((await guild.invites.fetch({ cache: false })).keys());
	} catch (error) {
		logger.warn(
			'discord: cannot list the server’s invites, so joins are not attributed; give the bot Manage Server',
			{
				error: (error as Error).message,
			},
		);
		return undefined;
	}
	const used = open.filter((code) => !live.has(code));
	// Two invites gone at once (joins racing, or expiry) cannot be told apart: better no attribution than a wrong one.
	return used.length === 1 ? used[0] : undefined;
}

async function farewell(
	member: GuildMember | PartialGuildMember,
	{ guildId, desk, logger }: MemberDependencies,
): Promise<void> {
	if (member.guild.id !== guildId || member.user.bot) return;
	try {
		await desk.left(chatUserOf(member), { what: 'guild' });
	} catch (error) {
		logger.error('discord: recording a member leaving failed', { error: (error as Error).message });
	}
}
