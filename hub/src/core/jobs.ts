import { HubError } from './errors';
import { newId } from './ids';
import { iso } from './model';
import type { Logger } from './logger';
import { PollingLoop } from './polling-loop';
import type { SqlExecutor, SqlStore, SqlValue } from '../store/sql-store';

export interface JobContext {
	id: string;
	/** Saves how far the job got, for `GET /v1/jobs/{id}` and for the job itself when it resumes. */
	reportProgress(progress: Record<string, unknown>): Promise<void>;
	/**
	 * Claims one of `jobIds` that is due (queued, or running under a lease that ran out) and
	 * runs it in this process; false when none was. A job split into pieces works on its own
	 * pieces this way while other processes claim the rest, so it never waits on a piece
	 * nobody runs (one process, or a process that died holding it).
	 */
	runOneOf(jobIds: readonly string[]): Promise<boolean>;
}

/** A handler may ask to run again later (the release is not live yet); the job keeps its id and progress. */
export type JobHandler = (
	payload: Record<string, unknown>,
	job: JobContext,
) => Promise<void | { rescheduleAtMs: number }>;

export interface JobView {
	id: string;
	kind: string;
	status: 'queued' | 'running' | 'done' | 'failed';
	progress: Record<string, unknown> | null;
	runAt: string;
	attempts: number;
	lastError: string | null;
}

interface JobRow {
	id: string;
	kind: string;
	payload: string;
	attempts: number;
}

export interface JobRunnerOptions {
	pollMs?: number;
	batchSize?: number;
	leaseMs?: number;
	maxAttempts?: number;
	/**
	 * Kinds this process runs one of at a time, beside its batches: pieces of one job split
	 * so that every hub process takes some, instead of the first to look taking them all,
	 * while the other jobs due meanwhile (sends, broadcasts) do not wait for a piece.
	 */
	oneAtATime?: string[];
}

const DEFAULTS: Required<JobRunnerOptions> = {
	pollMs: 1000,
	batchSize: 16,
	leaseMs: 5 * 60_000,
	maxAttempts: 8,
	oneAtATime: [],
};

/** A job is due when queued for now or earlier, or running under a lease that ran out. */
const dueSql = (nowParam: string) =>
	`((status = 'queued' AND run_at <= ${nowParam}) OR (status = 'running' AND locked_until < ${nowParam}))`;

/** How many times per lease a running job's lease is renewed: a missed renewal or two is not a death. */
const RENEWALS_PER_LEASE = 3;

/** Puts durable work in the jobs table, in the caller's transaction, to run at `runAtMs`. */
export async function enqueueJob(
	tx: SqlExecutor,
	kind: string,
	payload: Record<string, unknown>,
	runAtMs: number,
	nowMs: number,
): Promise<string> {
	const id = newId('job', nowMs);
	await tx.run(
		`INSERT INTO jobs (id, kind, status, payload, run_at, attempts, created_at, updated_at)
		 VALUES ($1, $2, 'queued', $3, $4, 0, $5, $5)`,
		[id, kind, JSON.stringify(payload), runAtMs, nowMs],
	);
	return id;
}

/**
 * Runs due jobs by kind. A job is claimed with a lease (row locks on PostgreSQL), so
 * hub processes share the queue and a job whose process died runs again after the
 * lease: handlers must be idempotent.
 */
export class JobRunner extends PollingLoop {
	private readonly options: Required<JobRunnerOptions>;
	private readonly worker = newId('worker');
	/** The `oneAtATime` job of each kind this process is running beside its batches. */
	private readonly alongside = new Map<string, Promise<void>>();

	constructor(
		private readonly store: SqlStore,
		private readonly handlers: Record<string, JobHandler>,
		logger: Logger,
		private readonly clock: () => number,
		options: JobRunnerOptions = {},
	) {
		const settings = { ...DEFAULTS, ...options };
		super('jobs', settings.pollMs, logger);
		this.options = settings;
	}

	protected async pass(): Promise<boolean> {
		return (await this.runDue()) === this.options.batchSize;
	}

	async get(jobId: string): Promise<JobView> {
		const row = await this.store.get<{
			id: string;
			kind: string;
			status: JobView['status'];
			progress: string | null;
			run_at: number;
			attempts: number;
			last_error: string | null;
		}>('SELECT id, kind, status, progress, run_at, attempts, last_error FROM jobs WHERE id = $1', [
			jobId,
		]);
		if (!row) throw new HubError('not_found', `No job with id ${jobId}.`);
		return {
			id: row.id,
			kind: row.kind,
			status: row.status,
			progress: row.progress ? (JSON.parse(row.progress) as Record<string, unknown>) : null,
			runAt: iso(row.run_at),
			attempts: Number(row.attempts),
			lastError: row.last_error,
		};
	}

