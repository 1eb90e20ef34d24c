import { DiscordApiError, unknown } from './discord-errors';
import type { DiscordMembers } from './discord-members';
import {
	INTENTS,
	PERMISSIONS,
	randomToken,
	userPayload,
	type DiscordInvite,
} from './discord-model';
import { integerIn } from './discord-routes';
import type { DiscordState } from './discord-state';

/**
 * Guild invites: the bot creates, lists and revokes them over REST, and users accept them
 * through the test API. Expiry follows the sandbox clock and a used-up invite is deleted,
 * so the bot sees invites vanish as it would on Discord.
 */
export class DiscordInvites {
	private readonly byCode = new Map<string, DiscordInvite>();

	constructor(
		private readonly state: DiscordState,
		private readonly members: DiscordMembers,
	) {}

	/** An invite that still works: known, not expired by the clock, not used up. */
	live(code: string): DiscordInvite | undefined {
		const invite = this.byCode.get(code);
		if (!invite) return undefined;
		const expired =
			invite.maxAgeSeconds > 0 &&
			this.state.clock.now() >= invite.createdAtMs + invite.maxAgeSeconds * 1000;
		return expired ? undefined : invite;
	}

	liveOr404(code: string): DiscordInvite {
		const invite = this.live(code);
		if (!invite) throw unknown('Invite');
		return invite;
	}

	/** Live invites that `belongs` picks (one channel's, one guild's). */
	liveWhere(belongs: (invite: DiscordInvite) => boolean): DiscordInvite[] {
		return [...this.byCode.values()].filter(
			(invite) => belongs(invite) && this.live(invite.code) !== undefined,
		);
	}

	delete(invite: DiscordInvite): void {
		this.byCode.delete(invite.code);
		this.state.dispatch(
			'INVITE_DELETE',
			{ channel_id: invite.channelId, guild_id: invite.guildId, code: invite.code },
			INTENTS.guildInvites,
		);
	}

	/** POST /channels/{id}/invites. */
	create(channelId: string, body: Record<string, unknown>): DiscordInvite {
		const { state } = this;
		const channel = state.channelOr404(channelId);
		if (!channel.guildId) {
			throw new DiscordApiError(400, 50003, 'Cannot execute action on a DM channel');
		}
		const guild = state.guilds.get(channel.guildId)!;
		state.requireBotPermission(guild, PERMISSIONS.createInstantInvite);
		const maxAgeSeconds = integerIn(body.max_age, 86_400, 0, 604_800, 'max_age');
		const maxUses = integerIn(body.max_uses, 0, 0, 100, 'max_uses');
		const temporary = body.temporary === true;
		if (body.unique !== true) {
			// Without `unique`, Discord hands back a live invite with the same settings.
			const [same] = this.liveWhere(
				(invite) =>
					invite.channelId === channel.id &&
					invite.inviterId === state.botUser.id &&
					invite.maxAgeSeconds === maxAgeSeconds &&
					invite.maxUses === maxUses &&
					invite.temporary === temporary,
			);
			if (same) return same;
		}
		const invite: DiscordInvite = {
			code: randomToken(6).replace(/[-_]/g, 'x'),
			guildId: guild.id,
			channelId: channel.id,
			inviterId: state.botUser.id,
			maxAgeSeconds,
			maxUses,
			uses: 0,
			temporary,
			createdAtMs: state.clock.now(),
		};
		this.byCode.set(invite.code, invite);
		state.dispatch(
			'INVITE_CREATE',
			{
				channel_id: invite.channelId,
				code: invite.code,
				created_at: new Date(invite.createdAtMs).toISOString(),
				guild_id: invite.guildId,
				inviter: userPayload(state.botUser),
				max_age: invite.maxAgeSeconds,
				max_uses: invite.maxUses,
				temporary: invite.temporary,
				uses: 0,
			},
			INTENTS.guildInvites,
		);
		return invite;
	}

	/**
	 * A user accepts an invite (test API): they become a member, the invite counts the use,
	 * and an invite that reached its max uses is deleted.
	 */
	accept(userId: string, code: string): void {
		this.state.userOrThrow(userId);
		const invite = this.live(code);
		if (!invite) throw new Error(`invite ${code} does not exist or has expired`);
		if (this.state.guilds.get(invite.guildId)!.members.has(userId)) {
			throw new Error(`user ${userId} is already in guild ${invite.guildId}`);
		}
		invite.uses += 1;
		this.members.add(userId, { guildId: invite.guildId });
		if (invite.maxUses > 0 && invite.uses >= invite.maxUses) this.delete(invite);
	}
}
