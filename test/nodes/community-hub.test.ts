/**
 * The Fanloop Community node against the real hub (in process, SQLite) and the Telegram
 * stand-in instead of the fake hub: what the node sends passes the hub's own schemas, what
 * the hub answers comes out as the node's items, and the hub's refusals reach the marketer
 * worded as the hub words them.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { INodeParameters, IWorkflowBase } from 'n8n-workflow';

import { startHub, type RunningHub } from '../../hub/src';
import type { DiscordStandIn } from '../../sandbox/src/community/discord';
import { SANDBOX_DISCORD, startDiscordStandIn } from '../../sandbox/src/community/discord-sandbox';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community/telegram';
import { HubApi } from '../support/hub-api';
import { outputsOf, readFixture, runWorkflow } from './harness';

describe('Fanloop Community against the hub and the Telegram stand-in', () => {
	let dataDir: string;
	let telegram: TelegramStandIn;
	let hub: RunningHub;
	let api: HubApi;
	let apiKey: string;
	let channelId: number;

	beforeAll(async () => {
		telegram = await startTelegramStandIn();
		channelId = telegram.createChannel({ title: 'Nia Vale insiders' }).id;
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-community-node-'));
		hub = await startHub({
			port: 0,
			dataDir,
			sealingKey: randomBytes(32),
			// Discord is left out on purpose: its operations must say so.
			community: {
				telegram: {
					botToken: SANDBOX_TELEGRAM.token,
					apiRoot: telegram.apiRoot,
					channelId: String(channelId),
				},
				runBots: false,
			},
		});
		apiKey = await hub.createApiKey('community node test');
		api = new HubApi(hub.url, apiKey);
	});

	afterAll(async () => {
		await hub?.close();
		await telegram?.close();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	/** A fixture with its Community node's parameters replaced. */
	function fixture(name: string, parameters: INodeParameters): IWorkflowBase {
		const workflow = readFixture(name);
		workflow.nodes[1].parameters = parameters;
		return workflow;
	}

	async function run(
		workflow: IWorkflowBase,
		items: Array<{ json: Record<string, unknown> }> = [{ json: {} }],
	) {
		return await runWorkflow(workflow, { baseUrl: hub.url, apiKey }, items);
	}

	function errorOf(result: Awaited<ReturnType<typeof run>>, nodeName: string) {
		return result.data.resultData.runData[nodeName]?.[0]?.error;
	}

	async function preSaver(email: string): Promise<{ fanId: string; presaveId: string }> {
		const { body: campaign } = await api.call('POST', '/v1/campaigns', {
			slug: `night-drive-${randomBytes(3).toString('hex')}`,
			artist: 'Nia Vale',
			title: 'Night Drive',
			releaseAtUtc: '2027-01-15T00:00:00Z',
		});
		const { body: upserted } = await api.call('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: email }],
		});
		const { body: recorded } = await api.call('POST', '/v1/actions', {
			fanId: upserted.fan.id,
			campaignId: campaign.campaign.id,
			kind: 'presave',
			status: 'done',
		});
		return { fanId: upserted.fan.id, presaveId: recorded.action.id };
	}

	it('makes a deep link from a pre-save event that links the fan’s chat to them, layered on the pre-save', async () => {
		const saver = await preSaver('mia@example.com');
		const result = await run(
			fixture('community-create-link.workflow.json', {
				resource: 'link',
				operation: 'create',
				platform: 'telegram',
				attributeTo: 'action',
			}),
			[
				{
					json: {
						type: 'presave.completed',
						data: { fan: { id: saver.fanId }, action: { id: saver.presaveId, kind: 'presave' } },
					},
				},
			],
		);
		const [items] = outputsOf(result, 'Create Link');
		const link = items?.[0]?.json as { platform: string; url: string; reference: string };
		expect(link.platform).toBe('telegram');
		expect(link.url).toBe(`https://t.me/${SANDBOX_TELEGRAM.username}?start=${link.reference}`);

		// The fan taps it: Telegram hands the bot `/start <reference>`.
		const chat = telegram.createUser();
		const started = await hub.services.community.desk.start(
			{ platform: 'telegram', userId: String(chat.id) },
			link.reference,
		);
		expect(started).toMatchObject({ outcome: 'linked', fanId: saver.fanId, newFan: false });
		const { body: exported } = await api.call('GET', `/v1/fans/${saver.fanId}/export`);
		const arrival = (
			exported.actions as Array<{ parentActionId: string | null; platform: string | null }>
		).find((action) => action.parentActionId === saver.presaveId);
		expect(arrival?.platform).toBe('telegram');
	});

	it('reads a fan’s community status, before and after they opt in', async () => {
		const chat = telegram.createUser({ started: true });
		const user = { platform: 'telegram' as const, userId: String(chat.id) };
		const started = await hub.services.community.desk.start(user);
		if (started.outcome !== 'linked') throw new Error('the chat was not linked');
		const workflow = fixture('community-get-status.workflow.json', {
			resource: 'fan',
			operation: 'getStatus',
		});

		const [before] = outputsOf(
			await run(workflow, [{ json: { id: started.fanId } }]),
			'Get Status',
		);
		expect(before?.[0]?.json).toEqual({
			fanId: started.fanId,
			telegram: { userId: user.userId, releaseUpdates: false },
		});
		await hub.services.community.desk.join(user);
		const [after] = outputsOf(await run(workflow, [{ json: { id: started.fanId } }]), 'Get Status');
		expect(after?.[0]?.json).toEqual({
			fanId: started.fanId,
			telegram: { userId: user.userId, releaseUpdates: true },
		});
	});

	it('announces once in the artist’s Telegram channel', async () => {
		const text = 'Night Drive is out now.';
		const result = await run(
			fixture('community-announce.workflow.json', {
				resource: 'message',
				operation: 'announce',
				platform: 'telegram',
				text,
			}),
		);
		const [items] = outputsOf(result, 'Announce');
		const posts = telegram.messages(channelId);
		expect(posts.map((post) => post.text)).toEqual([text]);
		expect(items).toEqual([
			{
				json: { platform: 'telegram', messageId: String(posts[0].message_id) },
				pairedItem: { item: 0 },
			},
		]);
	});

	it('passes on the hub’s refusals: Discord not set up, a message key it cannot take', async () => {
		const grant = await run(
			fixture('community-grant-role.workflow.json', { resource: 'role', operation: 'grant' }),
			[{ json: { id: 'fan_any' } }],
		);
		expect(errorOf(grant, 'Grant Role')?.message).toMatch(/Discord is not configured on this hub/);

		const broadcast = await run(
			fixture('community-dm-segment.workflow.json', {
				resource: 'message',
				operation: 'dmSegment',
				platform: 'telegram',
				text: 'Out now',
				messageKey: 'out now!',
			}),
		);
		expect(errorOf(broadcast, 'DM Segment')?.message).toMatch(/messageKey/);
		// Refused whole: no broadcast was started.
		expect(await hub.ledger.store.all('SELECT job_id FROM community_broadcasts')).toEqual([]);
	});
});

