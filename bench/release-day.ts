/**
 * Release-day conversion at scale: 10,000 and 100,000 pending Spotify pre-saves turned into
 * saves by a hub process (`hub serve`, SQLite) against the Spotify stand-in, whose rolling
 * 30-second budget is set to BENCH_RELEASE_DAY_RATE requests/s and whose rate the hub is told.
 * Printed per run: requests/s the stand-in served ÷ the rate it allows (target ≥ 0.95: the
 * pacer spends the budget without stalls or 429s) and the hub process's peak resident memory
 * (target: the 100,000 run within 1.2× of the 10,000 run: batches keep memory flat).
 * Fans are seeded through the hub's own ledger in this process before the hub process starts.
 * The hub runs as the README deploys it, with a V8 heap budget: without one V8 lets the heap
 * grow with how long a run lasts even though the hub's live memory stays flat, and a hub that
 * did keep something per fan would now fail or slow down, which the throughput ratio shows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub } from '../hub/src';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../sandbox/src/streaming';
import { eventually } from '../test/support/eventually';
import { HubApi } from '../test/support/hub-api';
import { connectFan } from '../test/support/streaming';
import { freePort } from '../test/n8n/harness';

const RATE = Number(process.env.BENCH_RELEASE_DAY_RATE ?? 500);
const SIZES = (process.env.BENCH_RELEASE_DAY_FANS ?? '10000,100000').split(',').map(Number);
const SEED_CONCURRENCY = 16;
const WINDOW_MS = 30_000;
const hubCli = path.join(__dirname, '../hub/src/cli.js');
/** The heap budget README.md gives for running the hub. */
const HUB_NODE_OPTIONS = '--max-old-space-size=256';

interface Run {
	fans: number;
	seconds: number;
	requests: number;
	achievedPerSecond: number;
	peakRssMb: number;
}

async function inParallel(
	count: number,
	limit: number,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, count) }, async () => {
			while (next < count) await work(next++);
		}),
	);
}

/** Peak resident set of a live process, from the kernel's high-water mark. */
function peakRssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
	return kb / 1024;
}

async function seed(sandbox: StreamingSandbox, dataDir: string, sealingKey: string, fans: number) {
	const hub = await startHub({ port: 0, dataDir, sealingKey });
	try {
		const apiKey = await hub.createApiKey('release-day bench');
		const { campaign } = await hub.ledger.campaigns.upsert({
			slug: 'bench-release-day',
			artist: SANDBOX_DEMO_RELEASE.artistName,
			title: SANDBOX_DEMO_RELEASE.title,
			releaseAtUtc: new Date(Date.now() - 3_600_000).toISOString(),
			upc: SANDBOX_DEMO_RELEASE.upc,
			isrcs: [SANDBOX_DEMO_RELEASE.isrc],
		});
		await inParallel(fans, SEED_CONCURRENCY, async (index) => {
			const userId = `bench-${index}`;
			const { fan } = await hub.ledger.fans.upsert({
				identities: [{ channel: 'email', value: `${userId}@example.com` }],
			});
			await hub.ledger.tokens.save(fan.id, 'spotify', await connectFan(sandbox, 'spotify', userId));
			await hub.ledger.actions.record({
				fanId: fan.id,
				campaignId: campaign.id,
				kind: 'presave',
				platform: 'spotify',
				verification: 'hard',
			});
		});
		return { apiKey, campaignId: campaign.id };
	} finally {
		await hub.close();
	}
}

function startHubProcess(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
	let output = '';
	const child = spawn(process.execPath, [hubCli, 'serve'], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	return { child, output: () => output };
}

async function run(fans: number): Promise<Run> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bench-release-'));
	const sandbox = await startStreamingSandbox({
		spotifyDevModeUserCap: 0,
		rateLimits: { spotify: { requests: RATE * (WINDOW_MS / 1000), windowMs: WINDOW_MS } },
	});
	const sealingKey = randomBytes(32).toString('base64');
	let hub: ReturnType<typeof startHubProcess> | undefined;
	try {
		const { apiKey, campaignId } = await seed(sandbox, dataDir, sealingKey, fans);
		const port = await freePort();
		hub = startHubProcess({
			PATH: process.env.PATH,
			NODE_OPTIONS: HUB_NODE_OPTIONS,
			FANLOOP_HOST: '127.0.0.1',
			FANLOOP_PORT: String(port),
			FANLOOP_DATA_DIR: dataDir,
			FANLOOP_SEALING_KEY: sealingKey,
			FANLOOP_SPOTIFY_CLIENT_ID: sandbox.credentials.spotify.clientId,
			FANLOOP_SPOTIFY_CLIENT_SECRET: sandbox.credentials.spotify.clientSecret,
			FANLOOP_SPOTIFY_ACCOUNTS_URL: sandbox.urls.spotifyAccounts,
			FANLOOP_SPOTIFY_API_URL: sandbox.urls.spotifyApi,
			FANLOOP_SPOTIFY_REQUESTS_PER_SECOND: String(RATE),
		});
		const url = `http://127.0.0.1:${port}`;
		const api = new HubApi(url, apiKey);
		const running = hub;
		await eventually('the hub process to listen', async () => {
			if (running.child.exitCode !== null) throw new Error(`the hub exited:\n${running.output()}`);
			return (await fetch(`${url}/health`).catch(() => undefined))?.ok || undefined;
		});
		sandbox.spotify.api.requests.length = 0;
		const startedMs = Date.now();
		const started = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {
			platforms: ['spotify'],
		});
		if (started.status !== 202)
			throw new Error(`conversion did not start: ${JSON.stringify(started.body)}`);
		const job = await eventually(
			'the conversion job',
			async () => {
				const current = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
				return current.body.status === 'done' ? current.body : undefined;
			},
			(fans / RATE) * 3_000 + 120_000,
			undefined,
			250,
		);
		const seconds = (Date.now() - startedMs) / 1000;
		if (job.progress.converted !== fans)
			throw new Error(`converted ${job.progress.converted} of ${fans}`);
		const requests = sandbox.spotify.api.requests.length;
		return {
			fans,
			seconds,
			requests,
			achievedPerSecond: requests / seconds,
			peakRssMb: peakRssMb(hub.child.pid as number),
		};
	} finally {
		hub?.child.kill('SIGTERM');
		await sandbox.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	const runs: Run[] = [];
	for (const fans of SIZES) {
		const result = await run(fans);
		runs.push(result);
		console.log(
			`release-day conversion, ${fans.toLocaleString('en')} pending Spotify pre-saves: ${result.requests} requests in ` +
				`${result.seconds.toFixed(1)} s = ${result.achievedPerSecond.toFixed(1)} req/s; allowed ${RATE} req/s; ` +
				`ratio ${(result.achievedPerSecond / RATE).toFixed(3)} (target ≥ 0.95); hub peak RSS ${result.peakRssMb.toFixed(0)} MB`,
		);
	}
	if (runs.length >= 2) {
		const [smallest, largest] = [runs[0], runs[runs.length - 1]];
		console.log(
			`release-day peak memory, ${largest.fans.toLocaleString('en')} vs ${smallest.fans.toLocaleString('en')} fans: ` +
				`${(largest.peakRssMb / smallest.peakRssMb).toFixed(2)}× (target ≤ 1.2×)`,
		);
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
