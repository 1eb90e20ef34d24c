import { HubError } from '../errors';
import { enqueueJob, type JobContext } from '../jobs';
import type { Ledger } from '../ledger';
import type { ActionKind } from '../model';
import { RollingPacer, type Pacer } from '../pacing';
import {
	anyUnfinished,
	idShareFilter,
	pieceProgress,
	queuePieces,
	workOnPieces,
	type IdShare,
	type PieceRow,
} from '../job-pieces';
import type { CommunityAdmin } from './admin';
import { RELEASE_UPDATES, type Community, type CommunityPlatforms } from './community';
import { CommunityPlatformError, type CommunityMessenger, type CommunityPlatform } from './ports';
import { takenLayerSql } from '../presave/lifecycle';

export const BROADCAST_JOB = 'community_broadcast';
/** A share of a broadcast's fans for one pass; every hub process may claim one. */
export const BROADCAST_PART_JOB = 'community_broadcast_part';
/**
 * Pieces per pass where several hub processes share the store: every process up gets some,
 * and one that dies leaves a small share to the others. The bot's budget bounds them together.
 */
const BROADCAST_PARTS = 8;

/** Recipients read per batch: memory stays flat however many fans opted in. */
const BATCH_SIZE = 200;
/** How often one fan's message is retried after the platform said to slow down. */
const RATE_LIMIT_RETRIES = 5;
/** How soon a pass runs again for fans whose message hit a passing failure. */
const RETRY_LATER_MS = 30_000;

export interface BroadcastSegment {
	campaignId?: string;
	hasAction?: ActionKind;
	lacksAction?: ActionKind;
}

export interface BroadcastRequest {
	platform: CommunityPlatform;
	text: string;
	/** Names the message: each fan gets a given key at most once, however often it is sent. */
	messageKey: string;
	campaignId?: string;
	segment?: BroadcastSegment;
}

export interface BroadcastProgress {
	sent: number;
	blocked: number;
	failed: number;
	/** Fans to try again on the next pass (the platform failed for a passing reason). */
	waiting: number;
	/**
	 * Fans whose message was in flight when an earlier run of this job died: Telegram and
	 * Discord cannot say whether it arrived, and a second copy is worse than none, so they are
	 * not sent again.
	 */
	uncertain: number;
	passes: number;
}

/** What this pass settled so far, added to what the ledger counted when it began. */
interface PassTally {
	waiting: number;
	sent: number;
	blocked: number;
	failed: number;
}

/** A piece sends the pass to the fans whose id is in its share. */
interface BroadcastPart extends IdShare {
	request: BroadcastRequest;
}

/** The pieces of one pass of a broadcast job, by id: a pass carried on after a crash finds them again. */
function pieceIds(jobId: string, pass: number): string[] {
	return Array.from({ length: BROADCAST_PARTS }, (_, part) => `${jobId}.${pass}.${part}`);
}

interface Recipient {
	fan_id: string;
	user_id: string;
}

/**
 * A direct message to every fan of a segment who opted in to release updates on a
 * platform, as a hub job paced to the platform's overall budget. Each (fan, message)
 * is claimed in `community_deliveries` before it is sent, so a repeated request, a
 * second pass or a job resumed after a crash never messages a fan twice; fans who
 * blocked the bot are recorded (failed action, consent revoked, `community.left`).
 */
export class CommunityBroadcasts {
	constructor(
		private readonly ledger: Ledger,
		private readonly community: Community,
		private readonly admin: CommunityAdmin,
		private readonly pacers: CommunityPlatforms['pacers'],
		private readonly clock: () => number,
		private readonly onQueued: () => void,
		private readonly concurrency = 32,
	) {}

