/**
 * Release-day DMs on Discord: the Fanloop Community node starts a broadcast to every fan who
 * took the release-updates role, through the hub's REST client against the Discord stand-in
 * (50 requests/s, two requests per first DM). Fans who closed their DMs (50007) are dropped and
 * recorded; everyone else gets the message once, however often the workflow runs.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import type { DiscordStandIn } from '../../sandbox/src/community/discord';
import { SANDBOX_DISCORD, startDiscordStandIn } from '../../sandbox/src/community/discord-sandbox';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { outputsOf, readFixture, runWorkflow } from '../nodes/harness';

const FANS = 300;
/** Every 20th fan closed their DMs after opting in. */
const CLOSED_EVERY = 20;
const TEXT = 'Loop Back Home is out now in #announcements.';
const MESSAGE_KEY = 'loop-back-home-discord';

jest.setTimeout(120_000);

interface Fan {
	userId: string;
	fanId: string;
}

describe('a release-day DM to opted-in Discord fans through the Community node', () => {
	let dataDir: string;
	let discord: DiscordStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let apiKey: string;
	let reachable: Fan[];
	let closed: Fan[];

	function received(userId: string): number {
		return discord.dms(userId).filter((message) => message.content === TEXT).length;
	}

	async function dmSegment(): Promise<string> {
		const workflow = readFixture('community-dm-segment.workflow.json');
		workflow.nodes[1].parameters = {
			resource: 'message',
			operation: 'dmSegment',
			platform: 'discord',
			text: TEXT,
			messageKey: MESSAGE_KEY,
		};
		const [items] = outputsOf(
			await runWorkflow(workflow, { baseUrl: hub.url, apiKey }),
			'DM Segment',
		);
		return String(items?.[0]?.json.jobId);
	}

	beforeAll(async () => {
		discord = await startDiscordStandIn();
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-broadcast-discord-'));
		hub = await startHub({
			port: 0,
			dataDir,
			sealingKey: randomBytes(32),
			community: {
				discord: {
					botToken: SANDBOX_DISCORD.token,
					applicationId: SANDBOX_DISCORD.applicationId,
					guildId: SANDBOX_DISCORD.guildId,
					releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
					announcementChannelId: SANDBOX_DISCORD.announceChannelId,
					apiRoot: discord.apiRoot,
				},
				runBots: false,
			},
			jobs: { pollMs: 50 },
		});
		apiKey = await hub.createApiKey('discord broadcast test');
		api = new HubApi(hub.url, apiKey);

		// Each fan opts in through the desk, as the bot's /join does: the role is granted on the way.
		const fans: Fan[] = [];
		for (let index = 0; index < FANS; index++) {
			const user = discord.addUser(`fan${index}`);
			discord.addMember(user.id);
			const joined = await hub.services.community.desk.join({
				platform: 'discord',
				userId: user.id,
			});
			if (joined.outcome !== 'joined')
				throw new Error(`fan ${index} could not join: ${JSON.stringify(joined)}`);
			fans.push({ userId: user.id, fanId: joined.fanId });
		}
		closed = fans.filter((_, index) => index % CLOSED_EVERY === 0);
		reachable = fans.filter((_, index) => index % CLOSED_EVERY !== 0);
		for (const fan of closed) discord.blockDms(fan.userId);
	});

	afterAll(async () => {
		await hub?.close();
		await discord?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it('messages every reachable fan once and records the fans whose DMs are closed', async () => {
		const jobId = await dmSegment();
		const done = await eventually(
			'the broadcast to finish',
			async () => {
				const { body } = await api.call('GET', `/v1/jobs/${jobId}`);
				return body.status === 'done' || body.status === 'failed' ? body : undefined;
			},
			90_000,
		);
		expect(done).toMatchObject({
			status: 'done',
			progress: { sent: reachable.length, blocked: closed.length, failed: 0, waiting: 0 },
		});
		expect(reachable.filter((fan) => received(fan.userId) !== 1)).toEqual([]);
		expect(closed.filter((fan) => discord.dms(fan.userId).length > 0)).toEqual([]);

		const closedIds = closed.map((fan) => fan.fanId).sort();
		const failed = await hub.ledger.store.all<{ fan_id: string; error: string }>(
			`SELECT fan_id, error FROM actions WHERE kind = 'join_discord' AND status = 'failed' AND source = 'discord:blocked'`,
		);
		expect(failed.map((row) => row.fan_id).sort()).toEqual(closedIds);
		const left = await hub.ledger.store.all<{ payload: string }>(
			`SELECT payload FROM outbox WHERE type = 'community.left'`,
		);
		expect(
			left
				.map(
					(row) =>
						JSON.parse(row.payload) as {
							data: { fan: { id: string }; community: { platform: string; what: string } };
						},
				)
				.filter(
					(event) =>
						event.data.community.platform === 'discord' && event.data.community.what === 'chat',
				)
				.map((event) => event.data.fan.id)
				.sort(),
		).toEqual(closedIds);
		const { body: status } = await api.call('GET', `/v1/community/status?fanId=${closed[0].fanId}`);
		expect(status).toMatchObject({ discord: { userId: closed[0].userId, releaseUpdates: false } });
	});

	it('answers the same job when the workflow runs again, and sends nothing more', async () => {
		const first = await hub.ledger.store.get<{ job_id: string }>(
			'SELECT job_id FROM community_broadcasts WHERE message_key = $1',
			[MESSAGE_KEY],
		);
		expect(await dmSegment()).toBe(first?.job_id);
		expect(reachable.filter((fan) => received(fan.userId) !== 1)).toEqual([]);
	});
});
