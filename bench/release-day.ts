/**
 * Release-day conversion at scale: pending Spotify pre-saves turned into saves by a hub process
 * (`hub serve`, SQLite) against the Spotify stand-in, whose rolling 30-second budget is set to
 * BENCH_RELEASE_DAY_RATE requests/s and whose rate the hub is told.
 *
 * 1. Rate: BENCH_RELEASE_DAY_FANS (10,000) fans at each stand-in latency of
 *    BENCH_RELEASE_DAY_LATENCIES_MS (0, 50, 100, 300: real APIs are not instant), the hub under the
 *    README's heap budget. Printed: requests/s the stand-in received ÷ the rate allowed (target
 *    ≥ 0.95), counted from the conversion's start to the last request's arrival, and the
 *    hub's CPU seconds per 1,000 saves, which holds when other work shares the machine. The
 *    time until the job is seen done is printed beside it: after the last request there is
 *    nothing left to send, so the last answer's latency, the job's closing count and this
 *    bench's poll say nothing of how the budget was spent, while at 300 ms over a 20-second
 *    run they would take 3% of it.
 * 2. Memory: BENCH_RELEASE_DAY_MEMORY_FANS (10,000 and 100,000) fans with no heap budget, the
 *    live heap after a full GC sampled through the run (bench/support/live-heap-probe.ts): what the hub
 *    really holds, to set the budget from (target: the larger run within 1.2× of the smaller).
 * Fans are seeded through the hub's own ledger in this process before the hub process starts.
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
import { inParallel, range } from '../test/support/in-parallel';
import { connectFan, sandboxSpotifyEnv } from '../test/support/streaming';
import { freePort } from '../test/n8n/harness';
import { cpuSeconds, peakRssMb } from './support/process-stats';

const RATE = Number(process.env.BENCH_RELEASE_DAY_RATE ?? 500);
const list = (value: string) => value.split(',').filter(Boolean).map(Number);
const FANS = Number(process.env.BENCH_RELEASE_DAY_FANS ?? 10_000);
const LATENCIES_MS = list(process.env.BENCH_RELEASE_DAY_LATENCIES_MS ?? '0,50,100,300');
const MEMORY_SIZES = list(process.env.BENCH_RELEASE_DAY_MEMORY_FANS ?? '10000,100000');
const LIVE_HEAP_SAMPLE_MS = 2_000;
const SEED_CONCURRENCY = 16;
const JOB_POLL_MS = 250;
const WINDOW_MS = 30_000;
const hubCli = path.join(__dirname, '../hub/src/cli.js');
const liveHeapProbe = path.join(__dirname, 'support/live-heap-probe.js');
/** The heap budget README.md gives for running the hub. */
const HEAP_BUDGET_MB = 256;

