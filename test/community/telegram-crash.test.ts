/**
 * A Telegram DM broadcast survives its hub dying: the hub runs as its own process (`cli.js
 * serve`, configured only through the environment, its bot polling the stand-in), is SIGKILLed
 * mid-broadcast and started again on the same data folder. No fan may get the message twice;
 * every fan is either messaged or counted as uncertain (in flight when the process died).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUTTON, JOINED } from '../../bot/src/telegram/replies';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess } from '../support/hub-process';
import { freePort } from '../../scripts/n8n/free-port';

const FANS = 60;
/** Slow enough that the kill lands in the middle: 60 DMs take about 6 s. */
const MESSAGES_PER_SECOND = 10;
const TEXT = 'Halo is out now!';

jest.setTimeout(180_000);

describe('a Telegram broadcast in a hub process that is killed mid-run', () => {
	let workDir: string;
	let telegram: TelegramStandIn;
	let hub: HubProcess;

	beforeAll(async () => {
		buildHub();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-telegram-crash-'));
		telegram = await startTelegramStandIn();
		const port = await freePort();
		hub = new HubProcess(
			{
				PATH: process.env.PATH,
				HOME: process.env.HOME,
				FANLOOP_HOST: '127.0.0.1',
				FANLOOP_PORT: String(port),
				FANLOOP_DATA_DIR: workDir,
				FANLOOP_SEALING_KEY: randomBytes(32).toString('base64'),
				FANLOOP_JOB_LEASE_MS: '2000',
				FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
				FANLOOP_TELEGRAM_API_URL: telegram.apiRoot,
				FANLOOP_TELEGRAM_MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
			},
			`http://127.0.0.1:${port}`,
		);
	});

	afterAll(async () => {
		await hub?.kill();
		await telegram?.close();
		if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('messages no fan twice and accounts for every fan', async () => {
		const apiKey = hub.createApiKey('crash test');
		await hub.start();
		const api = new HubApi(hub.url, apiKey);

		const fans = Array.from({ length: FANS }, () => telegram.createUser());
		for (const fan of fans) telegram.send(fan.id, '/start');
		for (const fan of fans) {
			const offer = await eventually(
				`the offer to ${fan.id}`,
				() => telegram.messages(fan.id)[1],
				60_000,
			);
			telegram.press(fan.id, offer, BUTTON.join);
		}
		for (const fan of fans) {
			await eventually(
				`${fan.id} joined`,
				() => (telegram.messages(fan.id)[2]?.text === JOINED ? true : undefined),
				60_000,
			);
		}
		const broadcastsTo = (id: number) =>
			telegram.messages(id).filter((message) => message.text === TEXT).length;
		const delivered = () => fans.reduce((sum, fan) => sum + broadcastsTo(fan.id), 0);

		const started = await api.call('POST', '/v1/community/broadcasts', {
			platform: 'telegram',
			text: TEXT,
			messageKey: 'halo',
		});
		expect(started.status).toBe(202);
		await eventually(
			'a third of the DMs',
			() => (delivered() >= FANS / 3 ? true : undefined),
			60_000,
		);
		await hub.kill();
		const beforeRestart = delivered();
		expect(beforeRestart).toBeLessThan(FANS);

		await hub.start();
		const job = await eventually(
			'the broadcast to finish after the restart',
			async () => {
				const view = (await api.call('GET', `/v1/jobs/${started.body.jobId}`)).body;
				return view.status === 'done' ? view : undefined;
			},
			60_000,
		);
		expect(fans.filter((fan) => broadcastsTo(fan.id) > 1)).toEqual([]);
		expect(delivered()).toBeGreaterThan(beforeRestart);
		// The job's count covers its runs on both sides of the crash, except a message sent in the instant before the kill.
		expect(job.progress.sent + job.progress.uncertain).toBe(FANS);
		expect(delivered()).toBeGreaterThanOrEqual(job.progress.sent);
		expect(delivered()).toBeLessThanOrEqual(job.progress.sent + job.progress.uncertain);
	});
});
