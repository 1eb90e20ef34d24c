/**
 * Release-day DMs: the Fanloop Community node (DM Segment, run by n8n-core) starts a broadcast
 * job on a hub process configured only through its environment, which messages 5,000 fans
 * who opted in to Telegram release updates through the Telegram stand-in, paced to the budget
 * the stand-in allows.
 * Halfway the hub is SIGKILLed and started again on the same data folder: the job resumes,
 * nobody gets the message twice, and the fans who blocked the bot are recorded as such.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub } from '../../hub/src';
import { openStore } from '../../hub/src/store/open-store';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community/telegram';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess } from '../support/hub-process';
import { inParallel } from '../support/in-parallel';
import { freePort } from '../n8n/harness';
import { outputsOf, readFixture, runWorkflow } from '../nodes/harness';

const FANS = Number(process.env.FANLOOP_BROADCAST_FANS ?? 5_000);
/** Every 100th fan blocked the bot after opting in. */
const BLOCKED_EVERY = 100;
/** The broadcast's parallel sends: at most this many messages can be in doubt when the process dies. */
const BROADCAST_CONCURRENCY = 32;
/** Far longer than one batch of 200 messages (under a second here), so a live job on a busy machine is never taken for dead. */
const LEASE_MS = 15_000;
const TEXT = 'Loop Back Home is out now. Listen: https://example.com/loop-back-home';
const MESSAGE_KEY = 'loop-back-home-out-now';
/**
 * Ten times Telegram's 30 a second, allowed by the stand-in and given to the hub as its budget,
 * so 5,000 messages take seconds rather than minutes; the pacing at Telegram's real rate is
 * measured by bench/community.ts.
 */
const MESSAGES_PER_SECOND = 300;

jest.setTimeout(300_000);

interface Fan {
	userId: number;
	fanId: string;
}