interface Run {
	fans: number;
	/** From the conversion's start until the stand-in received its last request. */
	requestSeconds: number;
	/** From the conversion's start until the job was seen done. */
	seconds: number;
	requests: number;
	achievedPerSecond: number;
	cpuSecondsPer1000: number;
	peakRssMb: number;
	/** Largest live heap after a full GC seen during the run (memory runs only). */
	peakLiveHeapMb?: number;
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
		await inParallel(range(fans), SEED_CONCURRENCY, async (index) => {
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

async function run(
	fans: number,
	options: { latencyMs: number; heapBudgetMb?: number },
): Promise<Run> {
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
		const liveHeapFile = path.join(dataDir, 'live-heap');
		hub = startHubProcess({
			PATH: process.env.PATH,
			NODE_OPTIONS: options.heapBudgetMb
				? `--max-old-space-size=${options.heapBudgetMb}`
				: `--expose-gc --require ${liveHeapProbe}`,
			BENCH_LIVE_HEAP_FILE: liveHeapFile,
			FANLOOP_HOST: '127.0.0.1',
			FANLOOP_PORT: String(port),
			FANLOOP_DATA_DIR: dataDir,
			FANLOOP_SEALING_KEY: sealingKey,
			...sandboxSpotifyEnv(sandbox, RATE),
		});
		const url = `http://127.0.0.1:${port}`;
		const api = new HubApi(url, apiKey);
		const running = hub;
		await eventually('the hub process to listen', async () => {
			if (running.child.exitCode !== null) throw new Error(`the hub exited:\n${running.output()}`);
			return (await fetch(`${url}/health`).catch(() => undefined))?.ok || undefined;
		});
		sandbox.spotify.api.requests.length = 0;
		sandbox.spotify.api.faults.set({ delayMs: options.latencyMs });
		const pid = hub.child.pid as number;
		let peakLiveHeapBytes = 0;
		const sampler = options.heapBudgetMb
			? undefined
			: setInterval(() => {
					process.kill(pid, 'SIGUSR2');
					const bytes = Number(fs.readFileSync(liveHeapFile, { encoding: 'utf8', flag: 'a+' }));
					peakLiveHeapBytes = Math.max(peakLiveHeapBytes, bytes || 0);
				}, LIVE_HEAP_SAMPLE_MS);
		const cpuBefore = cpuSeconds(pid);
		const startedMs = sandbox.spotify.api.clock.now();
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
			JOB_POLL_MS,
		);
		const seconds = (sandbox.spotify.api.clock.now() - startedMs) / 1000;
		const cpuUsed = cpuSeconds(pid) - cpuBefore;
		if (sampler) clearInterval(sampler);
		if (job.progress.converted !== fans)
			throw new Error(`converted ${job.progress.converted} of ${fans}`);
		const received = sandbox.spotify.api.requests;
		const requests = received.length;
		const lastReceivedMs = received.reduce(
			(last, request) => Math.max(last, request.receivedAtMs),
			0,
		);
		const requestSeconds = (lastReceivedMs - startedMs) / 1000;
		return {
			fans,
			requestSeconds,
			seconds,
			requests,
			achievedPerSecond: requests / requestSeconds,
			cpuSecondsPer1000: (cpuUsed * 1000) / fans,
			peakRssMb: peakRssMb(pid),
			...(sampler ? { peakLiveHeapMb: peakLiveHeapBytes / 1024 / 1024 } : {}),
		};
	} finally {
		hub?.child.kill('SIGTERM');
		await sandbox.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	for (const latencyMs of LATENCIES_MS) {
		const result = await run(FANS, { latencyMs, heapBudgetMb: HEAP_BUDGET_MB });
		console.log(
			`release day, ${FANS.toLocaleString('en')} Spotify pre-saves, stand-in latency ${latencyMs} ms, heap budget ${HEAP_BUDGET_MB} MB: ` +
				`${result.requests} requests in ${result.requestSeconds.toFixed(1)} s = ${result.achievedPerSecond.toFixed(1)} req/s of ${RATE} allowed; ` +
				`ratio ${(result.achievedPerSecond / RATE).toFixed(3)} (target ≥ 0.95); ` +
				`job seen done ${(result.seconds - result.requestSeconds).toFixed(2)} s after the last request (${JOB_POLL_MS} ms poll); ` +
				`${result.cpuSecondsPer1000.toFixed(2)} hub CPU s per 1,000 saves; peak RSS ${result.peakRssMb.toFixed(0)} MB`,
		);
	}
	const memory: Run[] = [];
	for (const fans of MEMORY_SIZES) {
		const result = await run(fans, { latencyMs: 0 });
		memory.push(result);
		console.log(
			`release day, ${fans.toLocaleString('en')} Spotify pre-saves, no heap budget: live heap after GC at most ` +
				`${result.peakLiveHeapMb?.toFixed(1)} MB; peak RSS ${result.peakRssMb.toFixed(0)} MB; ` +
				`ratio ${(result.achievedPerSecond / RATE).toFixed(3)} of the allowed rate`,
		);
	}
	if (memory.length >= 2) {
		const [smallest, largest] = [memory[0], memory[memory.length - 1]];
		console.log(
			`release-day live heap, ${largest.fans.toLocaleString('en')} vs ${smallest.fans.toLocaleString('en')} fans: ` +
				`${((largest.peakLiveHeapMb ?? 0) / (smallest.peakLiveHeapMb ?? 1)).toFixed(2)}× (target ≤ 1.2×)`,
		);
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
