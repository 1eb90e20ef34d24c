/**
 * The structural port the ledger needs from a database. SQL is written once with
 * PostgreSQL-style `$1` placeholders; each adapter maps them to its driver.
 * Differences between the databases are capabilities here, never `if (sqlite)` in
 * the ledger.
 */
export type SqlValue = string | number | null;

export interface SqlExecutor {
	all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
	get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
	run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDialect {
	readonly name: 'sqlite' | 'postgres';
	/** Appended to a SELECT that claims rows several hub processes may race for. */
	readonly claimRowsSuffix: string;
	/** Brings the query planner's table statistics up to date where they are stale or missing. */
	readonly refreshStatisticsSql: string;
	/**
	 * Several hub processes may share this database (PostgreSQL), so budgets live in it and
	 * long work splits into pieces every process can claim; false where one process owns it (SQLite).
	 */
	readonly sharedByProcesses: boolean;
	/** The database's clock in epoch milliseconds, as an SQL expression: one clock for every process. */
	readonly nowMsSql: string;
	/**
	 * A table keyed by anything but an integer also keeps a hidden rowid B-tree beside its
	 * key's index (SQLite), so each insert writes both unless the table is declared
	 * WITHOUT ROWID; false where the key's index is all there is besides the heap (PostgreSQL).
	 */
	readonly rowidTables: boolean;
}

export interface SqlStore extends SqlExecutor {
	readonly dialect: SqlDialect;
	/**
	 * Runs `work` in one transaction; commits when it resolves, rolls back when it throws.
	 * `tx` runs statements in the order they were issued, also those issued together
	 * (Promise.all): PostgreSQL then gets them in one round trip, so independent reads
	 * and writes should be issued together.
	 */
	transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
	/** Runs `work` in a transaction that holds the migration lock, so concurrent starts migrate once. */
	exclusive<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}
