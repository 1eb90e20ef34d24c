import { EVENT_ID_PREFIX } from './events';
import { idsMadeFrom } from './ids';
import type { Logger } from './logger';
import { PollingLoop } from './polling-loop';
import type { SqlStore } from '../store/sql-store';

export interface UpkeepOptions {
	/** Events older than this are dropped once every delivery of theirs is settled (delivered or failed). */
	eventRetentionMs?: number;
	/** How often the store is tidied. */
	everyMs?: number;
}

const DEFAULTS: Required<UpkeepOptions> = {
	eventRetentionMs: 30 * 24 * 3_600_000,
	everyMs: 3_600_000,
};

/** Rows dropped per statement: SQLite runs on the event loop, so a large purge goes in short steps. */
const PURGE_STEP = 1_000;

/**
 * The store's housekeeping, once at start and then every `everyMs`: drops old settled
 * events and their deliveries (the outbox would otherwise grow with every action ever
 * recorded), then brings the planner's statistics up to date, so queries keep the plans
 * they were written for as tables grow from a few rows to millions.
 */
export class StoreUpkeep extends PollingLoop {
	private readonly options: Required<UpkeepOptions>;

	constructor(
		private readonly store: SqlStore,
		logger: Logger,
		private readonly clock: () => number = Date.now,
		options: UpkeepOptions = {},
	) {
		const settings = { ...DEFAULTS, ...options };
		super('store upkeep', settings.everyMs, logger);
		this.options = settings;
	}

	protected async pass(): Promise<boolean> {
		await this.purgeSettledEvents();
		await this.refreshStatistics();
		return false;
	}

	/** Drops settled events older than the retention; returns how many events went. */
	async purgeSettledEvents(): Promise<number> {
		// Events below this id bound are older than the retention (ids.ts): read off the primary
		// key, in creation order, without an index of their age. One made after the clock stepped
		// back carries the later time, and stays until that is past the retention too.
		const before = idsMadeFrom(EVENT_ID_PREFIX, this.clock() - this.options.eventRetentionMs);
		let purged = 0;
		for (;;) {
			const { changes } = await this.store.transaction(async (tx) => {
				const old = `SELECT id FROM outbox WHERE id < $1
					AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = outbox.id AND d.status = 'pending')
					ORDER BY id LIMIT $2`;
				await tx.run(`DELETE FROM deliveries WHERE event_id IN (${old})`, [before, PURGE_STEP]);
				return tx.run(`DELETE FROM outbox WHERE id IN (${old})`, [before, PURGE_STEP]);
			});
			purged += changes;
			if (changes < PURGE_STEP) return purged;
		}
	}

	async refreshStatistics(): Promise<void> {
		await this.store.run(this.store.dialect.refreshStatisticsSql);
	}
}
