import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqlDialect, SqlExecutor, SqlStore, SqlValue } from './sql-store';

const DIALECT: SqlDialect = { name: 'sqlite', claimRowsSuffix: '' };
const BUSY_TIMEOUT_MS = 5000;

/** `$1` → `?1`: SQLite's numbered parameters bind positionally, as PostgreSQL's do. */
function toSqlite(sql: string): string {
	return sql.replace(/\$(\d+)/g, '?$1');
}

/**
 * node:sqlite is synchronous and a connection has one transaction at a time, so
 * every statement and transaction of this process goes through one queue. Other
 * processes sharing the file wait on SQLite's own lock (WAL, busy timeout).
 */
export class SqliteStore implements SqlStore {
	readonly dialect = DIALECT;
	private readonly db: DatabaseSync;
	private readonly statements = new Map<string, StatementSync>();
	private queue: Promise<unknown> = Promise.resolve();
	private readonly direct: SqlExecutor;

	constructor(path: string) {
		if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
		this.db = new DatabaseSync(path);
		this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
		this.db.exec('PRAGMA journal_mode = WAL');
		this.db.exec('PRAGMA synchronous = NORMAL');
		this.db.exec('PRAGMA foreign_keys = ON');
		this.direct = {
			all: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
				this.statement(sql).all(...params) as Row[],
			get: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
				this.statement(sql).get(...params) as Row | undefined,
			run: async (sql: string, params: readonly SqlValue[] = []) => ({
				changes: Number(this.statement(sql).run(...params).changes),
			}),
		};
	}

	all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
		return this.serialized(() => this.direct.all<Row>(sql, params));
	}

	get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
		return this.serialized(() => this.direct.get<Row>(sql, params));
	}

	run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
		return this.serialized(() => this.direct.run(sql, params));
	}

	transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		return this.serialized(async () => {
			// IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read.
			this.db.exec('BEGIN IMMEDIATE');
			try {
				const result = await work(this.direct);
				this.db.exec('COMMIT');
				return result;
			} catch (error) {
				this.db.exec('ROLLBACK');
				throw error;
			}
		});
	}

	exclusive<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		return this.transaction(work);
	}

	async close(): Promise<void> {
		await this.queue.catch(() => undefined);
		this.statements.clear();
		if (this.db.isOpen) this.db.close();
	}

	private statement(sql: string): StatementSync {
		let statement = this.statements.get(sql);
		if (!statement) {
			statement = this.db.prepare(toSqlite(sql));
			this.statements.set(sql, statement);
		}
		return statement;
	}

	private serialized<T>(work: () => Promise<T>): Promise<T> {
		const result = this.queue.then(work);
		this.queue = result.catch(() => undefined);
		return result;
	}
}