describe('a release-day DM to 5,000 opted-in Telegram fans through the Community node', () => {
	let workDir: string;
	let telegram: TelegramStandIn;
	let hub: HubProcess;
	let api: HubApi;
	let apiKey: string;
	/** Opted in and reachable. */
	let reachable: Fan[];
	/** Opted in, then blocked the bot. */
	let blocked: Fan[];
	/** Started the bot, or opted in and sent /stop: never messaged. */
	let notOptedIn: Fan[];

	function received(userId: number): number {
		return telegram.messages(userId).filter((message) => message.text === TEXT).length;
	}

	/** Starts the broadcast the way a marketer's workflow does, and returns the job id it got. */
	async function dmSegment(): Promise<string> {
		const fixture = readFixture('community-dm-segment.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'message',
			operation: 'dmSegment',
			platform: 'telegram',
			text: TEXT,
			messageKey: MESSAGE_KEY,
		};
		const run = await runWorkflow(fixture, { baseUrl: hub.url, apiKey });
		const [items] = outputsOf(run, 'DM Segment');
		expect(items).toHaveLength(1);
		return String(items?.[0]?.json.jobId);
	}

	async function job(jobId: string) {
		const response = await api.call(`GET`, `/v1/jobs/${jobId}`);
		expect(response.status).toBe(200);
		return response.body as { status: string; progress: Record<string, number> | null };
	}

	/** Reads the ledger beside the running hub (SQLite WAL allows a second reader). */
	async function ledger<T>(
		read: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
	): Promise<T> {
		const store = await openStore({ dataDir: workDir });
		try {
			return await read(store);
		} finally {
			await store.close();
		}
	}

	beforeAll(async () => {
		buildHub();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-broadcast-'));
		// Telegram's documented limits (about one message a second per chat), the overall one raised.
		telegram = await startTelegramStandIn({
			rateLimits: { messagesPerSecond: MESSAGES_PER_SECOND },
		});
		const sealingKey = randomBytes(32);
		const community = {
			telegram: { botToken: SANDBOX_TELEGRAM.token, apiRoot: telegram.apiRoot },
			runBots: false,
		};

		// The fans opt in through the hub's desk, the interface the Telegram bot calls.
		const seeding = await startHub({ port: 0, dataDir: workDir, sealingKey, community });
		try {
			const desk = seeding.services.community.desk;
			const optIn = async (index: number): Promise<Fan> => {
				const user = telegram.createUser({ started: true });
				const chatUser = { platform: 'telegram' as const, userId: String(user.id) };
				const joined = await desk.join(chatUser);
				if (joined.outcome !== 'joined')
					throw new Error(`fan ${index} could not join: ${JSON.stringify(joined)}`);
				return { userId: user.id, fanId: joined.fanId };
			};
			const optedIn = await inParallel(
				Array.from({ length: FANS }, (_, index) => index),
				8,
				optIn,
			);
			blocked = optedIn.filter((_, index) => index % BLOCKED_EVERY === BLOCKED_EVERY - 1);
			reachable = optedIn.filter((_, index) => index % BLOCKED_EVERY !== BLOCKED_EVERY - 1);
			for (const fan of blocked) telegram.block(fan.userId);

			const stopped = await inParallel(
				Array.from({ length: 10 }, (_, index) => index),
				4,
				async (index) => {
					const fan = await optIn(FANS + index);
					expect(
						(await desk.stop({ platform: 'telegram', userId: String(fan.userId) })).outcome,
					).toBe('stopped');
					return fan;
				},
			);
			const startedOnly = await inParallel(
				Array.from({ length: 10 }, (_, index) => index),
				4,
				async () => {
					const user = telegram.createUser({ started: true });
					const started = await desk.start({ platform: 'telegram', userId: String(user.id) });
					if (started.outcome !== 'linked')
						throw new Error(`could not start: ${JSON.stringify(started)}`);
					return { userId: user.id, fanId: started.fanId };
				},
			);
			notOptedIn = [...stopped, ...startedOnly];
			apiKey = await seeding.createApiKey('broadcast test');
		} finally {
			await seeding.close();
		}

		const port = await freePort();
		hub = new HubProcess(
			{
				PATH: process.env.PATH,
				HOME: process.env.HOME,
				FANLOOP_HOST: '127.0.0.1',
				FANLOOP_PORT: String(port),
				FANLOOP_DATA_DIR: workDir,
				FANLOOP_SEALING_KEY: sealingKey.toString('base64'),
				FANLOOP_JOB_LEASE_MS: String(LEASE_MS),
				FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
				FANLOOP_TELEGRAM_API_URL: telegram.apiRoot,
				FANLOOP_TELEGRAM_MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
				// The bot polls elsewhere: this process sends the broadcast only.
				FANLOOP_BOTS: 'separate',
			},
			`http://127.0.0.1:${port}`,
		);
		await hub.start();
		api = new HubApi(hub.url, apiKey);
	});

	afterAll(async () => {
		await hub?.kill('SIGTERM');
		await telegram?.close();
		if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('messages every reachable fan at most once across a SIGKILL, and records the fans who blocked the bot', async () => {
		const jobId = await dmSegment();
		const messaged = () => reachable.filter((fan) => received(fan.userId) > 0).length;
		await eventually(
			'a fifth of the fans to get the message',
			() => (messaged() >= FANS / 5 ? true : undefined),
			60_000,
			() => hub.log,
			250,
		);
		await hub.kill('SIGKILL');
		const atKill = messaged();
		expect(atKill).toBeLessThan(reachable.length);

		await hub.start();
		const finished = await eventually(
			'the broadcast job to finish after the restart',
			async () => {
				const view = await job(jobId);
				return view.status === 'done' || view.status === 'failed' ? view : undefined;
			},
			180_000,
			() => hub.log,
			1_000,
		);
		expect(finished.status).toBe('done');
		expect(finished.progress?.passes).toBeGreaterThanOrEqual(2);

		// Nobody got the message twice, and nobody the message was not for got it.
		const twice = [...reachable, ...blocked].filter((fan) => received(fan.userId) > 1);
		expect(twice).toEqual([]);
		expect(notOptedIn.filter((fan) => telegram.messages(fan.userId).length > 0)).toEqual([]);
		expect(blocked.filter((fan) => telegram.messages(fan.userId).length > 0)).toEqual([]);

		const deliveries = await ledger((store) =>
			store.all<{ fan_id: string; status: string }>(
				`SELECT fan_id, status FROM community_deliveries WHERE platform = 'telegram' AND message_key = $1`,
				[MESSAGE_KEY],
			),
		);
		const statusOf = new Map(deliveries.map((row) => [row.fan_id, row.status]));
		// Every fan the hub holds as sent has the message exactly once.
		const sent = reachable.filter((fan) => statusOf.get(fan.fanId) === 'sent');
		expect(sent.filter((fan) => received(fan.userId) !== 1)).toEqual([]);
		// The only reachable fans without it were being sent to when the process died: Telegram has
		// no idempotency key, so the hub never retries a message it cannot prove unsent.
		const inDoubt = reachable.filter((fan) => statusOf.get(fan.fanId) !== 'sent');
		expect(inDoubt.filter((fan) => statusOf.get(fan.fanId) !== 'sending')).toEqual([]);
		expect(inDoubt.length).toBeLessThanOrEqual(BROADCAST_CONCURRENCY);
		expect(sent.length + inDoubt.length).toBe(reachable.length);
		expect(notOptedIn.filter((fan) => statusOf.has(fan.fanId))).toEqual([]);
		// What the marketer reads on the job says the same.
		expect(finished.progress).toMatchObject({
			sent: sent.length,
			blocked: blocked.length,
			failed: 0,
			waiting: 0,
			uncertain: inDoubt.length,
		});

		// Each blocked fan: a failed join action, community.left from the chat, no more release updates.
		expect(blocked.filter((fan) => statusOf.get(fan.fanId) !== 'blocked')).toEqual([]);
		const recorded = await ledger(async (store) => ({
			failed: await store.all<{ fan_id: string }>(
				`SELECT fan_id FROM actions WHERE kind = 'join_telegram' AND status = 'failed' AND source = 'telegram:blocked'`,
			),
			left: await store.all<{ payload: string }>(
				`SELECT payload FROM outbox WHERE type = 'community.left'`,
			),
		}));
		const blockedIds = blocked.map((fan) => fan.fanId).sort();
		expect(recorded.failed.map((row) => row.fan_id).sort()).toEqual(blockedIds);
		const leftFromChat = recorded.left
			.map(
				(row) =>
					JSON.parse(row.payload) as { data: { fan: { id: string }; community: { what: string } } },
			)
			.filter((event) => event.data.community.what === 'chat');
		expect(leftFromChat.map((event) => event.data.fan.id).sort()).toEqual(blockedIds);
		for (const fan of blocked.slice(0, 5)) {
			const status = await api.call('GET', `/v1/community/status?fanId=${fan.fanId}`);
			expect(status.body).toMatchObject({ fanId: fan.fanId, telegram: { releaseUpdates: false } });
		}
	});

	it('starting the same message again answers the same job and sends nobody a second copy', async () => {
		const before = [...reachable, ...blocked].map((fan) => received(fan.userId));
		const requestsBefore = telegram.requestCounts().sendMessage ?? 0;
		const first = (
			await ledger((store) =>
				store.get<{ job_id: string }>(
					`SELECT job_id FROM community_broadcasts WHERE message_key = $1`,
					[MESSAGE_KEY],
				),
			)
		)?.job_id;
		expect(await dmSegment()).toBe(first);
		expect((await job(String(first))).status).toBe('done');
		expect(telegram.requestCounts().sendMessage ?? 0).toBe(requestsBefore);
		expect([...reachable, ...blocked].map((fan) => received(fan.userId))).toEqual(before);
	});
});