describe('Fanloop Community against the hub and the Discord stand-in', () => {
	let dataDir: string;
	let discord: DiscordStandIn;
	let hub: RunningHub;
	let apiKey: string;

	beforeAll(async () => {
		discord = await startDiscordStandIn();
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-community-node-discord-'));
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
		});
		apiKey = await hub.createApiKey('community node discord test');
	});

	afterAll(async () => {
		await hub?.close();
		await discord?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	/** A server member the hub knows as a fan (they ran a bot command once). */
	async function member(username: string): Promise<{ userId: string; fanId: string }> {
		const user = discord.addUser(username);
		discord.addMember(user.id);
		const started = await hub.services.community.desk.start({
			platform: 'discord',
			userId: user.id,
		});
		if (started.outcome !== 'linked') throw new Error('the member was not linked');
		return { userId: user.id, fanId: started.fanId };
	}

	function roleRun(operation: 'grant' | 'revoke', fanId: string) {
		const workflow = readFixture('community-grant-role.workflow.json');
		workflow.nodes[1].parameters = { resource: 'role', operation };
		workflow.nodes[1].onError = 'continueRegularOutput';
		return runWorkflow(workflow, { baseUrl: hub.url, apiKey }, [{ json: { id: fanId } }]);
	}

	it('grants and revokes the release-updates role of a fan', async () => {
		const fan = await member('mia');
		const [granted] = outputsOf(await roleRun('grant', fan.fanId), 'Grant Role');
		expect(granted?.[0]?.json).toEqual({ fanId: fan.fanId, platform: 'discord', hasRole: true });
		expect(discord.memberRoles(fan.userId)).toContain(SANDBOX_DISCORD.releaseRoleId);

		const [revoked] = outputsOf(await roleRun('revoke', fan.fanId), 'Grant Role');
		expect(revoked?.[0]?.json).toEqual({ fanId: fan.fanId, platform: 'discord', hasRole: false });
		expect(discord.memberRoles(fan.userId)).not.toContain(SANDBOX_DISCORD.releaseRoleId);
	});

	it('says why when the role sits above the bot’s own, and grants nothing', async () => {
		const fan = await member('ben');
		discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 3);
		try {
			const [items] = outputsOf(await roleRun('grant', fan.fanId), 'Grant Role');
			expect(items).toHaveLength(1);
			// The marketer gets the fix in their own terms.
			expect(items?.[0]?.json.error).toMatch(/drag the bot’s role above “Release updates”/);
			expect(items?.[0]?.json.hasRole).toBeUndefined();
			expect(discord.memberRoles(fan.userId)).not.toContain(SANDBOX_DISCORD.releaseRoleId);
		} finally {
			discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 1);
		}
	});

	it('announces once in the announcements channel, pinging the release-updates role', async () => {
		const workflow = readFixture('community-announce.workflow.json');
		workflow.nodes[1].parameters = {
			resource: 'message',
			operation: 'announce',
			platform: 'discord',
			text: 'Out now: Loop Back Home',
		};
		const result = await runWorkflow(workflow, { baseUrl: hub.url, apiKey });
		const [items] = outputsOf(result, 'Announce');
		const posts = discord.channelMessages(SANDBOX_DISCORD.announceChannelId);
		expect(posts).toHaveLength(1);
		expect(posts[0].content).toContain('Out now: Loop Back Home');
		expect(posts[0].content).toContain(`<@&${SANDBOX_DISCORD.releaseRoleId}>`);
		expect(items).toEqual([
			{ json: { platform: 'discord', messageId: posts[0].id }, pairedItem: { item: 0 } },
		]);
	});
});