	/** Starts the broadcast, or returns the job already started for this message key. */
	async start(request: BroadcastRequest): Promise<string> {
		this.admin.messenger(request.platform);
		// The job keeps ids: a slug given here is resolved once, and the segment query matches on the id.
		const campaigns = this.ledger.campaigns;
		request = {
			...request,
			campaignId: request.campaignId ? await campaigns.idOf(request.campaignId) : undefined,
			segment: request.segment && {
				...request.segment,
				campaignId: request.segment.campaignId
					? await campaigns.idOf(request.segment.campaignId)
					: undefined,
			},
		};
		const now = this.clock();
		const { jobId, created } = await this.ledger.store.transaction(async (tx) => {
			const existing = await tx.get<{ job_id: string }>(
				'SELECT job_id FROM community_broadcasts WHERE platform = $1 AND message_key = $2',
				[request.platform, request.messageKey],
			);
			if (existing) return { jobId: existing.job_id, created: false };
			const id = await enqueueJob(tx, BROADCAST_JOB, { ...request }, now, now);
			await tx.run(
				'INSERT INTO community_broadcasts (platform, message_key, job_id, created_at) VALUES ($1, $2, $3, $4)',
				[request.platform, request.messageKey, id, now],
			);
			return { jobId: id, created: true };
		});
		if (created) this.onQueued();
		return jobId;
	}

	/**
	 * The job handler: one pass over every opted-in fan not yet messaged with this key; in
	 * pieces every hub process takes part in where several share the store.
	 */
	async run(
		payload: Record<string, unknown>,
		job: JobContext,
	): Promise<void | { rescheduleAtMs: number }> {
		const request = payload as unknown as BroadcastRequest;
		const messenger = this.admin.messenger(request.platform);
		const previous = await this.ledger.store.get<{ progress: string | null }>(
			'SELECT progress FROM jobs WHERE id = $1',
			[job.id],
		);
		const earlierPasses = previous?.progress
			? (JSON.parse(previous.progress) as BroadcastProgress).passes
			: 0;
		let passes = earlierPasses + 1;
		let waiting: number;
		if (this.ledger.store.dialect.sharedByProcesses) {
			// Pieces still queued or running: the pass was cut short (its process died) and is carried on.
			if (
				earlierPasses > 0 &&
				(await anyUnfinished(this.ledger.store, pieceIds(job.id, earlierPasses)))
			)
				passes = earlierPasses;
			waiting = await this.sendInPieces(request, job, passes);
		} else {
			// Counted from the ledger at the start and end of a pass; in between, this pass's outcomes
			// are added as they settle (a COUNT per batch would re-read every claim so far).
			const counted = await this.progress(request, 0, passes);
			const pass: PassTally = { waiting: 0, sent: 0, blocked: 0, failed: 0 };
			await this.sendShare(request, messenger, pass, undefined, () =>
				job.reportProgress({
					...counted,
					sent: counted.sent + pass.sent,
					blocked: counted.blocked + pass.blocked,
					failed: counted.failed + pass.failed,
					waiting: pass.waiting,
				}),
			);
			waiting = pass.waiting;
		}
		const progress = await this.progress(request, waiting, passes);
		await job.reportProgress({ ...progress });
		if (progress.waiting > 0) return { rescheduleAtMs: this.clock() + RETRY_LATER_MS };
	}

	/** The piece handler: one share of the fans of a broadcast's pass. */
	async runPart(payload: Record<string, unknown>, job: JobContext): Promise<void> {
		const piece = payload as unknown as BroadcastPart;
		const messenger = this.admin.messenger(piece.request.platform);
		const pass: PassTally = { waiting: 0, sent: 0, blocked: 0, failed: 0 };
		await this.sendShare(piece.request, messenger, pass, piece, () =>
			job.reportProgress({ ...pass }),
		);
		await job.reportProgress({ ...pass });
	}

	/**
	 * Queues the pass's pieces and works on them beside the other processes; answers how many
	 * fans wait for the next pass. Progress is counted from the claims, whoever sent them.
	 */
	private async sendInPieces(
		request: BroadcastRequest,
		job: JobContext,
		passes: number,
	): Promise<number> {
		const ids = pieceIds(job.id, passes);
		await queuePieces(
			this.ledger.store,
			BROADCAST_PART_JOB,
			ids.map((id, part) => ({
				id,
				payload: { request, part, parts: BROADCAST_PARTS } satisfies BroadcastPart,
			})),
			this.clock(),
		);
		this.onQueued();
		const waitingIn = (rows: PieceRow[]) =>
			rows.reduce((sum, row) => sum + (pieceProgress<PassTally>(row).waiting ?? 0), 0);
		const rows = await workOnPieces(this.ledger.store, job, ids, async (running) =>
			job.reportProgress({ ...(await this.progress(request, waitingIn(running), passes)) }),
		);
		// A piece that failed every attempt left its share unsent: the job's next attempt sends it with fresh pieces.
		if (rows.some((row) => row.status === 'failed'))
			throw new Error('a piece of the broadcast failed every attempt; the next pass retries it');
		return waitingIn(rows);
	}