	/**
	 * Claims and runs one batch of due jobs, and starts a `oneAtATime` job of each kind not
	 * running here already (it finishes in the background); returns how many it claimed.
	 */
	async runDue(): Promise<number> {
		// Most polls find nothing due. A read says so; the claims are writes, a write transaction each
		// on SQLite (~0.2 ms apiece, two a poll: 50 ms of CPU a second at the community bench's 20 ms polls).
		const due = await this.store.get(`SELECT 1 AS due FROM jobs WHERE ${dueSql('$1')} LIMIT 1`, [
			this.clock(),
		]);
		if (!due) return 0;
		const single = this.options.oneAtATime;
		const claimed = await this.claim(
			this.options.batchSize,
			single.length > 0 ? `AND kind NOT IN (${placeholders(single, 5)})` : '',
			single,
		);
		let started = 0;
		for (const kind of single) {
			if (this.alongside.has(kind)) continue;
			const [job] = await this.claim(1, 'AND kind = $5', [kind]);
			if (!job) continue;
			started++;
			const run = this.runJob(job).finally(() => {
				this.alongside.delete(kind);
				// The next piece is claimed at once, not at the next poll.
				this.wake();
			});
			this.alongside.set(kind, run);
		}
		await Promise.all(claimed.map((job) => this.runJob(job)));
		return claimed.length + started;
	}

	/** Stops claiming and waits for what this process runs, the background pieces included. */
	override async stop(): Promise<void> {
		await super.stop();
		await Promise.all(this.alongside.values());
	}

	/** Due jobs (queued and due, or running under a lease that ran out) within `scope`, leased to this process. */
	private claim(limit: number, scope: string, scopeParams: readonly SqlValue[]): Promise<JobRow[]> {
		const now = this.clock();
		return this.store.all<JobRow>(
			`UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
			 WHERE id IN (
				SELECT id FROM jobs
				WHERE ${dueSql('$3')} ${scope}
				ORDER BY run_at LIMIT $4${this.store.dialect.claimRowsSuffix})
			 RETURNING id, kind, payload, attempts`,
			[this.worker, now + this.options.leaseMs, now, limit, ...scopeParams],
		);
	}

	private async runJob(job: JobRow): Promise<void> {
		const handler = this.handlers[job.kind];
		// The lease is renewed while the job runs: it runs out only when this process is gone.
		const renewLease = (): Promise<unknown> => {
			const now = this.clock();
			return this.store.run(
				`UPDATE jobs SET locked_until = $2 WHERE id = $1 AND locked_by = $3 AND status = 'running'`,
				[job.id, now + this.options.leaseMs, this.worker],
			);
		};
		const heartbeat = setInterval(
			() =>
				void renewLease().catch((error: unknown) =>
					this.logger.warn('job lease not renewed', {
						jobId: job.id,
						error: (error as Error).message,
					}),
				),
			this.options.leaseMs / RENEWALS_PER_LEASE,
		);
		heartbeat.unref();
		try {
			if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
			const context: JobContext = {
				id: job.id,
				runOneOf: async (jobIds) => {
					if (jobIds.length === 0) return false;
					const [piece] = await this.claim(1, `AND id IN (${placeholders(jobIds, 5)})`, jobIds);
					if (!piece) return false;
					await this.runJob(piece);
					return true;
				},
				reportProgress: async (progress) => {
					// Reporting progress also renews the lease: a job that keeps working past the lease
					// (release day at a platform's pace takes hours) is not taken over as if it had died.
					const now = this.clock();
					await this.store.run(
						`UPDATE jobs SET progress = $2, updated_at = $3, locked_until = $4 WHERE id = $1 AND locked_by = $5`,
						[job.id, JSON.stringify(progress), now, now + this.options.leaseMs, this.worker],
					);
				},
			};
			const outcome = await handler(JSON.parse(job.payload) as Record<string, unknown>, context);
			if (outcome) {
				await this.store.run(
					`UPDATE jobs SET status = 'queued', run_at = $2, attempts = 0, locked_until = NULL, updated_at = $3 WHERE id = $1`,
					[job.id, outcome.rescheduleAtMs, this.clock()],
				);
			} else {
				await this.store.run(
					`UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $2 WHERE id = $1`,
					[job.id, this.clock()],
				);
			}
		} catch (error) {
			const attempts = Number(job.attempts);
			const finalAttempt = attempts >= this.options.maxAttempts;
			const now = this.clock();
			await this.store.run(
				`UPDATE jobs SET status = $2, run_at = $3, locked_until = NULL, last_error = $4, updated_at = $5 WHERE id = $1`,
				[
					job.id,
					finalAttempt ? 'failed' : 'queued',
					now + 1000 * 2 ** attempts,
					(error as Error).message,
					now,
				],
			);
			this.logger.warn('job failed', {
				jobId: job.id,
				kind: job.kind,
				attempt: attempts,
				error: (error as Error).message,
			});
		} finally {
			clearInterval(heartbeat);
		}
	}
}

/** `$from, $from+1, …` for a list of values bound after the fixed parameters. */
function placeholders(values: readonly unknown[], from: number): string {
	return values.map((_, index) => `$${from + index}`).join(', ');
}
