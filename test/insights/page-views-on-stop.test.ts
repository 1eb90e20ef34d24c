/**
 * A hub process keeps the page views it counts for up to a second before writing them
 * together (the page is its busiest request). A hub stopped the ordinary way (SIGTERM, as a
 * deploy or `npm start`'s Ctrl-C stops it) writes what it kept: the funnel read after the
 * restart holds every view made right before the stop.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../scripts/n8n/free-port';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess, hubProcessEnv } from '../support/hub-process';

const VIEWS = 7;
const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36';

jest.setTimeout(90_000);

describe('page views counted right before a hub process stops', () => {
	let dataDir: string;
	let hub: HubProcess;

	beforeAll(async () => {
		buildHub();
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-views-'));
		const port = await freePort();
		hub = new HubProcess(
			hubProcessEnv({ port, dataDir, sealingKey: randomBytes(32) }),
			`http://127.0.0.1:${port}`,
		);
	});

	afterAll(async () => {
		await hub?.kill('SIGKILL');
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it('are written when it stops and read after its restart', async () => {
		const apiKey = hub.createApiKey('views test');
		await hub.start();
		const api = new HubApi(hub.url, apiKey);
		const created = await api.call('POST', '/v1/campaigns', {
			slug: 'night-ferry',
			artist: 'Nia Vale',
			title: 'Night Ferry',
			releaseAtUtc: '2026-12-18T00:00:00Z',
		});
		expect(created.status).toBe(200);

		for (let view = 0; view < VIEWS; view++) {
			const page = await fetch(`${hub.url}/c/night-ferry?src=ig`, {
				headers: { 'user-agent': PHONE },
			});
			expect(page.status).toBe(200);
			await page.arrayBuffer();
		}
		await hub.kill('SIGTERM');
		await hub.start();

		const insights = await api.call<{ funnel: { views: number } }>(
			'GET',
			'/v1/campaigns/night-ferry/insights',
		);
		expect(insights.status).toBe(200);
		expect(insights.body.funnel.views).toBe(VIEWS);
	});
});
