/**
 * What the Fanloop Community node asks of the hub, carried out on Discord: the
 * announcement that pings the release-updates role, granting and revoking that role,
 * and a DM to every opted-in fan as a hub job — through the Discord stand-in.
 */
import { SANDBOX_DISCORD } from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { DiscordHub } from './discord-hub';

describe('the community API on Discord', () => {
	let h: DiscordHub;

	afterEach(async () => {
		await h?.close();
	});

	/** A fan who joined the server and opted in to release updates through the bot. */
	async function optedIn(name: string): Promise<{ userId: string; fanId: string }> {
		const userId = await h.member(name);
		await h.press(userId, 'join-confirm', (await h.command(userId, 'join')).id);
		return { userId, fanId: (await h.fanOf(userId))! };
	}

	it('announces in the announcement channel, pinging only the release-updates role', async () => {
		h = await DiscordHub.start('sqlite');

		const posted = await h.api.call('POST', '/v1/community/announcements', {
			platform: 'discord',
			text: 'Halo is out now.',
		});

		expect(posted.status).toBe(200);
		const [message] = h.discord.channelMessages(SANDBOX_DISCORD.announceChannelId);
		expect(posted.body).toEqual({ platform: 'discord', messageId: message.id });
		expect(message.content).toBe(`<@&${SANDBOX_DISCORD.releaseRoleId}> Halo is out now.`);
		expect(message.mentionRoleIds).toEqual([SANDBOX_DISCORD.releaseRoleId]);
	});

	it('grants and revokes the role for a fan, and names the fix when the hierarchy forbids it', async () => {
		h = await DiscordHub.start('sqlite');
		const userId = await h.member('lena');
		const fanId = (await h.fanOf(userId))!;

		const granted = await h.api.call('POST', '/v1/community/roles', { fanId, action: 'grant' });
		expect(granted.body).toEqual({ fanId, platform: 'discord', hasRole: true });
		expect(h.discord.memberRoles(userId)).toEqual([SANDBOX_DISCORD.releaseRoleId]);
		await h.api.call('POST', '/v1/community/roles', { fanId, action: 'revoke' });
		expect(h.discord.memberRoles(userId)).toEqual([]);

		h.discord.moveRole(SANDBOX_DISCORD.botRoleId, 1);
		h.discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 2);
		const refused = await h.api.call('POST', '/v1/community/roles', { fanId, action: 'grant' });
		expect(refused.status).toBeGreaterThanOrEqual(400);
		expect(refused.body.error.code).toBe('platform_not_allowed');
		expect(refused.body.error.message).toContain('drag the bot’s role above “Release updates”');
		expect(h.discord.memberRoles(userId)).toEqual([]);
	});

	it('DMs every opted-in fan once, records the fans whose DMs are closed, and sends nothing more when asked again', async () => {
		h = await DiscordHub.start('sqlite');
		const fans = [];
		for (const name of ['ada', 'ben', 'cho', 'dev', 'eli', 'fay']) fans.push(await optedIn(name));
		const bystander = await h.member('gus');
		const [closed, ...open] = fans;
		h.discord.blockDms(closed.userId);
		const text = 'Halo is out now: https://example.com/halo';
		// Besides the welcome DM every new member gets.
		const broadcastTo = (userId: string) =>
			h.discord.dms(userId).filter((message) => message.content === text);

		const started = await h.api.call('POST', '/v1/community/broadcasts', {
			platform: 'discord',
			text,
			messageKey: 'halo-out',
		});
		expect(started.status).toBe(202);
		const job = await eventually('the broadcast job done', async () => {
			const found = await h.api.call('GET', `/v1/jobs/${started.body.jobId}`);
			return found.body.status === 'done' ? found.body : undefined;
		});
		expect(job.progress).toMatchObject({ sent: open.length, blocked: 1, failed: 0, waiting: 0 });
		for (const fan of open) expect(broadcastTo(fan.userId)).toHaveLength(1);
		expect(broadcastTo(closed.userId)).toEqual([]);
		expect(broadcastTo(bystander)).toEqual([]);

		const blockedEvent = await eventually('the blocked fan’s left event', () =>
			h
				.events()
				.find((event) => event.type === 'community.left' && event.data.fan.id === closed.fanId),
		);
		expect(blockedEvent.data.community).toEqual({ platform: 'discord', what: 'chat' });
		expect(
			(await h.api.call('GET', `/v1/community/status?fanId=${closed.fanId}`)).body.discord
				.releaseUpdates,
		).toBe(false);

		const again = await h.api.call('POST', '/v1/community/broadcasts', {
			platform: 'discord',
			text,
			messageKey: 'halo-out',
		});
		expect(again.body.jobId).toBe(started.body.jobId);
		for (const fan of open) expect(broadcastTo(fan.userId)).toHaveLength(1);
		expect(h.discord.invalidRequestCount).toBe(1);
	});
});
