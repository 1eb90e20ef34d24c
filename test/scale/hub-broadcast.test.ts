/**
 * A Telegram DM broadcast over several hub processes on one PostgreSQL database: three
 * `hub serve` processes send one broadcast together from the bot's one budget, one is
 * SIGKILLed in the middle, and the others send its share. The Telegram stand-in refuses
 * with 429 past the bot's messages per second (a rolling second, as Telegram counts), so
 * processes pacing on their own (three times the rate) would meet 429s at once.
 */
import { randomBytes } from 'node:crypto';

import { Community } from '../../hub/src/core/community/community';
import { BROADCAST_PART_JOB } from '../../hub/src/core/community/broadcast';
import { FanReferences } from '../../hub/src/core/fan-references';
import type { Ledger } from '../../hub/src/core/ledger';
import { startTelegramStandIn, type TelegramStandIn } from '../../sandbox/src/community/telegram';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { freePorts, HubCluster } from '../support/hub-cluster';
import { buildHub, type HubProcess } from '../support/hub-process';
import { inParallel } from '../support/in-parallel';
import { openLedger } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const HUB_PROCESSES = 3;
const FANS = 1_500;
/** The bot's budget, lifted above Telegram's 30 as for a bot with paid broadcasts, so the test takes seconds. */
const MESSAGES_PER_SECOND = 100;
const LEASE_MS = 3_000;
const TEXT = 'Loop Back Home is out now!';

jest.setTimeout(180_000);

describe('a broadcast over several hub processes on one PostgreSQL database', () => {
	let database: TestDatabase;
	let telegram: TelegramStandIn;
	let ledger: Ledger;
	let cluster: HubCluster;
	let hubs: HubProcess[] = [];

	beforeAll(async () => {
		buildHub();
		database = await createTestDatabase('postgres');
		telegram = await startTelegramStandIn({
			rateLimits: { messagesPerSecond: MESSAGES_PER_SECOND },
		});
		const sealingKey = randomBytes(32);
		cluster = HubCluster.create(database, await freePorts(HUB_PROCESSES), sealingKey, {
			FANLOOP_JOB_LEASE_MS: String(LEASE_MS),
			FANLOOP_TELEGRAM_BOT_TOKEN: telegram.token,
			FANLOOP_TELEGRAM_API_URL: telegram.apiRoot,
			FANLOOP_TELEGRAM_MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
			// The bot's updates are not this test's subject: the processes only send.
			FANLOOP_BOTS: 'separate',
		});
		hubs = cluster.hubs;
		ledger = await openLedger(database, sealingKey);
	});

	afterAll(async () => {
		await cluster?.close();
		await ledger?.store.close();
		await telegram?.close();
		await database?.drop();
	});

	/**
	 * Fans who started the bot and pressed "yes" to release updates. The bot's path is the
	 * Telegram suites' subject: here each fan is recorded as the bot's desk records that yes.
	 */
	async function optedInFans(): Promise<number[]> {
		const desk = new Community({
			ledger,
			references: new FanReferences(randomBytes(32)),
			platforms: { messengers: {}, invites: {}, pacers: {} },
			program: { name: 'Fanloop', publicUrl: hubs[0].url },
			libraryPlatforms: () => [],
			clock: Date.now,
			onQueued: () => undefined,
		});
		const users = Array.from({ length: FANS }, () => telegram.createUser({ started: true }).id);
		await inParallel(users, 16, async (userId) => {
			const joined = await desk.join({ platform: 'telegram', userId: String(userId) });
			expect(joined.outcome).toBe('joined');
		});
		return users;
	}

	it('sends each fan at most one message from the bot’s one budget and finishes the share of a process that dies', async () => {
		const apiKey = hubs[0].createApiKey('scale test');
		const fans = await optedInFans();
		const received = () => fans.filter((id) => telegram.messages(id).length > 0).length;

		// One hub first: it takes the broadcast job itself, so killing it later kills the job's own process.
		await hubs[0].start();
		let api = new HubApi(hubs[0].url, apiKey);
		const started = await api.call<{ jobId: string }>('POST', '/v1/community/broadcasts', {
			platform: 'telegram',
			text: TEXT,
			messageKey: 'loop-back-home-out-now',
		});
		expect(started.status).toBe(202);
		await eventually('the first hub to take the broadcast job', async () => {
			const row = await ledger.store.get<{ status: string }>(
				'SELECT status FROM jobs WHERE id = $1',
				[started.body.jobId],
			);
			return row?.status === 'running' ? true : undefined;
		});
		await Promise.all(hubs.slice(1).map((hub) => hub.start()));
		await eventually('a third of the fans to be messaged', () =>
			received() >= FANS / 3 ? true : undefined,
		);
		await hubs[0].kill('SIGKILL');
		expect(received()).toBeLessThan(FANS);
		api = new HubApi(hubs[1].url, apiKey);

		const job = await eventually(
			'the broadcast to finish',
			async () => {
				const read = await api.call<{ status: string; progress: Record<string, number> }>(
					'GET',
					`/v1/jobs/${started.body.jobId}`,
				);
				return read.body.status === 'done' || read.body.status === 'failed' ? read.body : undefined;
			},
			120_000,
		);
		expect(job.status).toBe('done');

		// Messages in flight when the process died are "uncertain": never sent again, since a second copy is worse than none.
		const { sent, uncertain, blocked, failed, waiting } = job.progress;
		expect({ blocked, failed, waiting }).toEqual({ blocked: 0, failed: 0, waiting: 0 });
		expect(sent + uncertain).toBe(FANS);
		expect(uncertain).toBeLessThanOrEqual(32);
		for (const id of fans) expect(telegram.messages(id).length).toBeLessThanOrEqual(1);
		expect(received()).toBeGreaterThanOrEqual(sent);
		expect(new Set(fans.flatMap((id) => telegram.messages(id).map((m) => m.text)))).toEqual(
			new Set([TEXT]),
		);

		// The processes shared the work: the pieces were finished by more than one of them
		// (a piece the dead process held is marked with the process that took it over).
		const workers = await ledger.store.all<{ locked_by: string }>(
			`SELECT DISTINCT locked_by FROM jobs WHERE kind = $1 AND id LIKE $2`,
			[BROADCAST_PART_JOB, `${started.body.jobId}.%`],
		);
		expect(workers.length).toBeGreaterThanOrEqual(HUB_PROCESSES - 1);

		// One rolling second for the three, each message holding its place until a second after
		// its answer: however a loaded machine bunches them up on the way, none is refused. Each
		// process on its own budget met 747 refusals over the 1,500 messages; slots spaced by when
		// messages leave met up to 44 on a loaded machine.
		expect(telegram.server.answered.get(429) ?? 0).toBe(0);
	});
});
