/**
 * The release-day window on a virtual clock: platform latency and the pacer's spacing are
 * simulated timers, so what the window decides is read exactly, with no timing involved.
 */
import { AdaptiveConcurrency } from '../../hub/src/core/streaming/adaptive-concurrency';

class VirtualClock {
	nowMs = 0;
	private timers: { atMs: number; wake: () => void }[] = [];

	readonly now = () => this.nowMs;

	sleep(ms: number): Promise<void> {
		return new Promise((wake) => this.timers.push({ atMs: this.nowMs + ms, wake }));
	}

	/** Runs every timer in time order until nothing is left to wake. */
	async runUntilIdle(): Promise<void> {
		for (;;) {
			await new Promise((resolve) => setImmediate(resolve));
			if (this.timers.length === 0) return;
			this.timers.sort((a, b) => a.atMs - b.atMs);
			const next = this.timers.shift() as { atMs: number; wake: () => void };
			this.nowMs = Math.max(this.nowMs, next.atMs);
			next.wake();
		}
	}
}

/** A pacer spacing calls 1/rate apart, as the platform's budget does. */
function pacer(clock: VirtualClock, requestsPerSecond: number): () => Promise<void> {
	let nextSlotMs = 0;
	return async () => {
		const slot = Math.max(clock.nowMs, nextSlotMs);
		nextSlotMs = slot + 1000 / requestsPerSecond;
		if (slot > clock.nowMs) await clock.sleep(slot - clock.nowMs);
	};
}

async function convert(options: {
	requestsPerSecond: number;
	latencyMs: number;
	saves: number;
	/** What the hub's machine manages, below the platform's budget: a call's own work queues for it. */
	machinePerSecond?: number;
}): Promise<{
	perSecond: number;
	peakInFlight: number;
	limit: number;
	sentBeforeFirstAnswer: number;
}> {
	const clock = new VirtualClock();
	const paced = pacer(clock, options.requestsPerSecond);
	const machine = pacer(clock, options.machinePerSecond ?? Infinity);
	const window = new AdaptiveConcurrency({
		requestsPerSecond: options.requestsPerSecond,
		now: clock.now,
		sleep: (ms) => clock.sleep(ms),
	});
	let inFlight = 0;
	let peakInFlight = 0;
	let sentBeforeFirstAnswer = 0;
	let answered = false;
	const producer = (async () => {
		for (let index = 0; index < options.saves; index++) {
			await window.start(async () => {
				peakInFlight = Math.max(peakInFlight, ++inFlight);
				await machine();
				await paced();
				if (!answered) sentBeforeFirstAnswer++;
				await clock.sleep(options.latencyMs);
				answered = true;
				inFlight--;
			});
		}
		await window.idle();
	})();
	await clock.runUntilIdle();
	await producer;
	return {
		perSecond: (options.saves * 1000) / clock.nowMs,
		peakInFlight,
		limit: window.currentLimit,
		sentBeforeFirstAnswer,
	};
}

describe('release-day concurrency', () => {
	it.each([50, 100, 300])(
		'spends the whole budget when the platform answers in %i ms',
		async (latencyMs) => {
			const run = await convert({ requestsPerSecond: 200, latencyMs, saves: 6_000 });

			expect(run.perSecond).toBeGreaterThanOrEqual(200 * 0.95);
			expect(run.limit).toBeGreaterThanOrEqual(Math.ceil((200 * latencyMs) / 1000));
		},
	);

	it('spends the budget during the first round trip, before any answer says how slow the platform is', async () => {
		const run = await convert({ requestsPerSecond: 200, latencyMs: 300, saves: 1_000 });

		// 300 ms of a 200/s budget is 60 calls; the first goes at 0 ms and is answered at 300.
		expect(run.sentBeforeFirstAnswer).toBeGreaterThanOrEqual(60 * 0.95);
	});

	it('never keeps more than a second of the budget in flight, however slow the platform', async () => {
		const run = await convert({ requestsPerSecond: 50, latencyMs: 3_000, saves: 500 });

		expect(run.peakInFlight).toBe(50);
		expect(run.limit).toBe(50);
	});

	it('undoes a growth that brings nothing when the machine, not the platform, is the limit', async () => {
		const run = await convert({
			requestsPerSecond: 1_000,
			latencyMs: 0,
			saves: 4_000,
			machinePerSecond: 200,
		});

		expect(run.perSecond).toBeGreaterThanOrEqual(200 * 0.95);
		expect(run.limit).toBeLessThanOrEqual(8);
	});

	it('stays small when the platform answers at once and the budget is what limits', async () => {
		const run = await convert({ requestsPerSecond: 200, latencyMs: 0, saves: 2_000 });

		expect(run.perSecond).toBeGreaterThanOrEqual(200 * 0.95);
		expect(run.limit).toBeLessThanOrEqual(8);
	});
});
