import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { freePort } from '../n8n/harness';
import { consentRoundTrip, presaveThroughConsent } from '../support/consent-round-trip';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { sandboxFanAuthorizations, sandboxRedirectUris } from '../support/presave';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { sandboxPlatforms } from '../support/streaming';
import { eventually } from '../support/eventually';

const PLATFORMS = ['spotify', 'apple_music', 'deezer'] as const;
type Platform = (typeof PLATFORMS)[number];
const FANS_PER_PLATFORM = 4;

describe.each(STORE_KINDS)('release-day conversion on %s', (kind) => {
	const clock = new SandboxClock();
	let sandbox: StreamingSandbox;
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;
	let campaignId: string;
	const slug = `loop-back-home-${kind}`;
	const fans: { fanId: string; userId: string; platform: Platform; presaveId: string }[] = [];
	const knownPresaves = new Set<string>();

	/** The fan pre-saves on the campaign's page through the platform's consent; answers the fan and pre-save the hub recorded. */
	async function presaveOnPage(platform: Platform, userId: string) {
		await presaveThroughConsent(hub.url, slug, platform, userId);
		const rows = await hub.ledger.store.all<{ id: string; fan_id: string }>(
			"SELECT id, fan_id FROM actions WHERE kind = 'presave' AND campaign_id = $1",
			[campaignId],
		);
		const added = rows.filter((row) => !knownPresaves.has(row.id));
		if (added.length !== 1) throw new Error(`${added.length} new pre-saves for ${userId}`);
		knownPresaves.add(added[0].id);
		return { fanId: added[0].fan_id, userId, platform, presaveId: added[0].id };
	}

	function libraryHolds(platform: Platform, userId: string): number {
		if (platform === 'spotify')
			return sandbox.spotify
				.library(userId)
				.filter((uri) => uri === SANDBOX_DEMO_RELEASE.spotify.albumUri).length;
		if (platform === 'apple_music') {
			return sandbox.appleMusic
				.library(userId)
				.albums.filter((id) => id === SANDBOX_DEMO_RELEASE.appleMusic.albumId).length;
		}
		return sandbox.deezer
			.library(userId)
			.albums.filter((id) => String(id) === SANDBOX_DEMO_RELEASE.deezer.albumId).length;
	}

	async function convert(): Promise<Record<string, number>> {
		const started = await api.call('POST', `/v1/campaigns/${campaignId}/conversions`, {});
		expect(started.status).toBe(202);
		const job = await eventually('the conversion job', async () => {
			const current = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
			return current.body.status === 'done' ? current.body : undefined;
		});
		return job.progress;
	}

	beforeAll(async () => {
		// The evening before the release: fans pre-save on the page.
		clock.set(Date.parse('2026-12-03T22:05:00Z'));
		const port = await freePort();
		sandbox = await startStreamingSandbox({
			clock,
			redirectUris: sandboxRedirectUris(`http://127.0.0.1:${port}`),
			spotifyDevModeUserCap: 0,
		});
		database = await createTestDatabase(kind);
		hub = await startHub({
			port,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			streamingPlatforms: sandboxPlatforms(sandbox),
			fanAuthorizations: sandboxFanAuthorizations(sandbox),
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('conversion test'));
		const campaign = await api.call('POST', '/v1/campaigns', {
			slug,
			artist: SANDBOX_DEMO_RELEASE.artistName,
			title: SANDBOX_DEMO_RELEASE.title,
			releaseAtUtc: '2026-12-04T00:00:00Z',
			upc: SANDBOX_DEMO_RELEASE.upc,
			isrcs: [SANDBOX_DEMO_RELEASE.isrc],
			platforms: {
				spotify: { albumId: SANDBOX_DEMO_RELEASE.spotify.albumUri },
				apple_music: { albumId: SANDBOX_DEMO_RELEASE.appleMusic.albumId },
				deezer: { albumId: SANDBOX_DEMO_RELEASE.deezer.albumId },
			},
		});
		campaignId = campaign.body.campaign.id;
		for (const platform of PLATFORMS) {
			for (let i = 0; i < FANS_PER_PLATFORM; i++) {
				fans.push(await presaveOnPage(platform, `${platform}-${kind}-${i}`));
			}
		}
	});

	afterAll(async () => {
		await hub?.close();
		await sandbox?.stop();
		await database?.drop();
	});

	it('saves every pending pre-save exactly once, marks revoked fans for re-consent, and announces each conversion', async () => {
		const revoked = fans[0];
		sandbox.spotify.revoke(revoked.userId);
		// Two hours on, the release is out and the access tokens have expired: conversion refreshes and re-seals them.
		clock.advance(2 * 3_600_000);

		const progress = await convert();

		expect(progress).toMatchObject({
			converted: fans.length - 1,
			reconsent: 1,
			failed: 0,
			waiting: 0,
		});
		for (const fan of fans.slice(1)) expect(libraryHolds(fan.platform, fan.userId)).toBe(1);
		expect(libraryHolds(revoked.platform, revoked.userId)).toBe(0);
		const exported = await api.call('GET', `/v1/fans/${revoked.fanId}/export`);
		expect(exported.body.tokens[0].status).toBe('needs_reconsent');
		const converted = await hub.ledger.store.get<{ n: number }>(
			`SELECT COUNT(*) AS n FROM outbox WHERE type = 'presave.converted'`,
		);
		expect(Number(converted?.n)).toBe(fans.length - 1);
		const save = (await api.call('GET', `/v1/fans/${fans[1].fanId}/export`)).body.actions.find(
			(action: { kind: string }) => action.kind === 'save',
		);
		expect(save).toMatchObject({
			status: 'done',
			verification: 'hard',
			parentActionId: fans[1].presaveId,
		});
		// Each pre-save says where it stands: converted, or waiting for the fan to reconnect.
		expect((await api.call('GET', `/v1/actions/${fans[1].presaveId}`)).body).toMatchObject({
			status: 'done',
			verification: 'hard',
			error: null,
		});
		expect((await api.call('GET', `/v1/actions/${revoked.presaveId}`)).body).toMatchObject({
			status: 'pending',
			error: expect.stringContaining('Waiting for the fan to reconnect spotify'),
		});
	});

	it('converts nothing twice when run again', async () => {
		const progress = await convert();
		expect(progress).toMatchObject({ converted: 0, reconsent: 0, failed: 0 });
		for (const fan of fans.slice(1)) expect(libraryHolds(fan.platform, fan.userId)).toBe(1);
	});

	it('converts the revoked fan once they reconnect through their link: the failed attempt kept the save free', async () => {
		const revoked = fans[0];
		const expiring = await api.call(
			'GET',
			'/v1/connections/expiring?withinDays=14&platform=spotify',
		);
		const link = expiring.body.connections.find(
			(connection: { fanId: string }) => connection.fanId === revoked.fanId,
		)?.reconnectUrl as string;
		expect(link).toMatch(/\/r\/[A-Za-z0-9_.-]+$/);
		const landed = await consentRoundTrip(
			link.replace(/^https?:\/\/[^/]+/, hub.url),
			revoked.userId,
		);
		expect(landed.text).toContain('You’re reconnected');
		// Reconnecting starts the conversion of the fan's waiting pre-saves at once.
		await eventually(
			'the reconnected fan’s save',
			() => libraryHolds('spotify', revoked.userId) === 1 || undefined,
		);
		const presave = await eventually('the converted pre-save', async () => {
			const read = await api.call('GET', `/v1/actions/${revoked.presaveId}`);
			return read.body.status === 'done' ? read.body : undefined;
		});
		expect(presave).toMatchObject({ status: 'done', error: null });
		expect(await convert()).toMatchObject({ converted: 0, reconsent: 0, failed: 0 });
		expect(libraryHolds('spotify', revoked.userId)).toBe(1);
	});

	it('skips the pre-save of a fan who asked to be erased, and says why', async () => {
		const userId = `erased-${kind}`;
		const { fanId, presaveId } = await presaveOnPage('deezer', userId);
		expect((await api.call('DELETE', `/v1/fans/${fanId}`)).status).toBe(200);

		const progress = await convert();
		expect(progress).toMatchObject({ converted: 0, skipped: 1, waiting: 0 });
		expect(libraryHolds('deezer', userId)).toBe(0);
		expect((await api.call('GET', `/v1/actions/${presaveId}`)).body).toMatchObject({
			status: 'skipped',
			error: expect.stringContaining('erased'),
		});
	});

	it('waits out a 429 storm and still converts everyone', async () => {
		const late: typeof fans = [];
		for (let i = 0; i < 3; i++) late.push(await presaveOnPage('deezer', `storm-${kind}-${i}`));
		sandbox.spotify.api.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 1 });
		sandbox.deezer.api.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 1 });
		try {
			const progress = await convert();
			expect(progress).toMatchObject({ converted: late.length, failed: 0 });
		} finally {
			sandbox.spotify.api.faults.clear();
			sandbox.deezer.api.faults.clear();
		}
		for (const fan of late) expect(libraryHolds('deezer', fan.userId)).toBe(1);
		expect(sandbox.deezer.api.requests.length).toBeGreaterThan(0);
	});

	it('lists the connections that expire soon, for a re-consent layer', async () => {
		const soon = await api.call('GET', '/v1/connections/expiring?withinDays=200&platform=spotify');
		expect(
			soon.body.connections.map((connection: { fanId: string }) => connection.fanId).sort(),
		).toEqual(
			fans
				.filter((fan) => fan.platform === 'spotify')
				.map((fan) => fan.fanId)
				.sort(),
		);
		expect(
			(await api.call('GET', '/v1/connections/expiring?withinDays=30')).body.connections,
		).toEqual([]);
	});
});
