import { join } from 'node:path';
import { PostgresStore } from './postgres-store';
import type { SqlStore } from './sql-store';
import { SqliteStore } from './sqlite-store';

export interface StoreLocation {
	/** The SQLite ledger lives here unless `databaseUrl` names a PostgreSQL database. */
	dataDir?: string;
	databaseUrl?: string;
}

export function openStore(location: StoreLocation): Promise<SqlStore> {
	return location.databaseUrl
		? PostgresStore.connect(location.databaseUrl)
		: Promise.resolve(new SqliteStore(join(location.dataDir ?? '.fanloop/hub', 'ledger.sqlite')));
}