	/** Sends to every fan of `share` (all of them without one), reporting after each batch. */
	private async sendShare(
		request: BroadcastRequest,
		messenger: CommunityMessenger,
		pass: PassTally,
		share: IdShare | undefined,
		reportBatch: () => Promise<void>,
	): Promise<void> {
		let cursor = '';
		for (;;) {
			const batch = await this.recipients(request, cursor, share);
			if (batch.length === 0) return;
			cursor = batch[batch.length - 1].fan_id;
			await this.inParallel(batch, (recipient) =>
				this.deliver(request, messenger, recipient, pass),
			);
			await reportBatch();
		}
	}

	/**
	 * Counted from the claims themselves, so the numbers hold across passes and across runs
	 * of a job whose process died. At the start and end of a pass every claim of this run is
	 * settled: one still "sending" was left by a run that died.
	 */
	private async progress(
		request: BroadcastRequest,
		waiting: number,
		passes: number,
	): Promise<BroadcastProgress> {
		const rows = await this.ledger.store.all<{ status: string; count: number }>(
			`SELECT status, COUNT(*) AS count FROM community_deliveries WHERE platform = $1 AND message_key = $2 GROUP BY status`,
			[request.platform, request.messageKey],
		);
		const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
		return {
			sent: count('sent'),
			blocked: count('blocked'),
			failed: count('failed'),
			waiting,
			uncertain: count('sending'),
			passes,
		};
	}

	private recipients(
		request: BroadcastRequest,
		cursor: string,
		share: IdShare | undefined,
	): Promise<Recipient[]> {
		const params: (string | number)[] = [
			request.platform,
			RELEASE_UPDATES,
			request.messageKey,
			cursor,
		];
		const param = (value: string | number) => {
			params.push(value);
			return `$${params.length}`;
		};
		const segment = request.segment ?? {};
		const where: string[] = [];
		const campaign = segment.campaignId ? ` AND a.campaign_id = ${param(segment.campaignId)}` : '';
		if (segment.hasAction) {
			where.push(`AND EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id AND a.kind = ${param(segment.hasAction)}
				AND ${takenLayerSql('a')}${campaign})`);
		}
		if (segment.lacksAction) {
			where.push(`AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id AND a.kind = ${param(segment.lacksAction)}
				AND ${takenLayerSql('a')}${campaign})`);
		}
		if (segment.campaignId && !segment.hasAction && !segment.lacksAction) {
			where.push(`AND EXISTS (SELECT 1 FROM actions a WHERE a.fan_id = f.id${campaign})`);
		}
		const inShare = idShareFilter('f.id', share, params.length + 1);
		params.push(...inShare.params);
		where.push(inShare.sql);
		return this.ledger.store.all<Recipient>(
			// CROSS JOIN keeps fans, read in id order from the cursor, as SQLite's outer loop: without
			// statistics it started from the platform's identities and sorted them all, every batch.
			// PostgreSQL plans it as an ordinary join.
			`SELECT f.id AS fan_id, i.external_id AS user_id
			 FROM fans f CROSS JOIN identities i
			 WHERE i.fan_id = f.id AND i.channel = $1 AND f.erased_at IS NULL AND f.merged_into IS NULL AND f.id > $4
			 AND EXISTS (SELECT 1 FROM consents c WHERE c.fan_id = f.id AND c.channel = $1 AND c.purpose = $2 AND c.status = 'granted')
			 AND NOT EXISTS (SELECT 1 FROM community_deliveries d WHERE d.platform = $1 AND d.message_key = $3 AND d.fan_id = f.id)
			 ${where.join(' ')}
			 ORDER BY f.id LIMIT ${param(BATCH_SIZE)}`,
			params,
		);
	}

