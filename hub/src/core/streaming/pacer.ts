/**
 * Spaces requests to one platform so the app stays inside its budget, and holds
 * everyone back when the platform says to (Retry-After): one pacer per platform per
 * hub process, shared by every job and request that calls it.
 */
export class RatePacer {
	private nextSlotMs = 0;
	private readonly intervalMs: number;

	constructor(
		requestsPerSecond: number,
		private readonly now: () => number = Date.now,
		private readonly sleep: (ms: number) => Promise<void> = (ms) =>
			new Promise((resolve) => setTimeout(resolve, ms)),
	) {
		this.intervalMs = 1000 / requestsPerSecond;
	}

	/** Resolves when this caller may send its request. */
	async take(): Promise<void> {
		const now = this.now();
		const slot = Math.max(now, this.nextSlotMs);
		this.nextSlotMs = slot + this.intervalMs;
		if (slot > now) await this.sleep(slot - now);
	}

	/** The platform answered 429: nobody sends before `retryAfterMs` has passed. */
	pauseFor(retryAfterMs: number): void {
		this.nextSlotMs = Math.max(this.nextSlotMs, this.now() + retryAfterMs);
	}
}
