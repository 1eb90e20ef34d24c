/**
 * Several hub processes on one PostgreSQL database: three `hub serve` processes share
 * Spotify's budget and a release day over a few thousand pre-saves, one is SIGKILLed in
 * the middle, and the others finish its share. The Spotify stand-in enforces its rolling
 * window at the hubs' configured rate, so three processes pacing on their own (three
 * times the rate) would meet 429s at once; drawing from one budget in the database they
 * meet none, and still spend most of it.
 */
import { randomBytes } from 'node:crypto';

import type { Ledger } from '../../hub/src/core/ledger';
import {
	CONVERSION_PART_JOB,
	CONVERSION_PARTS_PER_PLATFORM,
} from '../../hub/src/core/streaming/conversion';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { freePorts, HubCluster } from '../support/hub-cluster';
import { buildHub, type HubProcess } from '../support/hub-process';
import { inParallel, range } from '../support/in-parallel';
import { openLedger } from '../support/ledger';
import { sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { recordPendingPresave, sandboxSpotifyEnv, seedSpotifyFan } from '../support/streaming';

const HUB_PROCESSES = 3;
const FANS = 3_000;
/** The app's budget each hub is told: together they must stay inside it, not three times it. */
const REQUESTS_PER_SECOND = 120;
/** The stand-in's rolling window: Spotify's is 30 s; a shorter one catches a burst sooner. */
const WINDOW_MS = 5_000;
/** Slots are spaced exactly; requests reach the stand-in with a few milliseconds of jitter. */
const JITTER_ALLOWANCE = 1.05;
const LEASE_MS = 3_000;

jest.setTimeout(180_000);

describe('several hub processes on one PostgreSQL database', () => {
	let database: TestDatabase;
	let sandbox: StreamingSandbox;
	let ledger: Ledger;
	let cluster: HubCluster;
	let hubs: HubProcess[] = [];

	const userId = (index: number) => `scale-fan-${index}`;
	const savedIn = (index: number) =>
		sandbox.spotify
			.library(userId(index))
			.filter((uri) => uri === SANDBOX_DEMO_RELEASE.spotify.albumUri).length;

	beforeAll(async () => {
		buildHub();
		database = await createTestDatabase('postgres');
		const ports = await freePorts(HUB_PROCESSES);
		sandbox = await startStreamingSandbox({
			spotifyDevModeUserCap: 0,
			// Fans are seeded with grants, not through a hub's consent page: one hub's callbacks are enough.
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${ports[0]}`),
			rateLimits: {
				spotify: {
					requests: Math.floor(((REQUESTS_PER_SECOND * WINDOW_MS) / 1000) * JITTER_ALLOWANCE),
					windowMs: WINDOW_MS,
				},
			},
		});
		const sealingKey = randomBytes(32);
		cluster = HubCluster.create(database, ports, sealingKey, {
			FANLOOP_JOB_LEASE_MS: String(LEASE_MS),
			...sandboxSpotifyEnv(sandbox, REQUESTS_PER_SECOND),
		});
		hubs = cluster.hubs;
		ledger = await openLedger(database, sealingKey);
	});

	afterAll(async () => {
		await cluster?.close();
		await ledger?.store.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('share one Spotify budget and one release day, and finish the share of a process that dies', async () => {
		const apiKey = hubs[0].createApiKey('scale test');
		// One hub first: it takes the conversion job itself, so killing it later kills the job's own process.
		await hubs[0].start();
		let api = new HubApi(hubs[0].url, apiKey);
		const created = await api.call<{ campaign: { id: string } }>('POST', '/v1/campaigns', {
			slug: 'loop-back-home-at-scale',
			artist: SANDBOX_DEMO_RELEASE.artistName,
			title: SANDBOX_DEMO_RELEASE.title,
			releaseAtUtc: new Date(Date.now() - 3_600_000).toISOString(),
			upc: SANDBOX_DEMO_RELEASE.upc,
			platforms: { spotify: {} },
		});
		expect(created.status).toBe(200);
		const campaignId = created.body.campaign.id;

		// The fans' path is other suites' subject: here each fan is seeded as the OAuth callback leaves it.
		const seedingStartedMs = Date.now();
		await inParallel(range(FANS), 16, async (index) =>
			recordPendingPresave(
				ledger,
				await seedSpotifyFan(ledger, sandbox, userId(index)),
				campaignId,
			),
		);
		const seedingMs = Date.now() - seedingStartedMs;

		const startedMs = Date.now();
		const callsBefore = sandbox.spotify.api.requests.length;
		const started = await api.call<{ jobId: string }>(
			'POST',
			`/v1/campaigns/${campaignId}/conversions`,
			{},
		);
		expect(started.status).toBe(202);
		await eventually('the first hub to take the conversion job', async () => {
			const row = await ledger.store.get<{ status: string }>(
				'SELECT status FROM jobs WHERE id = $1',
				[started.body.jobId],
			);
			return row?.status === 'running' ? true : undefined;
		});
		await Promise.all(hubs.slice(1).map((hub) => hub.start()));
		const landed = () => Array.from({ length: FANS }, (_, index) => savedIn(index)).filter(Boolean);
		await eventually('a third of the saves to land', () =>
			landed().length >= FANS / 3 ? true : undefined,
		);
		await hubs[0].kill('SIGKILL');
		const atKill = landed().length;
		expect(atKill).toBeLessThan(FANS);
		api = new HubApi(hubs[1].url, apiKey);

		const job = await eventually(
			'the conversion to finish',
			async () => {
				const read = await api.call<{
					status: string;
					attempts: number;
					progress: Record<string, unknown>;
				}>('GET', `/v1/jobs/${started.body.jobId}`);
				return read.body.status === 'done' || read.body.status === 'failed' ? read.body : undefined;
			},
			90_000,
			undefined,
			250,
		);
		const conversionMs = Date.now() - startedMs;
		expect(job.status).toBe('done');
		expect(job.progress).toMatchObject({ converted: FANS, reconsent: 0, failed: 0, waiting: 0 });
		// The job itself died with the first hub and was carried on by another, in the same pass:
		// one set of pieces, not a second one over the same fans.
		expect(job.attempts).toBeGreaterThan(1);
		const pieces = await ledger.store.get<{ n: number }>(
			'SELECT COUNT(*) AS n FROM jobs WHERE kind = $1',
			[CONVERSION_PART_JOB],
		);
		expect(Number(pieces?.n)).toBe(CONVERSION_PARTS_PER_PLATFORM);

		// Every fan saved exactly once, in their library and in the ledger.
		for (let index = 0; index < FANS; index++) expect(savedIn(index)).toBe(1);
		const saves = await ledger.store.all<{ parent_action_id: string; status: string; n: number }>(
			`SELECT parent_action_id, status, COUNT(*) AS n FROM actions
			 WHERE kind = 'save' AND campaign_id = $1 GROUP BY parent_action_id, status`,
			[campaignId],
		);
		expect(saves).toHaveLength(FANS);
		expect(saves.every((row) => row.status === 'done' && Number(row.n) === 1)).toBe(true);
		const pending = await ledger.store.get<{ n: number }>(
			`SELECT COUNT(*) AS n FROM actions WHERE kind = 'presave' AND campaign_id = $1 AND status <> 'done'`,
			[campaignId],
		);
		expect(Number(pending?.n)).toBe(0);

		// One budget: the stand-in never had to refuse the hubs together, and most of it was spent.
		expect(sandbox.spotify.api.answered.get(429) ?? 0).toBe(0);
		const calls = sandbox.spotify.api.requests.length - callsBefore;
		const callsPerSecond = (calls * 1000) / conversionMs;
		expect(callsPerSecond).toBeGreaterThan(REQUESTS_PER_SECOND * 0.5);

		// More than one process converted: the pieces were done under different leases.
		const workers = await ledger.store.all<{ locked_by: string }>(
			`SELECT DISTINCT locked_by FROM jobs WHERE kind = $1 AND status = 'done'`,
			[CONVERSION_PART_JOB],
		);
		expect(workers.length).toBeGreaterThan(1);

		console.log(
			`${HUB_PROCESSES} hubs, ${FANS} fans: seeded in ${seedingMs} ms; converted in ${conversionMs} ms ` +
				`(${calls} Spotify calls, ${callsPerSecond.toFixed(1)}/s of ${REQUESTS_PER_SECOND}/s; ` +
				`${atKill} saved when the job's hub was killed; pieces done by ${workers.length} processes)`,
		);
	});
});
