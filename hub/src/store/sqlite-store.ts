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
/**
 * How many transactions, and for how long, one commit may carry: enough that a burst of
 * bot updates shares its commits, few enough that the first of them is not held long.
 */
const MAX_GROUP_TRANSACTIONS = 64;
const MAX_GROUP_MS = 20;

/** A transaction waiting in (or running as part of) a group that commits once. */
interface GroupMember {
	work: (tx: SqlExecutor) => Promise<unknown>;
	resolve: (result: unknown) => void;
	reject: (error: unknown) => void;
}

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
 *
 * Transactions queued one after another share a commit (group commit): each runs in
 * its own savepoint, so one that throws rolls back alone, and each resolves only once
 * the commit carrying it is done. A commit writes every page it touched to the WAL and
 * now and then checkpoints with an fsync, which blocks the event loop: one per /start
 * was the largest single cost of the Telegram bot (bench/community).
 */
export class SqliteStore implements SqlStore {
	readonly dialect = DIALECT;
	private readonly db: DatabaseSync;
	private readonly statements = new Map<string, StatementSync>();
	private queue: Promise<unknown> = Promise.resolve();
	private readonly direct: SqlExecutor;
	/** The group a new transaction may still join; closed once anything else queues behind it, so order holds. */
	private openGroup: GroupMember[] | undefined;

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
		return new Promise<T>((resolve, reject) => {
			const member: GroupMember = { work, resolve: resolve as (result: unknown) => void, reject };
			if (this.openGroup && this.openGroup.length < MAX_GROUP_TRANSACTIONS) {
				this.openGroup.push(member);
				return;
			}
			const group = [member];
			void this.serialized(() => this.commitGroup(group));
			this.openGroup = group;
		});
	}

	private async commitGroup(group: GroupMember[]): Promise<void> {
		const done: { member: GroupMember; result: unknown }[] = [];
		const startedMs = Date.now();
		let next = 0;
		// SQLite journals the first change to each page in a savepoint; a /start changes ~20, past the
		// 64 KiB it keeps in memory, and on disk that is a write per page (desk.start: about 230 µs of
		// CPU instead of 90). Set before BEGIN, which reads it, and only for the group: in memory,
		// the b-trees and sorts of a large GROUP BY or ORDER BY would never spill to disk either.
		this.db.exec('PRAGMA temp_store = MEMORY');
		try {
			// IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a read.
			await retryWhileBusy(() => this.db.exec('BEGIN IMMEDIATE'));
			// Members may join while earlier ones run, until the group closes.
			for (; next < group.length; next++) {
				if (Date.now() - startedMs >= MAX_GROUP_MS) this.closeGroup(group);
				const member = group[next];
				this.db.exec('SAVEPOINT member');
				let result: unknown;
				try {
					result = await member.work(this.direct);
				} catch (error) {
					member.reject(error);
					if (this.db.isTransaction) {
						this.db.exec('ROLLBACK TO member');
						this.db.exec('RELEASE member');
						continue;
					}
					// SQLite rolled the whole transaction back (I/O error, full disk): the earlier members' writes went with it.
					for (const earlier of done.splice(0)) earlier.member.reject(error);
					await retryWhileBusy(() => this.db.exec('BEGIN IMMEDIATE'));
					continue;
				}
				this.db.exec('RELEASE member');
				done.push({ member, result });
			}
			this.closeGroup(group);
			this.db.exec('COMMIT');
		} catch (error) {
			// Settled members ignore a second verdict; the rest share this one.
			this.closeGroup(group);
			for (const member of group.slice(next)) member.reject(error);
			for (const { member } of done) member.reject(error);
			if (this.db.isTransaction) this.db.exec('ROLLBACK');
			return;
		} finally {
			this.db.exec('PRAGMA temp_store = DEFAULT');
		}
		for (const { member, result } of done) member.resolve(result);
	}

	/** No later transaction joins `group`. */
	private closeGroup(group: GroupMember[]): void {
		if (this.openGroup === group) this.openGroup = undefined;
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
		this.openGroup = undefined;
		const result = this.queue.then(work);
		this.queue = result.catch(() => undefined);
		return result;
	}
}
