/** A second of the budget: more in flight than that would outrun the budget at any latency under a second. */
const MAX_BUDGET_IN_FLIGHT_S = 1;
/** Where the window starts before it has seen a single call finish. */
const INITIAL_LIMIT = 4;
/** Extra room over rate × latency, so jitter in the platform's answers does not leave the budget idle. */
const HEADROOM = 1.25;
/** Throughput under this share of the rate means the window, not the pacer, is what holds the work back. */
const BUDGET_SPENT = 0.95;
/** A measurement period lasts at least this long, so a few fast answers do not decide the window alone. */
const MIN_PERIOD_MS = 100;
/** A larger window must bring at least this much more throughput to be kept. */
const GROWTH_THAT_PAYS = 1.1;
/** After a larger window brought nothing, how long the window stays put before it tries again. */
const HOLD_AFTER_FUTILE_GROWTH_MS = 5_000;

export interface AdaptiveConcurrencyOptions {
	/** The platform's budget: what its pacer lets through per second. */
	requestsPerSecond: number;
	now?: () => number;
}

/**
 * How many calls to a rate-limited platform to keep in flight: enough to spend the whole
 * budget at the latency the platform shows (Little's law: in flight = rate × latency),
 * never more than a second of the budget. Work is started as soon as a call finishes
 * (a window, not batches waiting for their slowest member).
 *
 * The window grows only while the calls finish slower than the budget allows: then no
 * call waits in the pacer, so the time a call takes is the platform's own latency. Once
 * the budget is spent it holds, because a call's time then includes its wait in the
 * pacer, and sizing on that would feed the queue back into itself. Where the machine,
 * not the platform, is the limit (a busy CPU, the database), a call's time grows with the
 * window too: a growth that does not raise throughput is undone, and the window waits a
 * while before it tries again. The cap of a second of budget bounds all of it.
 */
export class AdaptiveConcurrency {
	private readonly cap: number;
	private readonly now: () => number;
	private readonly requestsPerSecond: number;
	private limit: number;
	private inFlight = 0;
	private readonly waiting: Array<() => void> = [];
	private readonly running = new Set<Promise<void>>();
	private periodStartedMs: number;
	private periodFinished = 0;
	private periodBusyMs = 0;
	/** The window before its last growth, and the throughput it had, until the growth is judged. */
	private growth: { fromLimit: number; fromPerSecond: number } | undefined;
	private holdUntilMs = 0;

	constructor(options: AdaptiveConcurrencyOptions) {
		this.requestsPerSecond = options.requestsPerSecond;
		this.now = options.now ?? Date.now;
		this.cap = Math.max(1, Math.ceil(options.requestsPerSecond * MAX_BUDGET_IN_FLIGHT_S));
		this.limit = Math.min(this.cap, INITIAL_LIMIT);
		this.periodStartedMs = this.now();
	}

	/** Calls allowed in flight now. */
	get currentLimit(): number {
		return this.limit;
	}

	/**
	 * Waits for room in the window, starts `work` and resolves once it started, with
	 * `finished` settling when the work does. `work` handles its own failures.
	 */
	async start(work: () => Promise<void>): Promise<{ finished: Promise<void> }> {
		while (this.inFlight >= this.limit) {
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		}
		this.inFlight++;
		const startedMs = this.now();
		const finished = work().finally(() => {
			this.inFlight--;
			this.running.delete(finished);
			this.observe(this.now() - startedMs);
			this.wakeWaiting();
		});
		this.running.add(finished);
		return { finished };
	}

	/** Resolves once every started work has finished. */
	async idle(): Promise<void> {
		while (this.running.size > 0) await Promise.allSettled([...this.running]);
	}

	private wakeWaiting(): void {
		for (let room = this.limit - this.inFlight; room > 0 && this.waiting.length > 0; room--) {
			this.waiting.shift()?.();
		}
	}

	private observe(latencyMs: number): void {
		this.periodFinished++;
		this.periodBusyMs += latencyMs;
		const elapsedMs = this.now() - this.periodStartedMs;
		if (this.periodFinished < this.limit || elapsedMs < MIN_PERIOD_MS) return;
		const perSecond = (this.periodFinished * 1000) / elapsedMs;
		const averageLatencyS = this.periodBusyMs / this.periodFinished / 1000;
		this.resize(perSecond, averageLatencyS);
		this.periodStartedMs = this.now();
		this.periodFinished = 0;
		this.periodBusyMs = 0;
	}

	private resize(perSecond: number, averageLatencyS: number): void {
		const growth = this.growth;
		this.growth = undefined;
		if (growth && perSecond < growth.fromPerSecond * GROWTH_THAT_PAYS) {
			this.limit = growth.fromLimit;
			this.holdUntilMs = this.now() + HOLD_AFTER_FUTILE_GROWTH_MS;
			return;
		}
		if (perSecond >= this.requestsPerSecond * BUDGET_SPENT || this.now() < this.holdUntilMs) return;
		const needed = Math.min(
			this.cap,
			Math.ceil(this.requestsPerSecond * averageLatencyS * HEADROOM),
		);
		if (needed <= this.limit) return;
		this.growth = { fromLimit: this.limit, fromPerSecond: perSecond };
		this.limit = needed;
	}
}
