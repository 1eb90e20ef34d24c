import { setTimeout as sleep } from 'node:timers/promises';

/**
 * At most `limit` requests in any rolling `windowMs`, as the platform counts them on
 * arrival. Neither the planned nor the start time of a request is its arrival time (timers
 * fire late, connections take a while to open), so a request holds its place from when it
 * starts until `windowMs` after its answer came back: its arrival lies somewhere between.
 */
export class RollingBudget {
	private inFlight = 0;
	/** When each answered request's place frees up, oldest first. */
	private readonly freesAtMs: number[] = [];
	/** Waiters take turns, first come first served, so a crowd does not wake up together for each free place. */
	private queue: Promise<void> = Promise.resolve();
	private answered: () => void = () => {};
	/** Nobody starts before this: the platform asked to wait (Retry-After). */
	private resumeAtMs = 0;

	constructor(
		private readonly limit: number,
		private readonly windowMs: number,
	) {}

	/** Resolves when one more request fits; call the returned function once it is answered (or failed). */
	async take(): Promise<() => void> {
		const turn = this.queue.then(() => this.waitForRoom());
		this.queue = turn;
		await turn;
		let done = false;
		return () => {
			if (done) return;
			done = true;
			this.inFlight -= 1;
			this.freesAtMs.push(Date.now() + this.windowMs);
			this.answered();
		};
	}

	/** The platform answered 429: nobody starts before `retryAfterMs` has passed. */
	pauseFor(retryAfterMs: number): void {
		this.resumeAtMs = Math.max(this.resumeAtMs, Date.now() + retryAfterMs);
	}

	private async waitForRoom(): Promise<void> {
		for (;;) {
			const nowMs = Date.now();
			if (this.resumeAtMs > nowMs) {
				await sleep(this.resumeAtMs - nowMs);
				continue;
			}
			while (this.freesAtMs.length > 0 && this.freesAtMs[0] <= nowMs) this.freesAtMs.shift();
			if (this.inFlight + this.freesAtMs.length < this.limit) {
				this.inFlight += 1;
				return;
			}
			const answered = new Promise<void>((resolve) => (this.answered = resolve));
			await Promise.race(
				this.freesAtMs.length > 0 ? [answered, sleep(this.freesAtMs[0] - nowMs)] : [answered],
			);
		}
	}
}
