import { Pool, types, type PoolClient } from 'pg';
import { HubError } from '../core/errors';
import type { SqlDialect, SqlExecutor, SqlStore, SqlValue } from './sql-store';

const DIALECT: SqlDialect = {
	name: 'postgres',
	claimRowsSuffix: ' FOR UPDATE SKIP LOCKED',
	sharedByProcesses: true,
	nowMsSql: `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`,
	rowidTables: false,
	// Autovacuum analyzes too, but only once enough rows changed: this covers a fresh schema and
	// big jobs. Only the hub's own schema: a bare ANALYZE would walk every schema of the database.
	refreshStatisticsSql: `DO $$ DECLARE t record; BEGIN
		FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
			EXECUTE format('ANALYZE %I', t.tablename);
		END LOOP;
	END $$`,
};
const INT8_OID = 20;
// Any constant both processes agree on; it names the lock that serialises migrations.
const MIGRATION_LOCK_KEY = 4_651_207;

/** Epoch milliseconds are BIGINT; they fit a JS number, so read them as one. */
const parseTypes = {
	getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
		oid === INT8_OID ? Number : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};

function executor(client: Pool | PoolClient): SqlExecutor {
	return {
		all: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
			(await client.query(sql, params as SqlValue[])).rows as Row[],
		get: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
			(await client.query(sql, params as SqlValue[])).rows[0] as Row | undefined,
		run: async (sql: string, params: readonly SqlValue[] = []) => ({
			changes: (await client.query(sql, params as SqlValue[])).rowCount ?? 0,
		}),
	};
}

/** Where the URL points, without its password: safe for an error message or a log. */
export function describeDatabaseUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
	} catch {
		return 'an unparseable FANLOOP_DATABASE_URL';
	}
}

export class PostgresStore implements SqlStore {
	readonly dialect = DIALECT;
	private readonly pool: Pool;
	private readonly pooled: SqlExecutor;

	private constructor(pool: Pool) {
		this.pool = pool;
		this.pooled = executor(pool);
	}

	/** Connects once up front so a wrong URL fails at start with a message that says where. */
	static async connect(url: string, maxConnections = 10): Promise<PostgresStore> {
		const pool = new Pool({
			connectionString: url,
			max: maxConnections,
			// Statements a caller issues together (Promise.all) go out together, and a transaction's
			// BEGIN travels with its first statement: a round trip each would otherwise bound how
			// fast a write that checks, inserts and queues its event can go.
			pipeline: true,
			connectionTimeoutMillis: 5000,
			types: parseTypes,
		});
		// An idle client losing its server must not crash the hub; the next query reconnects.
		pool.on('error', () => undefined);
		try {
			await pool.query('SELECT 1');
		} catch (error) {
			await pool.end().catch(() => undefined);
			const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
			throw new HubError(
				'database_unreachable',
				`Cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (${reason}). Check FANLOOP_DATABASE_URL and that the server is running.`,
			);
		}
		return new PostgresStore(pool);
	}

	all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
		return this.pooled.all<Row>(sql, params);
	}

	get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
		return this.pooled.get<Row>(sql, params);
	}

	run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
		return this.pooled.run(sql, params);
	}

	async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		try {
			const begun = client.query('BEGIN');
			// Its failure surfaces on the statements queued behind it, and again below.
			begun.catch(() => undefined);
			const result = await work(executor(client));
			await begun;
			await client.query('COMMIT');
			return result;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	}

	exclusive<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		return this.transaction(async (tx) => {
			await tx.run('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
			return work(tx);
		});
	}

	async close(): Promise<void> {
		await this.pool.end();
	}
}
