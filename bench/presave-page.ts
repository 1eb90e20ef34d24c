/**
 * Pre-save page serving: GET /c/<slug> from the hub (campaign read, language choice, three
 * platform buttons, security headers) against a minimal fastify server answering a static
 * page of the same size. Throughput and p99 latency of each, and the ratio: what building
 * the page per request costs over sending bytes. Loopback only, bounded counts.
 */
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

/** REQUESTS GETs with CONCURRENCY in flight; every answer must be a 200 page. */
async function load(url: string, headers: Record<string, string>): Promise<Run> {
	const get = async () => {
		const response = await fetch(url, { headers });
		if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
		await response.arrayBuffer();
	};
	for (let i = 0; i < WARMUP; i++) await get();
	const latenciesMs: number[] = [];
	let next = 0;
	const startedAt = performance.now();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < REQUESTS) {
				next += 1;
				const sentAt = performance.now();
				await get();
				latenciesMs.push(performance.now() - sentAt);
			}
		}),
	);
	const seconds = (performance.now() - startedAt) / 1000;
	latenciesMs.sort((a, b) => a - b);
	return {
		perSecond: latenciesMs.length / seconds,
		p99Ms: latenciesMs[Math.floor(latenciesMs.length * 0.99) - 1],
	};
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

		const hubRun = await load(pageUrl, headers);
		const bareRun = await load(`${bareUrl}/static`, headers);
		const bytes = Buffer.byteLength(html);
		process.stdout.write(
			[
				`pre-save page: ${bytes} bytes, ${REQUESTS} requests, ${CONCURRENCY} in flight`,
				`  hub GET /c/<slug>:      ${hubRun.perSecond.toFixed(0)} pages/s, p99 ${hubRun.p99Ms.toFixed(1)} ms`,
				`  static fastify, same size: ${bareRun.perSecond.toFixed(0)} pages/s, p99 ${bareRun.p99Ms.toFixed(1)} ms`,
				`  hub / static: throughput ${(hubRun.perSecond / bareRun.perSecond).toFixed(2)}, p99 ${(hubRun.p99Ms / bareRun.p99Ms).toFixed(2)}`,
				'',
			].join('\n'),
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
