import { randomBytes } from 'node:crypto';
import { Ledger } from '../../hub/src/core/ledger';
import { openStore } from '../../hub/src/store/open-store';
import type { TestDatabase } from './stores';

export function newSealingKey(): Buffer {
	return randomBytes(32);
}

/** A ledger over the suite's database; a test clock lets a test move time. */
export async function openLedger(
	database: TestDatabase,
	sealingKey: Buffer,
	clock: () => number = Date.now,
): Promise<Ledger> {
	const store = await openStore(database);
	try {
		return await Ledger.open({ store, sealingKey, clock });
	} catch (error) {
		await store.close();
		throw error;
	}
}
