/**
 * A rolling-window request budget, as providers enforce it: at most `limit` requests
 * in any `windowMs`. `take` answers how long to wait when the budget is spent.
 */
export class RateWindow {
	private readonly stamps: number[] = [];

	constructor(
		private readonly limit: number,
		private readonly windowMs: number,
	) {}

	/** Records the request and returns 0, or returns the milliseconds until one fits without recording it. */
	take(nowMs: number): number {
		const waitMs = this.waitMs(nowMs);
		if (waitMs === 0) this.stamps.push(nowMs);
		return waitMs;
	}

	/** The milliseconds until a request fits (0 when it fits now), recording nothing: for budgets checked together. */
	waitMs(nowMs: number): number {
		while (this.stamps.length > 0 && this.stamps[0] <= nowMs - this.windowMs) this.stamps.shift();
		return this.stamps.length >= this.limit ? this.stamps[0] + this.windowMs - nowMs : 0;
	}
}
