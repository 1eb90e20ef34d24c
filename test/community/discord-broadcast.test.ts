/**
 * A release-day DM to opted-in Discord fans, paced by the hub against the stand-in's
 * real budget (50 requests in any rolling second): every fan gets the message once and
 * Discord never has to refuse a request, which is what keeps a bot clear of the ban for
 * 10,000 invalid requests in 10 minutes.
 */
import { startHub, type RunningHub } from '../../hub/src';
import {
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const FANS = 150;
const TEXT = 'Halo is out now: https://example.com/halo';

describe('a DM to every opted-in Discord fan', () => {
	let discord: DiscordStandIn;
	let database: TestDatabase;
	let hub: RunningHub;

	afterAll(async () => {
		await hub?.close();
		await discord?.stop();
		await database?.drop();
	});

	it('reaches each fan once without a single 429, role grants and DMs sharing one budget', async () => {
		discord = await startDiscordStandIn();
		database = await createTestDatabase('sqlite');
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			sealingKey: newSealingKey(),
			jobs: { pollMs: 20 },
			community: {
				runBots: false,
				discord: {
					botToken: SANDBOX_DISCORD.token,
					applicationId: SANDBOX_DISCORD.applicationId,
					guildId: SANDBOX_DISCORD.guildId,
					releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
					announcementChannelId: SANDBOX_DISCORD.announceChannelId,
					apiRoot: discord.apiRoot,
				},
			},
		});
		const api = new HubApi(hub.url, await hub.createApiKey('discord broadcast'));
		const desk = hub.services.community.desk;
		// Opting in is what the bot's confirm button calls: each grants the role through Discord.
		const fans = await Promise.all(
			Array.from({ length: FANS }, async (_, index) => {
				const user = discord.addUser(`fan${index}`);
				discord.addMember(user.id);
				const joined = await desk.join({ platform: 'discord', userId: user.id });
				if (joined.outcome !== 'joined') throw new Error(`fan ${index}: ${JSON.stringify(joined)}`);
				return user.id;
			}),
		);

		const started = await api.call('POST', '/v1/community/broadcasts', {
			platform: 'discord',
			text: TEXT,
			messageKey: 'halo-out',
		});
		const job = await eventually(
			'the broadcast done',
			async () => {
				const found = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
				return found.body.status === 'done' ? found.body : undefined;
			},
			60_000,
		);

		expect(job.progress).toMatchObject({ sent: FANS, blocked: 0, failed: 0, waiting: 0 });
		expect(
			fans.filter((userId) => discord.memberRoles(userId).includes(SANDBOX_DISCORD.releaseRoleId)),
		).toHaveLength(FANS);
		expect(
			fans.map(
				(userId) => discord.dms(userId).filter((message) => message.content === TEXT).length,
			),
		).toEqual(fans.map(() => 1));
		expect(discord.invalidRequestCount).toBe(0);
	}, 90_000);
});
