/**
 * Release-day conversion survives its hub dying: the hub runs as its own process
 * (`node hub/dist/hub/src/cli.js serve`, configured only through the environment) against the
 * streaming stand-ins, is SIGKILLed mid-run and started again on the same data folder.
 * Every pre-save must end up converted exactly once, none lost.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { openStore } from '../../hub/src/store/open-store';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { HubApi } from '../support/hub-api';
import { buildHub, HubProcess } from '../support/hub-process';
import { presaveThroughConsent } from '../support/consent-round-trip';
import { sandboxRedirectUris } from '../support/presave';
import { inParallel } from '../support/in-parallel';
import { freePort } from '../../scripts/n8n/free-port';

const PLATFORMS = ['spotify', 'apple_music', 'deezer'] as const;
type Platform = (typeof PLATFORMS)[number];
/** Per platform; the job converts one platform after the other. */
const FANS_PER_PLATFORM = 200;
/** The pacer's budget per platform: 600 saves take ~12 s, long enough to kill the hub in the middle. */
const REQUESTS_PER_SECOND = 50;
const LEASE_MS = 2_000;

jest.setTimeout(150_000);

interface SeededFan {
	userId: string;
	platform: Platform;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
	what: string,
	check: () => Promise<T | undefined> | T | undefined,
	timeoutMs = 60_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

describe('release-day conversion in a hub process that is killed mid-run', () => {
	let workDir: string;
	let sandbox: StreamingSandbox;
	let hub: HubProcess;
	let api: HubApi;
	let campaignSlug: string;
	let campaignId: string;
	let env: NodeJS.ProcessEnv;

	function libraryHolds(platform: Platform, userId: string): number {
		if (platform === 'spotify') {
			return sandbox.spotify
				.library(userId)
				.filter((uri) => uri === SANDBOX_DEMO_RELEASE.spotify.albumUri).length;
		}
		if (platform === 'apple_music') {
			return sandbox.appleMusic
				.library(userId)
				.albums.filter((id) => id === SANDBOX_DEMO_RELEASE.appleMusic.albumId).length;
		}
		return sandbox.deezer
			.library(userId)
			.albums.filter((id) => String(id) === SANDBOX_DEMO_RELEASE.deezer.albumId).length;
	}

	async function call<T = any>(method: string, url: string, body?: unknown): Promise<T> {
		const response = await api.call<T>(method, url, body);
		if (response.status >= 300)
			throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
		return response.body;
	}

	/** Fans pre-save on the page as they do: the connect link, the platform's consent (MusicKit on Apple Music), the hub's callback. */
	async function seed(
		prefix: string,
		perPlatform: number,
	): Promise<{ fans: SeededFan[]; presaveIds: string[] }> {
		const before = new Set(await presaveIdsInLedger());
		const fans = PLATFORMS.flatMap((platform) =>
			Array.from({ length: perPlatform }, (_, i) => ({
				platform,
				userId: `${prefix}-${platform}-${i}`,
			})),
		);
		await inParallel(fans, 24, ({ platform, userId }) =>
			presaveThroughConsent(hub.url, campaignSlug, platform, userId),
		);
		const presaveIds = (await presaveIdsInLedger()).filter((id) => !before.has(id));
		expect(presaveIds).toHaveLength(fans.length);
		return { fans, presaveIds };
	}

	async function presaveIdsInLedger(): Promise<string[]> {
		const store = await openStore({ dataDir: workDir });
		try {
			const rows = await store.all<{ id: string }>(
				"SELECT id FROM actions WHERE kind = 'presave' AND campaign_id = $1",
				[campaignId],
			);
			return rows.map((row) => row.id);
		} finally {
			await store.close();
		}
	}

	async function jobWhenDone(
		jobId: string,
		timeoutMs: number,
	): Promise<{ status: string; progress: Record<string, number> }> {
		return until(
			`job ${jobId} to finish`,
			async () => {
				const job = await call('GET', `/v1/jobs/${jobId}`);
				return job.status === 'done' || job.status === 'failed' ? job : undefined;
			},
			timeoutMs,
		);
	}

	/** Reads the ledger itself, with the hub stopped or running (SQLite WAL allows a second reader). */
	async function ledgerCounts(presaveIds: string[]) {
		const store = await openStore({ dataDir: workDir });
		try {
			const saves = await store.all<{ parent_action_id: string; status: string; n: number }>(
				`SELECT parent_action_id, status, COUNT(*) AS n FROM actions WHERE kind = 'save' GROUP BY parent_action_id, status`,
			);
			const events = await store.all<{ payload: string }>(
				`SELECT payload FROM outbox WHERE type = 'presave.converted'`,
			);
			const wanted = new Set(presaveIds);
			return {
				saves: saves.filter((row) => wanted.has(row.parent_action_id)),
				events: events.length,
			};
		} finally {
			await store.close();
		}
	}

	beforeAll(async () => {
		// The hub runs from its build, as `serve` does in production.
		buildHub();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-crash-'));
		const port = await freePort();
		sandbox = await startStreamingSandbox({
			spotifyDevModeUserCap: 0,
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
			rateLimits: {
				spotify: { requests: REQUESTS_PER_SECOND * 2, windowMs: 1000 },
				deezer: { requests: REQUESTS_PER_SECOND * 2, windowMs: 1000 },
			},
		});
		const appleKeyFile = path.join(workDir, 'AuthKey.p8');
		fs.writeFileSync(appleKeyFile, sandbox.credentials.appleMusic.privateKeyPem, { mode: 0o600 });
		env = {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			FANLOOP_HOST: '127.0.0.1',
			FANLOOP_PORT: String(port),
			FANLOOP_DATA_DIR: workDir,
			FANLOOP_SEALING_KEY: randomBytes(32).toString('base64'),
			FANLOOP_JOB_LEASE_MS: String(LEASE_MS),
			FANLOOP_SPOTIFY_CLIENT_ID: sandbox.credentials.spotify.clientId,
			FANLOOP_SPOTIFY_CLIENT_SECRET: sandbox.credentials.spotify.clientSecret,
			FANLOOP_SPOTIFY_ACCOUNTS_URL: sandbox.urls.spotifyAccounts,
			FANLOOP_SPOTIFY_API_URL: sandbox.urls.spotifyApi,
			FANLOOP_SPOTIFY_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
			FANLOOP_APPLE_MUSIC_TEAM_ID: sandbox.credentials.appleMusic.teamId,
			FANLOOP_APPLE_MUSIC_KEY_ID: sandbox.credentials.appleMusic.keyId,
			FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE: appleKeyFile,
			FANLOOP_APPLE_MUSIC_API_URL: sandbox.urls.appleMusic,
			FANLOOP_APPLE_MUSICKIT_SCRIPT_URL: `${sandbox.urls.appleMusic}/musickit.js`,
			FANLOOP_APPLE_MUSIC_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
			FANLOOP_DEEZER_APP_ID: sandbox.credentials.deezer.appId,
			FANLOOP_DEEZER_SECRET: sandbox.credentials.deezer.secret,
			FANLOOP_DEEZER_API_URL: sandbox.urls.deezerApi,
			FANLOOP_DEEZER_CONNECT_URL: sandbox.urls.deezerConnect,
			FANLOOP_PUBLIC_URL: `http://127.0.0.1:${port}`,
			FANLOOP_DEEZER_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
		};
		hub = new HubProcess(env, `http://127.0.0.1:${port}`);
		const apiKey = hub.createApiKey('crash test');
		await hub.start();
		api = new HubApi(hub.url, apiKey);
		campaignSlug = 'loop-back-home-crash';
		const created = await call('POST', '/v1/campaigns', {
			slug: campaignSlug,
			artist: SANDBOX_DEMO_RELEASE.artistName,
			title: SANDBOX_DEMO_RELEASE.title,
			// The hub runs on the real clock: the release went live an hour ago.
			releaseAtUtc: new Date(Date.now() - 3_600_000).toISOString(),
			upc: SANDBOX_DEMO_RELEASE.upc,
			isrcs: [SANDBOX_DEMO_RELEASE.isrc],
			// The page offers the platforms the campaign names; the release itself is found by UPC.
			platforms: { spotify: {}, apple_music: {}, deezer: {} },
		});
		campaignId = created.campaign.id;
	});

	afterAll(async () => {
		await hub?.kill('SIGTERM');
		await sandbox?.stop();
		if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('converts every pre-save exactly once after a SIGKILL mid-run and a restart', async () => {
		const { fans, presaveIds } = await seed('crash', FANS_PER_PLATFORM);
		const landed = () => fans.filter((fan) => libraryHolds(fan.platform, fan.userId) > 0).length;
		const { jobId } = await call('POST', `/v1/campaigns/${campaignSlug}/conversions`, {});

		await until('some saves to land', () => (landed() >= 120 ? true : undefined), 60_000);
		await hub.kill('SIGKILL');
		const atKill = landed();
		expect(atKill).toBeGreaterThan(0);
		expect(atKill).toBeLessThan(fans.length);

		const killedAt = Date.now();
		await hub.start();
		const job = await jobWhenDone(jobId, 90_000);
		expect(job.status).toBe('done');
		// Taken over once the dead process's lease ran out, not after the 5-minute default.
		expect(Date.now() - killedAt).toBeLessThan(60_000);

		for (const fan of fans) expect(libraryHolds(fan.platform, fan.userId)).toBe(1);
		const { saves, events } = await ledgerCounts(presaveIds);
		expect(saves).toHaveLength(fans.length);
		expect(saves.every((row) => row.status === 'done' && Number(row.n) === 1)).toBe(true);
		expect(events).toBe(fans.length);
		// Progress is read from the ledger: the saves that landed between the last report and the kill are counted too.
		expect(job.progress).toMatchObject({
			converted: fans.length,
			reconsent: 0,
			failed: 0,
			waiting: 0,
		});
		// A second run finds nothing left to do.
		const again = await call('POST', `/v1/campaigns/${campaignSlug}/conversions`, {});
		expect((await jobWhenDone(again.jobId, 30_000)).progress).toMatchObject({
			converted: 0,
			reconsent: 0,
			failed: 0,
			waiting: 0,
		});
	});

	it('finishes through a 50% 429 storm and marks revoked fans for re-consent', async () => {
		const { fans } = await seed('storm', 20);
		const revoked = fans.filter((fan) => fan.platform === 'spotify').slice(0, 2);
		for (const fan of revoked) sandbox.spotify.revoke(fan.userId);
		sandbox.spotify.api.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 1 });
		sandbox.deezer.api.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 1 });
		sandbox.appleMusic.server.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 1 });
		try {
			const { jobId } = await call('POST', `/v1/campaigns/${campaignSlug}/conversions`, {});
			const job = await jobWhenDone(jobId, 120_000);
			expect(job.status).toBe('done');
			expect(job.progress).toMatchObject({
				converted: fans.length - revoked.length,
				reconsent: revoked.length,
				failed: 0,
				waiting: 0,
			});
		} finally {
			sandbox.spotify.api.faults.clear();
			sandbox.deezer.api.faults.clear();
			sandbox.appleMusic.server.faults.clear();
		}
		for (const fan of fans)
			expect(libraryHolds(fan.platform, fan.userId)).toBe(revoked.includes(fan) ? 0 : 1);
		for (const fan of revoked) {
			const owner = await call(
				'GET',
				`/v1/fans/by-identity?channel=spotify&value=${encodeURIComponent(fan.userId)}`,
			);
			const exported = await call('GET', `/v1/fans/${owner.id}/export`);
			expect(exported.tokens[0].status).toBe('needs_reconsent');
			expect(
				exported.actions.find((action: { kind: string }) => action.kind === 'save'),
			).toMatchObject({ status: 'failed', idempotencyKey: null });
			expect(
				exported.actions.find((action: { kind: string }) => action.kind === 'presave'),
			).toMatchObject({
				status: 'pending',
				error: expect.stringContaining('Waiting for the fan to reconnect spotify'),
			});
		}
	});
});
