import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqlDialect, SqlExecutor, SqlStore, SqlValue } from './sql-store';

const DIALECT: SqlDialect = {
	name: 'sqlite',
	claimRowsSuffix: '',
	// 0x10002: analyze every table whose statistics are missing or stale, within SQLite's own analysis limit.
	refreshStatisticsSql: 'PRAGMA optimize=0x10002',
	sharedByProcesses: false,
	nowMsSql: `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`,
	rowidTables: true,
};
const BUSY_GIVE_UP_MS = 10_000;
const SQLITE_BUSY = 5;

function isBusy(error: unknown): boolean {
	return (error as { errcode?: number }).errcode === SQLITE_BUSY;
}

/**
 * SQLite's own busy timeout would block the event loop while another connection
 * holds the write lock, so a connection in this very process could never finish
 * and release it. Waiting here yields instead.
 */
async function retryWhileBusy<T>(work: () => T): Promise<T> {
	const deadline = Date.now() + BUSY_GIVE_UP_MS;
	for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 50)) {
		try {
			return work();
		} catch (error) {
			if (!isBusy(error) || Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, delayMs));
		}
	}
}

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
		this.db.exec('PRAGMA busy_timeout = 0');
		this.db.exec('PRAGMA journal_mode = WAL');
		this.db.exec('PRAGMA synchronous = NORMAL');
		this.db.exec('PRAGMA foreign_keys = ON');
		this.direct = {
			all: async (sql, params) => this.allNow(sql, params),
			get: async (sql, params) => this.getNow(sql, params),
			run: async (sql, params) => this.runNow(sql, params),
		};
	}

	all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
		return this.serialized(() => retryWhileBusy(() => this.allNow<Row>(sql, params)));
	}

	get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
		return this.serialized(() => retryWhileBusy(() => this.getNow<Row>(sql, params)));
	}

	run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
		return this.serialized(() => retryWhileBusy(() => this.runNow(sql, params)));
	}

	transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		return this.serialized(async () => {
			// IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a read.
			await retryWhileBusy(() => this.db.exec('BEGIN IMMEDIATE'));
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

	private allNow<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
		return this.statement(sql).all(...params) as Row[];
	}

	private getNow<Row>(sql: string, params: readonly SqlValue[] = []): Row | undefined {
		return this.statement(sql).get(...params) as Row | undefined;
	}

	private runNow(sql: string, params: readonly SqlValue[] = []): { changes: number } {
		return { changes: Number(this.statement(sql).run(...params).changes) };
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
