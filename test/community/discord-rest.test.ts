import { CommunityPlatformError } from '../../hub/src/core/community/ports';
import { DiscordRestClient, type DiscordConfig } from '../../hub/src/providers/discord';
import {
	PERMISSIONS,
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { BOT_PERMISSIONS } from './discord-hub';

function clientFor(
	discord: DiscordStandIn,
	overrides: Partial<DiscordConfig> = {},
): DiscordRestClient {
	return new DiscordRestClient({
		botToken: SANDBOX_DISCORD.token,
		guildId: SANDBOX_DISCORD.guildId,
		releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
		announcementChannelId: SANDBOX_DISCORD.announceChannelId,
		inviteChannelId: SANDBOX_DISCORD.inviteChannelId,
		apiRoot: discord.apiRoot,
		...overrides,
	});
}

async function refusalOf(work: Promise<unknown>): Promise<CommunityPlatformError> {
	const error = await work.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!(error instanceof CommunityPlatformError))
		throw new Error(`expected a CommunityPlatformError, got ${String(error)}`);
	return error;
}

describe('the Discord REST client against the Discord stand-in', () => {
	let discord: DiscordStandIn;

	afterEach(async () => {
		await discord?.stop();
	});

	function member(name: string): string {
		const user = discord.addUser(name);
		discord.addMember(user.id);
		return user.id;
	}

	it('sends DMs through one DM channel per fan and reports fans who closed their DMs as blocked', async () => {
		discord = await startDiscordStandIn();
		const client = clientFor(discord);
		const fan = member('mara');

		const first = await client.sendDirect(fan, 'Halo is out now.');
		await client.sendDirect(fan, 'Tour dates next week.');
		expect(discord.dms(fan).map((message) => [message.id, message.content])).toEqual([
			[first.messageId, 'Halo is out now.'],
			[expect.any(String), 'Tour dates next week.'],
		]);
		expect(
			discord.requestLog().filter((entry) => entry.path.endsWith('/users/@me/channels')),
		).toHaveLength(1);

		const closed = member('quiet');
		discord.blockDms(closed);
		const refusal = await refusalOf(client.sendDirect(closed, 'Halo is out now.'));
		expect(refusal).toMatchObject({ platform: 'discord', kind: 'blocked' });
		expect(discord.dms(closed)).toEqual([]);
	});

	it('announces in the announcement channel pinging the release-updates role and nobody else', async () => {
		discord = await startDiscordStandIn();
		const vip = discord.addRole({ name: 'VIP', position: 1, mentionable: true });
		const client = clientFor(discord);

		const { messageId } = await client.announce(`Halo is out now @everyone <@&${vip.id}>`);

		const [posted] = discord.channelMessages(SANDBOX_DISCORD.announceChannelId);
		expect(posted.id).toBe(messageId);
		expect(posted.content).toBe(
			`<@&${SANDBOX_DISCORD.releaseRoleId}> Halo is out now @everyone <@&${vip.id}>`,
		);
		expect(posted.mentionRoleIds).toEqual([SANDBOX_DISCORD.releaseRoleId]);
	});

	it('posts no announcement that would ping nobody, and says what to change', async () => {
		discord = await startDiscordStandIn();
		const quiet = discord.addRole({ name: 'Quiet updates', position: 1, mentionable: false });
		const client = clientFor(discord, { releaseRoleId: quiet.id });

		// A role nobody may mention is still pinged by a bot that may mention everyone.
		await client.announce('Halo is out now.');
		expect(discord.channelMessages(SANDBOX_DISCORD.announceChannelId)[0].mentionRoleIds).toEqual([
			quiet.id,
		]);

		discord.setRolePermissions(
			SANDBOX_DISCORD.botRoleId,
			BOT_PERMISSIONS & ~PERMISSIONS.mentionEveryone,
		);
		const refusal = await refusalOf(client.announce('Halo is out now.'));
		expect(refusal.kind).toBe('not_allowed');
		expect(refusal.message).toContain('“Quiet updates” role is not mentionable');
		expect(refusal.message).toContain('Allow anyone to @mention this role');
		expect(discord.channelMessages(SANDBOX_DISCORD.announceChannelId)).toHaveLength(1);
	});

	it('refuses a message over Discord’s 2,000 characters before sending anything', async () => {
		discord = await startDiscordStandIn();
		const client = clientFor(discord);
		const fan = member('long');

		const refusal = await refusalOf(client.sendDirect(fan, 'x'.repeat(2001)));
		expect(refusal.kind).toBe('permanent');
		expect(refusal.message).toContain('2000');
		expect(discord.requestLog()).toEqual([]);
	});

	it('grants and revokes the release-updates role, and revoking from a fan who left the server is not an error', async () => {
		discord = await startDiscordStandIn();
		const client = clientFor(discord);
		const fan = member('ines');

		await client.grant(fan);
		expect(discord.memberRoles(fan)).toEqual([SANDBOX_DISCORD.releaseRoleId]);
		await client.grant(fan);
		expect(discord.memberRoles(fan)).toEqual([SANDBOX_DISCORD.releaseRoleId]);
		await client.revoke(fan);
		expect(discord.memberRoles(fan)).toEqual([]);

		discord.memberLeaves(fan);
		await expect(client.revoke(fan)).resolves.toBeUndefined();
		const refusal = await refusalOf(client.grant(fan));
		expect(refusal.kind).toBe('permanent');
		expect(refusal.message).toContain('not a member');
	});

	it('says in words what to change when the role sits above the bot’s own', async () => {
		discord = await startDiscordStandIn();
		discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 3);
		const client = clientFor(discord);
		const fan = member('theo');

		const refusal = await refusalOf(client.grant(fan));
		expect(refusal.kind).toBe('not_allowed');
		expect(refusal.message).toBe(
			'The bot can’t give the release-updates role because the “Release updates” role sits above the bot’s highest role (“Fanloop”); in Server Settings → Roles, drag the bot’s role above “Release updates”.',
		);
		expect(discord.memberRoles(fan)).toEqual([]);
		await expect(client.roleHierarchyProblem()).resolves.toContain('sits above');

		discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 1);
		await expect(client.roleHierarchyProblem()).resolves.toBeUndefined();
		await client.grant(fan);
		expect(discord.memberRoles(fan)).toEqual([SANDBOX_DISCORD.releaseRoleId]);
	});

	it('names the missing Manage Roles permission', async () => {
		discord = await startDiscordStandIn();
		discord.setRolePermissions(
			SANDBOX_DISCORD.botRoleId,
			BOT_PERMISSIONS & ~PERMISSIONS.manageRoles,
		);
		const fan = member('noor');

		const refusal = await refusalOf(clientFor(discord).grant(fan));
		expect(refusal.kind).toBe('not_allowed');
		expect(refusal.message).toBe(
			'The bot can’t give the release-updates role because the bot lacks the Manage Roles permission; give its role Manage Roles in Server Settings → Roles.',
		);
	});

	it('makes single-use invites to the invite channel that a join uses up', async () => {
		discord = await startDiscordStandIn();
		const client = clientFor(discord);

		const invite = await client.discordInvite();
		expect(invite.url).toBe(`https://discord.gg/${invite.code}`);
		expect(discord.invites()).toEqual([
			expect.objectContaining({
				code: invite.code,
				channelId: SANDBOX_DISCORD.inviteChannelId,
				maxUses: 1,
			}),
		]);
		const other = await client.discordInvite();
		expect(other.code).not.toBe(invite.code);

		discord.memberJoins(discord.addUser('newcomer').id, invite.code);
		expect(discord.invites().map((live) => live.code)).toEqual([other.code]);
	});

	it('waits out a spent route bucket instead of running into a 429', async () => {
		discord = await startDiscordStandIn({
			routeBudgets: {
				'PUT /guilds/:guildId/members/:userId/roles/:roleId': { limit: 2, windowMs: 1000 },
			},
		});
		const client = clientFor(discord);
		const fans = ['a1', 'a2', 'a3', 'a4'].map(member);

		for (const fan of fans) await client.grant(fan);

		expect(fans.map((fan) => discord.memberRoles(fan))).toEqual(
			fans.map(() => [SANDBOX_DISCORD.releaseRoleId]),
		);
		expect(discord.invalidRequestCount).toBe(0);
	});

	it('hands a long wait back to the caller as rate_limited, with Discord’s retry_after', async () => {
		discord = await startDiscordStandIn({
			routeBudgets: {
				'PUT /guilds/:guildId/members/:userId/roles/:roleId': { limit: 1, windowMs: 60_000 },
			},
		});
		const client = clientFor(discord);
		const [first, second] = ['b1', 'b2'].map(member);
		await client.grant(first);

		const spent = await refusalOf(client.grant(second));
		expect(spent.kind).toBe('rate_limited');
		expect(spent.retryAfterMs).toBeGreaterThan(50_000);
		expect(discord.invalidRequestCount).toBe(0);

		discord.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
		const limited = await refusalOf(client.sendDirect(second, 'hello'));
		expect(limited).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
	});

	it('reports Discord outages as transient and a wrong token without echoing it', async () => {
		discord = await startDiscordStandIn();
		const fan = member('omar');
		discord.faults.set({ serverErrorRate: 1 });
		expect((await refusalOf(clientFor(discord).sendDirect(fan, 'hi'))).kind).toBe('transient');
		discord.faults.clear();

		const wrongToken = 'MTMwMTAwMDAwMDAwMDAwMDAwMQ.wrong.not-the-sandbox-token-at-all';
		const refusal = await refusalOf(clientFor(discord, { botToken: wrongToken }).announce('hi'));
		expect(refusal.kind).toBe('permanent');
		expect(refusal.message).toContain('bot token');
		expect(refusal.message).not.toContain(wrongToken);
	});
});
