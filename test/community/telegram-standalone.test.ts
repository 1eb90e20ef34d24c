/**
 * The bots on their own (`cli.js bots`) beside a hub started with FANLOOP_BOTS=separate, both
 * from their builds and configured only through the environment, on one ledger: the bot
 * process links the fan and the hub process delivers the event to n8n.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JOINED, BUTTON } from '../../bot/src/telegram/replies';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess } from '../support/hub-process';
import { Receiver } from '../support/receiver';
import { freePort } from '../../scripts/n8n/free-port';

jest.setTimeout(120_000);

const CLI = path.resolve(__dirname, '../../hub/dist/hub/src/cli.js');

describe('the bots as their own process', () => {
	let workDir: string;
	let telegram: TelegramStandIn;
	let hub: HubProcess;
	let bots: ChildProcess | undefined;
	let n8n: Receiver;

	beforeAll(async () => {
		buildHub();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bots-'));
		telegram = await startTelegramStandIn();
		n8n = await new Receiver().start();
	});

	afterAll(async () => {
		bots?.kill('SIGTERM');
		await hub?.kill('SIGTERM');
		await telegram?.close();
		await n8n?.stop();
		if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('answers fans from the bots process while the hub delivers what they did', async () => {
		const port = await freePort();
		const env = {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			FANLOOP_HOST: '127.0.0.1',
			FANLOOP_PORT: String(port),
			FANLOOP_DATA_DIR: workDir,
			FANLOOP_SEALING_KEY: randomBytes(32).toString('base64'),
			FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
			FANLOOP_TELEGRAM_API_URL: telegram.apiRoot,
			FANLOOP_BOTS: 'separate',
		};
		hub = new HubProcess(env, `http://127.0.0.1:${port}`);
		const apiKey = hub.createApiKey('bots test');
		await hub.start();
		const api = new HubApi(hub.url, apiKey);
		await api.call('POST', '/v1/webhooks', { url: n8n.url, events: ['community.joined'] });

		let output = '';
		const child = spawn(process.execPath, [CLI, 'bots'], {
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		bots = child;
		child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		await eventually(
			'the bots to run',
			() => (output.includes('Fanloop bots running') ? true : undefined),
			30_000,
			() => output,
		);
		expect(hub.log).not.toContain('telegram bot started');

		const fan = telegram.createUser();
		telegram.send(fan.id, '/start');
		const offer = await eventually(
			'the offer',
			() => telegram.messages(fan.id)[1],
			20_000,
			() => output,
		);
		telegram.press(fan.id, offer, BUTTON.join);
		await eventually(
			'the confirmation',
			() => (telegram.messages(fan.id)[2]?.text === JOINED ? true : undefined),
			20_000,
		);

		const events = await eventually(
			'both events in n8n',
			() => (n8n.received.length >= 2 ? n8n.received : undefined),
			20_000,
		);
		expect(events.map((delivery) => JSON.parse(delivery.body).data.community.what).sort()).toEqual([
			'chat',
			'release_updates',
		]);
		expect(output).not.toContain(SANDBOX_TELEGRAM.token.split(':')[1]);
	});
});
