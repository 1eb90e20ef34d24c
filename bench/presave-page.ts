/**
 * Pre-save page serving: GET /c/<slug> from the hub (campaign read, language choice, three
 * platform buttons, security headers, the view counted) against a minimal fastify server
 * answering a static page of the same size. Throughput and p99 latency of each, and the
 * ratio: what building the page per request costs over sending bytes. The load comes from a
 * separate process (bench/support/page-load.ts), warmed up on each side, and both orders are
 * run. Loopback only, bounded counts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import Fastify from 'fastify';
import { startHub } from '../hub/src';
import { SANDBOX_DEMO_RELEASE, startStreamingSandbox } from '../sandbox/src/streaming';
import { HubApi } from '../test/support/hub-api';
import { sandboxFanAuthorizations } from '../test/support/presave';

const REQUESTS = Math.min(Number(process.env.BENCH_PAGE_REQUESTS ?? 5_000), 50_000);
const CONCURRENCY = 32;
const WARMUP = 200;

interface Run {
	perSecond: number;
	p99Ms: number;
}

const loadGenerator = path.join(__dirname, 'support/page-load.js');

/** REQUESTS GETs with CONCURRENCY in flight from the load generator's process; every answer must be a 200 page. */
async function load(url: string, headers: Record<string, string>): Promise<Run> {
	const { stdout } = await promisify(execFile)(process.execPath, [
		loadGenerator,
		url,
		String(REQUESTS),
		String(CONCURRENCY),
		String(WARMUP),
		JSON.stringify(headers),
	]);
	return JSON.parse(stdout) as Run;
}

async function main(): Promise<void> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bench-pages-'));
	const sandbox = await startStreamingSandbox();
	const hub = await startHub({
		port: 0,
		dataDir,
		sealingKey: randomBytes(32),
		fanAuthorizations: sandboxFanAuthorizations(sandbox),
	});
	const bare = Fastify({ logger: false });
	try {
		const api = new HubApi(hub.url, await hub.createApiKey('bench'));
		const created = await api.call('POST', '/v1/campaigns', {
			slug: 'bench-page',
			artist: 'The Sandbox Sessions',
			title: SANDBOX_DEMO_RELEASE.title,
			artworkUrl: 'https://images.example.com/loop-back-home.jpg',
			releaseAtUtc: '2026-12-04T00:00:00Z',
			timezone: 'Europe/Berlin',
			localMidnight: true,
			platforms: { spotify: {}, apple_music: {}, deezer: {} },
			layers: ['sms', 'email', 'telegram', 'follow'],
		});
		if (created.status !== 200) throw new Error(`campaign: HTTP ${created.status}`);
		const headers = {
			'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
			'user-agent': 'Mozilla/5.0 (Linux; Android 14) Mobile',
		};
		const pageUrl = `${hub.url}/c/bench-page`;
		const html = await (await fetch(pageUrl, { headers })).text();

		bare.get('/static', async (_request, reply) =>
			reply.type('text/html; charset=utf-8').send(html),
		);
		const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

		const bytes = Buffer.byteLength(html);
		console.log(
			`pre-save page: ${bytes} bytes, ${REQUESTS} requests, ${CONCURRENCY} in flight from a separate process`,
		);
		const throughputs: number[] = [];
		const p99s: number[] = [];
		for (const hubFirst of [true, false]) {
			const first = hubFirst ? await load(pageUrl, headers) : undefined;
			const bareRun = await load(`${bareUrl}/static`, headers);
			const hubRun = first ?? (await load(pageUrl, headers));
			throughputs.push(hubRun.perSecond / bareRun.perSecond);
			p99s.push(hubRun.p99Ms / bareRun.p99Ms);
			console.log(
				`  ${hubFirst ? 'hub first ' : 'bare first'}: hub GET /c/<slug> ${hubRun.perSecond.toFixed(0)} pages/s, p99 ${hubRun.p99Ms.toFixed(1)} ms; ` +
					`static fastify ${bareRun.perSecond.toFixed(0)} pages/s, p99 ${bareRun.p99Ms.toFixed(1)} ms`,
			);
		}
		const mean = (values: number[]) => values.reduce((x, y) => x + y) / values.length;
		console.log(
			`  pre-save page vs static fastify page: throughput ${mean(throughputs).toFixed(2)} (target ≥ 0.8), ` +
				`p99 ${mean(p99s).toFixed(2)}× (target ≤ 1.25×)`,
		);
	} finally {
		await bare.close();
		await hub.close();
		await sandbox.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
