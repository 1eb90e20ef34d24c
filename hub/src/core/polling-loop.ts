import type { Logger } from './logger';

/**
 * A background worker that runs `pass` over and over: again at once while it reports
 * more work, otherwise after `pollMs` or as soon as `wake()` is called. Every durable
 * queue in the hub (event delivery, jobs) is one.
 */
export abstract class PollingLoop {
	private running = false;
	private loop: Promise<void> | undefined;
	private woken = false;
	private wakeUp: (() => void) | undefined;

	protected constructor(
		private readonly name: string,
		private readonly pollMs: number,
		protected readonly logger: Logger,
	) {}

	/** One pass over due work; true when there may be more right away. */
	protected abstract pass(): Promise<boolean>;

	start(): void {
		if (this.running) return;
		this.running = true;
		this.loop = this.run();
	}

	/** Something was queued: look now rather than at the next poll. */
	wake(): void {
		this.woken = true;
		this.wakeUp?.();
	}

	async stop(): Promise<void> {
		this.running = false;
		this.wake();
		await this.loop;
	}

	private async run(): Promise<void> {
		while (this.running) {
			let more = false;
			try {
				more = await this.pass();
			} catch (error) {
				this.logger.error(`${this.name} pass failed`, { error: (error as Error).message });
			}
			if (!more) await this.idle();
		}
	}

	private idle(): Promise<void> {
		if (this.woken || !this.running) {
			this.woken = false;
			return Promise.resolve();
		}
		return new Promise((resolve) => {
			const timer = setTimeout(() => this.wakeUp?.(), this.pollMs);
			this.wakeUp = () => {
				clearTimeout(timer);
				this.wakeUp = undefined;
				this.woken = false;
				resolve();
			};
		});
	}
}
