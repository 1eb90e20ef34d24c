import type { Logger } from '../logger';
import { PollingLoop } from '../polling-loop';
import type { SqlStore } from '../../store/sql-store';
import { InsightsAggregates } from './aggregates';

/** How often marked fans are looked for when none were left at the last look. */
const EVERY_MS = 5_000;

/**
 * Folds the fans ledger writes marked into the kept insights figures in the background, a
 * batch at a time, so a report read after release day (tens of thousands of fans changed)
 * finds the figures nearly in step instead of folding all of them while the marketer waits.
 * A report still folds what is left, so it never shows figures behind a committed write.
 */
export class InsightsFolding extends PollingLoop {
	private readonly aggregates: InsightsAggregates;

	constructor(store: SqlStore, logger: Logger) {
		super('insights folding', EVERY_MS, logger);
		this.aggregates = new InsightsAggregates(store);
	}

	protected async pass(): Promise<boolean> {
		return (await this.aggregates.foldSome()) > 0;
	}
}
