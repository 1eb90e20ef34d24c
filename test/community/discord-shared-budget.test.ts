/**
 * One Discord bot, two hub processes: each process's REST client keeps Discord's global
 * budget (a rolling second) on its own, so two sending DMs at once would send twice it.
 * On PostgreSQL the clients the hub wires (providers/community.ts) also draw from one
 * budget in the database; here over two connections, as two processes have.
 */
import { communityConfig } from '../../bot/src/config';
import {
	CommunityPlatformError,
	type CommunityMessenger,
} from '../../hub/src/core/community/ports';
import { communityPlatforms } from '../../hub/src/providers/community';
import { migrate } from '../../hub/src/store/migrations';
import { openStore } from '../../hub/src/store/open-store';
import type { SqlStore } from '../../hub/src/store/sql-store';
import {
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { inParallel } from '../support/in-parallel';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** DMs each process sends: each a first DM, so two requests (open the DM channel, post). */
const DMS_PER_PROCESS = 60;

describe('the Discord budget of hub processes on one PostgreSQL database', () => {
	let database: TestDatabase;
	let discord: DiscordStandIn;
	const stores: SqlStore[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		for (let i = 0; i < 2; i++) stores.push(await openStore(database));
		await migrate(stores[0]);
		discord = await startDiscordStandIn();
	});

	afterAll(async () => {
		for (const store of stores) await store.close();
		await database?.drop();
		await discord?.stop();
	});

	it('is one budget: two processes sending DMs at once stay within Discord’s global limit', async () => {
		const config = communityConfig.parse({
			discord: {
				botToken: SANDBOX_DISCORD.token,
				applicationId: SANDBOX_DISCORD.applicationId,
				guildId: SANDBOX_DISCORD.guildId,
				releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
				announcementChannelId: SANDBOX_DISCORD.announceChannelId,
				apiRoot: discord.apiRoot,
			},
		});
		const messengers = stores.map(
			(store) => communityPlatforms(config, store).messengers.discord as CommunityMessenger,
		);
		const fans = Array.from({ length: 2 * DMS_PER_PROCESS }, (_, index) => {
			const user = discord.addUser(`fan-${index}`);
			discord.addMember(user.id);
			return user.id;
		});

		// As a broadcast does: a DM Discord refused for the rate is sent again once it says so.
		const send = async (messenger: CommunityMessenger, fan: string): Promise<void> => {
			for (;;) {
				try {
					await messenger.sendDirect(fan, 'Halo is out now.');
					return;
				} catch (error) {
					if (!(error instanceof CommunityPlatformError && error.kind === 'rate_limited'))
						throw error;
					await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1000));
				}
			}
		};
		await Promise.all(
			messengers.map((messenger, process) =>
				inParallel(
					fans.slice(process * DMS_PER_PROCESS, (process + 1) * DMS_PER_PROCESS),
					16,
					(fan) => send(messenger, fan),
				),
			),
		);

		for (const fan of fans)
			expect(discord.dms(fan).map((m) => m.content)).toEqual(['Halo is out now.']);
		// One rolling second for both, each request holding its place until a second after its
		// answer: however a loaded machine bunches requests up on the way, none is refused. Each
		// process on its own budget had a third of its requests refused (111 of 351).
		expect(discord.server.answered.get(429) ?? 0).toBe(0);
	});
});