	private async deliver(
		request: BroadcastRequest,
		messenger: CommunityMessenger,
		recipient: Recipient,
		pass: PassTally,
	): Promise<void> {
		const pacer = this.pacerFor(messenger);
		let answered = await pacer.take();
		// Claimed only when its turn has come: a run that dies leaves as few fans uncertain as it can.
		if (!(await this.claim(request, recipient.fan_id))) {
			answered();
			return;
		}
		for (let attempt = 0; ; attempt++) {
			if (attempt > 0) answered = await pacer.take();
			try {
				const { messageId } = await messenger
					.sendDirect(recipient.user_id, request.text)
					.finally(answered);
				await this.settle(request, recipient.fan_id, 'sent', messageId, null);
				pass.sent++;
				return;
			} catch (error) {
				if (!(error instanceof CommunityPlatformError)) throw error;
				if (error.kind === 'rate_limited' && attempt < RATE_LIMIT_RETRIES) {
					await pacer.pauseFor(error.retryAfterMs ?? 1000);
					continue;
				}
				if (error.kind === 'blocked') {
					await this.settle(request, recipient.fan_id, 'blocked', null, error.message);
					pass.blocked++;
					await this.recordBlocked(request, recipient.fan_id, error.message);
				} else if (error.kind === 'rate_limited' || error.kind === 'transient') {
					// Released for the next pass: the message was not delivered, so sending it later is no duplicate.
					await this.release(request, recipient.fan_id);
					pass.waiting++;
				} else {
					await this.settle(request, recipient.fan_id, 'failed', null, error.message);
					pass.failed++;
				}
				return;
			}
		}
	}

	/** Claims (platform, messageKey, fan) before sending; false when an earlier pass or run already did. */
	private async claim(request: BroadcastRequest, fanId: string): Promise<boolean> {
		const now = this.clock();
		const { changes } = await this.ledger.store.run(
			`INSERT INTO community_deliveries (platform, message_key, fan_id, status, created_at, updated_at)
			 VALUES ($1, $2, $3, 'sending', $4, $4) ON CONFLICT (platform, message_key, fan_id) DO NOTHING`,
			[request.platform, request.messageKey, fanId, now],
		);
		return changes === 1;
	}

	private async settle(
		request: BroadcastRequest,
		fanId: string,
		status: 'sent' | 'blocked' | 'failed',
		messageId: string | null,
		error: string | null,
	): Promise<void> {
		await this.ledger.store.run(
			`UPDATE community_deliveries SET status = $4, message_id = $5, error = $6, updated_at = $7
			 WHERE platform = $1 AND message_key = $2 AND fan_id = $3`,
			[request.platform, request.messageKey, fanId, status, messageId, error, this.clock()],
		);
	}

	private async release(request: BroadcastRequest, fanId: string): Promise<void> {
		await this.ledger.store.run(
			'DELETE FROM community_deliveries WHERE platform = $1 AND message_key = $2 AND fan_id = $3',
			[request.platform, request.messageKey, fanId],
		);
	}

	private async recordBlocked(
		request: BroadcastRequest,
		fanId: string,
		reason: string,
	): Promise<void> {
		try {
			await this.community.recordBlocked(fanId, request.platform, request.messageKey, reason);
		} catch (error) {
			// A fan erased while the broadcast ran has nothing left to record.
			if (!(error instanceof HubError && error.code === 'fan_erased')) throw error;
		}
	}

	private pacerFor(messenger: CommunityMessenger): Pacer {
		// Pacing is wall time, whatever clock the hub's ledger keeps.
		const pacer = this.pacers[messenger.platform] ?? new RollingPacer(messenger.messagesPerSecond);
		this.pacers[messenger.platform] = pacer;
		return pacer;
	}

	private async inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
		let next = 0;
		await Promise.all(
			Array.from({ length: Math.min(this.concurrency, items.length) }, async () => {
				while (next < items.length) await work(items[next++]);
			}),
		);
	}
}
