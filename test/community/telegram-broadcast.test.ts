import { SandboxClock } from '../../sandbox/src/core/clock';
import { eventually } from '../support/eventually';
import { STORE_KINDS } from '../support/stores';
import { TelegramHub } from './telegram-hub';

const FANS = 40;
const BLOCKED = 4;

describe.each(STORE_KINDS)('a Telegram DM broadcast to opted-in fans (%s)', (kind) => {
	let h: TelegramHub;

	afterEach(async () => {
		await h?.close();
	});

	/**
	 * Fans on record as opted in; the first BLOCKED never opened a chat with this bot (their
	 * opt-in came over with an import), so Telegram refuses the DM with 403 as for a block the
	 * bot never heard about.
	 */
	async function optedInFans(): Promise<number[]> {
		const desk = h.hub.services.community.desk;
		const ids: number[] = [];
		for (let i = 0; i < FANS; i++) {
			const user = h.telegram.createUser({ started: i >= BLOCKED });
			const joined = await desk.join({ platform: 'telegram', userId: String(user.id) });
			expect(joined.outcome).toBe('joined');
			ids.push(user.id);
		}
		return ids;
	}

	async function finished(
		jobId: string,
	): Promise<{ status: string; progress: Record<string, number> }> {
		return eventually(`job ${jobId} done`, async () => {
			const job = (await h.api.call('GET', `/v1/jobs/${jobId}`)).body;
			return job.status === 'done' || job.status === 'failed' ? job : undefined;
		});
	}

	it('messages each fan once per message key, records the fans who blocked the bot and skips them afterwards', async () => {
		h = await TelegramHub.start(kind);
		const fans = await optedInFans();
		const blocked = fans.slice(0, BLOCKED);
		const outsider = h.telegram.createUser({ started: true });

		const request = { platform: 'telegram', text: 'Halo is out now!', messageKey: 'halo-out-now' };
		const started = await h.api.call('POST', '/v1/community/broadcasts', request);
		expect(started.status).toBe(202);
		const again = await h.api.call('POST', '/v1/community/broadcasts', request);
		expect(again.body.jobId).toBe(started.body.jobId);

		const job = await finished(started.body.jobId);
		expect(job.status).toBe('done');
		expect(job.progress).toMatchObject({
			sent: FANS - BLOCKED,
			blocked: BLOCKED,
			failed: 0,
			waiting: 0,
			uncertain: 0,
		});
		for (const id of fans.slice(BLOCKED)) {
			expect(h.telegram.messages(id).map((message) => message.text)).toEqual(['Halo is out now!']);
		}
		expect(h.telegram.messages(outsider.id)).toEqual([]);

		const left = await eventually('a community.left event per blocked fan', () => {
			const events = h.events().filter((event) => event.type === 'community.left');
			return events.length >= BLOCKED ? events : undefined;
		});
		expect(
			left.every(
				(event) => event.data.community?.what === 'chat' && event.data.action?.status === 'failed',
			),
		).toBe(true);
		for (const id of blocked) {
			const fan = (await h.api.call('GET', `/v1/fans/by-identity?channel=telegram&value=${id}`))
				.body;
			const status = (await h.api.call('GET', `/v1/community/status?fanId=${fan.id}`)).body;
			expect(status.telegram.releaseUpdates).toBe(false);
		}

		const next = await h.api.call('POST', '/v1/community/broadcasts', {
			...request,
			messageKey: 'halo-video',
		});
		expect(next.body.jobId).not.toBe(started.body.jobId);
		expect((await finished(next.body.jobId)).progress).toMatchObject({
			sent: FANS - BLOCKED,
			blocked: 0,
		});
		expect(h.events().filter((event) => event.type === 'community.left')).toHaveLength(BLOCKED);
	});
});

describe('a Telegram DM broadcast under pressure', () => {
	let h: TelegramHub;

	afterEach(async () => {
		await h?.close();
	});

	it('waits out 429s and comes back for fans a passing failure skipped, still messaging each fan once', async () => {
		const clock = new SandboxClock();
		h = await TelegramHub.start('sqlite', { clock });
		const desk = h.hub.services.community.desk;
		const fans: number[] = [];
		for (let i = 0; i < 20; i++) {
			const user = h.telegram.createUser({ started: true });
			await desk.join({ platform: 'telegram', userId: String(user.id) });
			fans.push(user.id);
		}
		h.telegram.faults.set({ rateLimitRate: 0.2, retryAfterSeconds: 1, serverErrorRate: 0.3 }, 7);

		const started = await h.api.call('POST', '/v1/community/broadcasts', {
			platform: 'telegram',
			text: 'Listening party tonight',
			messageKey: 'party',
		});
		const firstPass = await eventually('a first pass', async () => {
			const job = (await h.api.call('GET', `/v1/jobs/${started.body.jobId}`)).body;
			return job.progress?.passes >= 1 && job.status !== 'running' ? job : undefined;
		});
		h.telegram.faults.clear();
		// Fans a passing failure skipped wait for the next pass, half a minute later.
		if (firstPass.status !== 'done') clock.advance(60_000);
		const job = await eventually('the broadcast done', async () => {
			const view = (await h.api.call('GET', `/v1/jobs/${started.body.jobId}`)).body;
			return view.status === 'done' ? view : undefined;
		});
		expect(job.progress).toMatchObject({ sent: 20, blocked: 0, failed: 0, waiting: 0 });
		expect(job.progress.passes).toBeGreaterThanOrEqual(2);
		for (const id of fans) expect(h.telegram.messages(id)).toHaveLength(1);
	});
});
