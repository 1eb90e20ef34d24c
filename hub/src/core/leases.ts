import { newId } from './ids';
import type { Logger } from './logger';
import type { SqlStore } from '../store/sql-store';

/**
 * What only one hub process may run at a time under a name (a bot's gateway connection, its
 * Telegram poller): started by whichever process holds the name's lease.
 */
export interface LeasedWork {
	/** This process holds the lease now: connect. A throw gives the lease back, to be tried again later. */
	start(): Promise<void>;
	/** This process no longer holds the lease (a renewal failed, or it is stopping): disconnect. */
	stop(): Promise<void>;
}

export interface HeldLease {
	/** Stops trying, stops the work if it runs, and gives the lease back so another process takes over now. */
	release(): Promise<void>;
}

export interface Leases {
	/**
	 * Runs `work` while this process holds `name`. Resolves after the first try, once the work it
	 * started is up (rethrowing what that start threw); keeps trying in the background until released.
	 */
	hold(name: string, work: LeasedWork): Promise<HeldLease>;
}

export interface LeaseOptions {
	/** How long a lease lives unrenewed: a process that died is taken over within about this long. */
	leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 15_000;

/** Where one process owns the store (SQLite), it holds every lease: the work starts at once. */
class ProcessLeases implements Leases {
	async hold(_name: string, work: LeasedWork): Promise<HeldLease> {
		await work.start();
		return { release: () => work.stop() };
	}
}

/**
 * Leases as rows (`leases`: name, holder, expiry by the database's clock) that several hub
 * processes race for. A row rather than a session advisory lock: an advisory lock lives on one
 * connection, which a pooler in transaction mode does not keep, and a holder cut off from the
 * database by the network keeps it until TCP gives up (minutes to hours), while an expiry bounds
 * the takeover by the lease time whatever happened to the holder.
 */
class DatabaseLeases implements Leases {
	/** One holder id per process: a lease is this process's, whichever of its parts asked. */
	private readonly holderId = newId('holder');

	constructor(
		private readonly store: SqlStore,
		private readonly logger: Logger,
		private readonly leaseMs: number,
	) {}

	async hold(name: string, work: LeasedWork): Promise<HeldLease> {
		const lease = new DatabaseLease(
			this.store,
			this.logger,
			name,
			this.holderId,
			this.leaseMs,
			work,
		);
		await lease.begin();
		return lease;
	}
}

/** How many times per lease it is renewed (and a free one looked for): a missed renewal is not a loss. */
const TRIES_PER_LEASE = 3;

class DatabaseLease implements HeldLease {
	private readonly intervalMs: number;
	private held = false;
	/** `performance.now()` of the last renewal the database confirmed. */
	private renewedAtMs = 0;
	/** Whether "held elsewhere" was logged since this process last held it: one line per wait, not per try. */
	private toldWaiting = false;
	private timer: NodeJS.Timeout | undefined;
	private running: Promise<void> = Promise.resolve();
	private released = false;

	constructor(
		private readonly store: SqlStore,
		private readonly logger: Logger,
		private readonly name: string,
		private readonly holderId: string,
		private readonly leaseMs: number,
		private readonly work: LeasedWork,
	) {
		this.intervalMs = Math.floor(leaseMs / TRIES_PER_LEASE);
	}

	async begin(): Promise<void> {
		try {
			if (await this.take()) await this.startWork();
		} catch (error) {
			await this.release();
			throw error;
		}
		this.schedule();
	}

	async release(): Promise<void> {
		this.released = true;
		clearTimeout(this.timer);
		await this.running;
		if (!this.held) return;
		this.held = false;
		await this.work.stop();
		await this.giveBack();
		this.logger.info('lease given back', { lease: this.name });
	}

	private schedule(): void {
		if (this.released) return;
		this.timer = setTimeout(() => {
			this.running = this.tick().finally(() => this.schedule());
		}, this.intervalMs);
		this.timer.unref();
	}

	private async tick(): Promise<void> {
		if (this.held) return this.renew();
		try {
			if (await this.take()) await this.startWork();
		} catch (error) {
			this.logger.warn('leased work not started', {
				lease: this.name,
				error: (error as Error).message,
			});
		}
	}

	/** Takes the lease when it is free or expired (or already this process's); true when held now. */
	private async take(): Promise<boolean> {
		const now = this.store.dialect.nowMsSql;
		const taken = await this.store.run(
			`INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, ${now} + $3)
			 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			 WHERE leases.holder = excluded.holder OR leases.expires_at <= ${now}`,
			[this.name, this.holderId, this.leaseMs],
		);
		if (taken.changes === 0 && !this.toldWaiting) {
			this.toldWaiting = true;
			this.logger.info('lease held by another process', { lease: this.name });
		}
		return taken.changes > 0;
	}

	private async startWork(): Promise<void> {
		this.held = true;
		this.renewedAtMs = performance.now();
		this.toldWaiting = false;
		this.logger.info('lease taken', { lease: this.name });
		try {
			await this.work.start();
		} catch (error) {
			this.held = false;
			await this.giveBack().catch(() => undefined);
			throw error;
		}
	}

	private giveBack(): Promise<unknown> {
		return this.store.run('DELETE FROM leases WHERE name = $1 AND holder = $2', [
			this.name,
			this.holderId,
		]);
	}

	private async renew(): Promise<void> {
		try {
			const renewed = await withinMs(
				this.store.run(
					`UPDATE leases SET expires_at = ${this.store.dialect.nowMsSql} + $3 WHERE name = $1 AND holder = $2`,
					[this.name, this.holderId, this.leaseMs],
				),
				this.intervalMs,
			);
			if (renewed.changes > 0) {
				this.renewedAtMs = performance.now();
				return;
			}
			// Another process took it: the lease ran out while this one could not renew it.
			await this.lose('taken by another process');
		} catch (error) {
			// The database is out of reach: the lease may lapse before the next try, and another process
			// take it; the work stops while there is still time, rather than run twice.
			if (performance.now() - this.renewedAtMs + this.intervalMs >= this.leaseMs) {
				await this.lose((error as Error).message);
			} else {
				this.logger.warn('lease not renewed', {
					lease: this.name,
					error: (error as Error).message,
				});
			}
		}
	}

	private async lose(reason: string): Promise<void> {
		this.held = false;
		this.logger.warn('lease lost', { lease: this.name, reason });
		await this.work.stop().catch((error: unknown) =>
			this.logger.error('leased work not stopped', {
				lease: this.name,
				error: (error as Error).message,
			}),
		);
	}
}

/** `promise`, or a rejection once `ms` have passed: a renewal stuck on a dead connection is a failed one. */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The leases for this store: in the database where several hub processes share it, in the process where one owns it. */
export function leasesFor(store: SqlStore, logger: Logger, options: LeaseOptions = {}): Leases {
	return store.dialect.sharedByProcesses
		? new DatabaseLeases(store, logger, options.leaseMs ?? DEFAULT_LEASE_MS)
		: new ProcessLeases();
}
