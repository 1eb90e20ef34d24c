import {
	DiscordAPIError,
	Events,
	RESTJSONErrorCodes,
	type Client,
	type GuildMember,
	type PartialGuildMember,
} from 'discord.js';
import type { Logger } from '../../../hub/src/core/logger';
import type { ChatUser, CommunityDesk, StartResult } from '../port';
import { buttonRow } from './buttons';
import { REPLIES } from './fan-actions';
import { InviteWatch } from './invite-watch';

export interface MemberDependencies {
	/** The artist's server; members of other servers are not fans of this hub. */
	guildId: string;
	desk: CommunityDesk;
	logger: Logger;
}

/**
 * Tells the desk who joined and left the artist's server. A join is attributed to the
 * fan whose single-use invite it used up (see InviteWatch); joins are handled one at a
 * time, in the order the gateway reported them, each looking at the invites right after.
 */
export function followMembers(client: Client, dependencies: MemberDependencies): void {
	const { guildId, desk } = dependencies;
	const watch = new InviteWatch(desk, async () => {
		const guild = await client.guilds.fetch(guildId);
		return new Set((await guild.invites.fetch({ cache: false })).keys());
	});
	client.on(Events.InviteCreate, (invite) => {
		if (invite.guild?.id === guildId) watch.created(invite.code, invite.expiresTimestamp);
	});
	let previous = Promise.resolve();
	client.on(Events.GuildMemberAdd, (member) => {
		previous = previous.then(() => welcome(member, watch, dependencies));
	});
	client.on(Events.GuildMemberRemove, (member) => void farewell(member, dependencies));
}

function chatUserOf(member: GuildMember | PartialGuildMember): ChatUser {
	return { platform: 'discord', userId: member.id, username: member.user.username };
}

async function welcome(
	member: GuildMember,
	watch: InviteWatch,
	{ guildId, desk, logger }: MemberDependencies,
): Promise<void> {
	if (member.guild.id !== guildId || member.user.bot) return;
	let inviteCode: string | undefined;
	try {
		inviteCode = await watch.usedBy(member.joinedTimestamp ?? Date.now());
	} catch (error) {
		logger.warn(
			'discord: could not compare the server’s invites, so this join goes unattributed (listing them needs Manage Server)',
			{
				error: (error as Error).message,
			},
		);
	}
	let result: StartResult;
	try {
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
