/** A second of the budget: more in flight than that would outrun the budget at any latency under a second. */
const MAX_BUDGET_IN_FLIGHT_S = 1;
/** The smallest window: a few calls overlap each one's own work in the hub. */
const MIN_LIMIT = 4;
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
	sleep?: (ms: number) => Promise<void>;
}

/**
 * How many calls to a rate-limited platform to keep in flight: enough to spend the whole
 * budget at the latency the platform shows (Little's law: in flight = rate × latency),
 * never more than a second of the budget. Work is started as soon as a call finishes
 * (a window, not batches waiting for their slowest member).
 *
 * Until the first call is answered, the platform's latency is at least the time since the
 * first call started, so the window opens as fast as the budget fills it: the first round
 * trip spends the budget instead of only measuring it (at 300 ms that round trip is 150
 * calls at 500/s, where a fixed start of 4 left it idle). The first answer sizes the window.
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
	private readonly sleep: (ms: number) => Promise<void>;
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
	/** When the first call started; undefined once one has been answered. */
	private firstStartedMs: number | undefined;
	private answered = false;

	constructor(options: AdaptiveConcurrencyOptions) {
		this.requestsPerSecond = options.requestsPerSecond;
		this.now = options.now ?? Date.now;
		this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
		this.cap = Math.max(1, Math.ceil(options.requestsPerSecond * MAX_BUDGET_IN_FLIGHT_S));
		this.limit = Math.min(this.cap, MIN_LIMIT);
		this.periodStartedMs = this.now();
	}

	/** Calls allowed in flight now. */
	get currentLimit(): number {
		if (this.firstStartedMs === undefined) return this.limit;
		return Math.max(this.limit, this.neededFor((this.now() - this.firstStartedMs) / 1000));
	}

	/**
	 * Waits for room in the window, starts `work` and resolves once it started, with
	 * `finished` settling when the work does. `work` handles its own failures.
	 */
	async start(work: () => Promise<void>): Promise<{ finished: Promise<void> }> {
		while (this.inFlight >= this.currentLimit) {
			const untilRoomMs = this.untilRoomBeforeFirstAnswerMs();
			if (untilRoomMs === undefined)
				await new Promise<void>((resolve) => this.waiting.push(resolve));
			else await this.sleep(untilRoomMs);
		}
		this.inFlight++;
		const startedMs = this.now();
		if (!this.answered) this.firstStartedMs ??= startedMs;
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

	/**
	 * Before the first answer, how long until the window has opened by one more call; undefined
	 * when only an answer makes room (the first came, or the window reached its cap).
	 */
	private untilRoomBeforeFirstAnswerMs(): number | undefined {
		if (this.firstStartedMs === undefined || this.inFlight >= this.cap) return undefined;
		const openAtMs =
			this.firstStartedMs + ((this.inFlight + 1) * 1000) / (this.requestsPerSecond * HEADROOM);
		return Math.max(1, Math.ceil(openAtMs - this.now()));
	}

	/** Calls in flight that spend the budget when each takes `latencyS`, within the cap. */
	private neededFor(latencyS: number): number {
		return Math.min(this.cap, Math.ceil(this.requestsPerSecond * latencyS * HEADROOM));
	}

	private observe(latencyMs: number): void {
		if (!this.answered) {
			// The first answer: the window keeps what it opened to, and measures from here.
			this.limit = this.currentLimit;
			this.answered = true;
			this.firstStartedMs = undefined;
			this.periodStartedMs = this.now();
			return;
		}
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
		const needed = this.neededFor(averageLatencyS);
		if (needed <= this.limit) return;
		this.growth = { fromLimit: this.limit, fromPerSecond: perSecond };
		this.limit = needed;
	}
}
