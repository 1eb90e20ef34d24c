import type { Campaigns } from '../campaigns';
import type { JobContext } from '../jobs';
import { enqueueJob } from '../jobs';
import type { Campaign } from '../model';
import { knownZone } from '../time-zones';
import { ERASED_REASON, settlePresaveWithin } from '../presave/lifecycle';
import type { SqlStore, SqlValue } from '../../store/sql-store';
import { STREAMING_PLATFORMS, type PlatformRelease, type StreamingPlatformName } from './platform';
import type { Streaming } from './streaming';
import { AdaptiveConcurrency } from './adaptive-concurrency';
import {
	anyUnfinished,
	idShareFilter,
	pieceProgress,
	queuePieces,
	workOnPieces,
	type IdShare,
	type PieceRow,
} from '../job-pieces';
import type { FutureSaveConversion, FutureSaveProgress } from './future-saves';

export const CONVERSION_JOB = 'release_conversion';
/** A piece of a conversion job's pass: one platform, one share of its fans; every hub process may claim one. */
export const CONVERSION_PART_JOB = 'release_conversion_part';

/** Pre-saves read per batch: memory stays flat however many fans pre-saved. */
const BATCH_SIZE = 200;
/** How soon to look again when the release is not visible yet, or some fans are not due or hit a passing error. */
const RETRY_LATER_MS = 60_000;
/**
 * Pieces per platform where several hub processes share the store: enough that every
 * process up gets some and one that dies leaves a small share to take over, few enough
 * that each piece's own adaptive window still fills the budget.
 */
export const CONVERSION_PARTS_PER_PLATFORM = 8;

export interface ConversionProgress {
	converted: number;
	reconsent: number;
	failed: number;
	/** Pre-saves with nothing to convert (the fan asked to be erased). */
	skipped: number;
	/** Fans to try again on the next pass: the release is not live for them yet, or a call failed for a passing reason. */
	waiting: number;
	notVisibleOn: StreamingPlatformName[];
	passes: number;
	/** The fans saved because they agreed to "save every release" of the artist, counted apart from the pre-save fans above. */
	futureSaves: FutureSaveProgress;
}

interface PendingPresave {
	id: string;
	fan_id: string;
	timezone: string | null;
	erased_at: number | null;
}

/** What the ledger holds of one job's saves, as outcome counts. */
type LedgerCounts = Pick<ConversionProgress, 'converted' | 'reconsent' | 'failed'>;

/** One piece's tally: what a conversion sums over its pieces beside the ledger's counts. */
type PartProgress = LedgerCounts & Pick<ConversionProgress, 'skipped' | 'waiting'>;

/** A piece converts the pre-saves whose action id is in its share. */
interface ConversionPart extends IdShare {
	/** The conversion job the piece belongs to: its saves carry that job's source. */
	conversionJobId: string;
	campaignId: string;
	platform: StreamingPlatformName;
	release: PlatformRelease;
}

/** Saves a conversion job records say so in their source: its progress is counted from them. */
export function conversionSource(jobId: string): string {
	return `${CONVERSION_JOB}:${jobId}`;
}

/** When a release reaches the fan: the global instant, or midnight of the release date in the fan's zone. */
export function releaseInstantFor(campaign: Campaign, fanTimezone: string | null): number {
	const global = Date.parse(campaign.releaseAtUtc);
	if (!campaign.localMidnight) return global;
	const zone = knownZone(fanTimezone) ?? knownZone(campaign.timezone) ?? 'UTC';
	const date = new Date(global).toISOString().slice(0, 10);
	// The offset at that date in that zone turns the local midnight into an instant.
	const guess = Date.parse(`${date}T00:00:00Z`);
	const local = new Date(new Date(guess).toLocaleString('en-US', { timeZone: zone })).getTime();
	const utc = new Date(new Date(guess).toLocaleString('en-US', { timeZone: 'UTC' })).getTime();
	return guess - (local - utc);
}

/**
 * Release day: every pending pre-save whose release is live becomes a save, once per
 * (fan, campaign, platform), and the pre-save is settled with it (presave/lifecycle.ts).
 * The job walks pending pre-saves in keyset batches, so it resumes after a crash without
 * redoing or losing any, and asks to run again while some fans are waiting (release not
 * visible, not midnight for them yet, a passing error). Its progress is read from the
 * ledger — the saves it recorded carry its id — so a crash never makes it undercount.
 */
export class ReleaseConversion {
	constructor(
		private readonly store: SqlStore,
		private readonly campaigns: Campaigns,
		private readonly streaming: Streaming,
		private readonly clock: () => number,
		private readonly onQueued: () => void,
		private readonly futureSaves: FutureSaveConversion,
	) {}

	async start(campaignIdOrSlug: string, platforms?: StreamingPlatformName[]): Promise<string> {
		const campaign = await this.campaigns.get(campaignIdOrSlug);
		const now = this.clock();
		const id = await this.store.transaction((tx) =>
			enqueueJob(
				tx,
				CONVERSION_JOB,
				{ campaignId: campaign.id, platforms: platforms ?? null },
				now,
				now,
			),
		);
		this.onQueued();
		return id;
	}

	/** The job handler: one pass over every pending pre-save. */
	async run(
		payload: Record<string, unknown>,
		job: JobContext,
	): Promise<void | { rescheduleAtMs: number }> {
		const campaign = await this.campaigns.get(String(payload.campaignId));
		// A platform the campaign names no release on, and that no UPC or ISRC could find it on, has nothing to wait for.
		const findable = (name: StreamingPlatformName) =>
			Boolean(campaign.platforms[name] || campaign.upc || campaign.isrcs.length > 0);
		const platforms = (
			(payload.platforms as StreamingPlatformName[] | null) ?? [...STREAMING_PLATFORMS]
		).filter((name) => this.streaming.withLibrary().includes(name) && findable(name));
		const previous = await this.store.get<{ progress: string | null }>(
			'SELECT progress FROM jobs WHERE id = $1',
			[job.id],
		);
		const earlier = previous?.progress
			? (JSON.parse(previous.progress) as Partial<ConversionProgress>)
			: {};
		// Once per pass, what the ledger holds of this job's saves: a crash loses none of them.
		const totals: ConversionProgress = {
			...(await this.countSaves(campaign.id, job.id)),
			skipped: earlier.skipped ?? 0,
			waiting: 0,
			notVisibleOn: [],
			passes: (earlier.passes ?? 0) + 1,
			futureSaves: { converted: 0, reconsent: 0, failed: 0, ...earlier.futureSaves, waiting: 0 },
		};
		const live: { platform: StreamingPlatformName; release: PlatformRelease }[] = [];
		for (const platform of platforms) {
			const release = await this.streaming.releaseOf(campaign, platform);
			if (release) live.push({ platform, release });
			else totals.notVisibleOn.push(platform);
		}
		if (this.store.dialect.sharedByProcesses) {
			await this.convertInParts(campaign, live, totals, earlier, job);
			for (const { platform, release } of live)
				await this.futureSaves.convert(campaign, platform, release, totals.futureSaves);
		} else {
			for (const { platform, release } of live) {
				await this.convertPlatform(campaign, platform, release, totals, job.id, job);
				await this.futureSaves.convert(campaign, platform, release, totals.futureSaves);
			}
		}
		await job.reportProgress({ ...totals });
		if (totals.waiting > 0 || totals.futureSaves.waiting > 0 || totals.notVisibleOn.length > 0)
			return { rescheduleAtMs: this.clock() + RETRY_LATER_MS };
	}

	/**
	 * One pass split into pieces (platform × share of the fans), each its own leased job, so
	 * every hub process on the store takes part and a piece whose process died is taken
	 * over once its lease runs out. This job works on its pieces too while the others claim
	 * the rest, and sums them. A pass its process died in is carried on, not started anew:
	 * its pieces keep their ids, so none is run twice at once.
	 */
	private async convertInParts(
		campaign: Campaign,
		live: { platform: StreamingPlatformName; release: PlatformRelease }[],
		totals: ConversionProgress,
		earlier: Partial<ConversionProgress> & { skippedBeforePass?: number },
		job: JobContext,
	): Promise<void> {
		const pieceId = (pass: number, platform: StreamingPlatformName, part: number) =>
			`${job.id}.${pass}.${platform}.${part}`;
		const partIds = (pass: number) =>
			live.flatMap(({ platform }) =>
				Array.from({ length: CONVERSION_PARTS_PER_PLATFORM }, (_, part) =>
					pieceId(pass, platform, part),
				),
			);
		const previousPass = earlier.passes ?? 0;
		// Pieces still queued or running: the pass was cut short and is carried on.
		const unfinished = previousPass > 0 && (await anyUnfinished(this.store, partIds(previousPass)));
		if (unfinished) totals.passes = previousPass;
		const skippedBeforePass = unfinished
			? (earlier.skippedBeforePass ?? earlier.skipped ?? 0)
			: (earlier.skipped ?? 0);
		await queuePieces(
			this.store,
			CONVERSION_PART_JOB,
			live.flatMap(({ platform, release }) =>
				Array.from({ length: CONVERSION_PARTS_PER_PLATFORM }, (_, part) => ({
					id: pieceId(totals.passes, platform, part),
					payload: {
						conversionJobId: job.id,
						campaignId: campaign.id,
						platform,
						release,
						part,
						parts: CONVERSION_PARTS_PER_PLATFORM,
					} satisfies ConversionPart,
				})),
			),
			this.clock(),
		);
		if (live.length > 0) this.onQueued();
		const sumPieces = (rows: PieceRow[]) => {
			const pass = { skipped: 0, waiting: 0 };
			for (const row of rows) {
				const progress = pieceProgress<PartProgress>(row);
				pass.skipped += progress.skipped ?? 0;
				pass.waiting += progress.waiting ?? 0;
			}
			totals.skipped = skippedBeforePass + pass.skipped;
			totals.waiting = pass.waiting;
		};
		const rows = await workOnPieces(this.store, job, partIds(totals.passes), async (running) => {
			// Counting the ledger is the costly part of a report: a few times a minute is enough to watch.
			sumPieces(running);
			Object.assign(totals, await this.countSaves(campaign.id, job.id));
			await job.reportProgress({ ...totals, skippedBeforePass });
		});
		sumPieces(rows);
		// One that failed every attempt is left to the next pass, which gives it a fresh set of pieces.
		if (rows.some((row) => row.status === 'failed'))
			throw new Error('a piece of the conversion failed every attempt; the next pass retries it');
		Object.assign(totals, await this.countSaves(campaign.id, job.id));
	}

	/** The piece handler: converts one share of one platform's pending pre-saves. */
	async runPart(payload: Record<string, unknown>, job: JobContext): Promise<void> {
		const piece = payload as unknown as ConversionPart;
		const campaign = await this.campaigns.get(piece.campaignId);
		const previous = await this.store.get<{ progress: string | null }>(
			'SELECT progress FROM jobs WHERE id = $1',
			[job.id],
		);
		const earlier = previous?.progress
			? (JSON.parse(previous.progress) as Partial<PartProgress>)
			: {};
		// A piece taken over keeps what its first process skipped: those pre-saves are settled and not read again.
		const totals: PartProgress = {
			converted: 0,
			reconsent: 0,
			failed: 0,
			skipped: earlier.skipped ?? 0,
			waiting: 0,
		};
		await this.convertPlatform(
			campaign,
			piece.platform,
			piece.release,
			totals,
			piece.conversionJobId,
			job,
			piece,
		);
		await job.reportProgress({ ...totals });
	}

	private async convertPlatform(
		campaign: Campaign,
		platform: StreamingPlatformName,
		release: PlatformRelease,
		totals: PartProgress,
		conversionJobId: string,
		job: JobContext,
		share?: IdShare,
	): Promise<void> {
		const source = conversionSource(conversionJobId);
		const window = new AdaptiveConcurrency({
			requestsPerSecond: this.streaming.platform(platform).requestsPerSecond,
		});
		// Each batch is counted from the ledger once its saves are done, in batch order, while
		// the next batches' saves already fill the window.
		let counted: Promise<void> = Promise.resolve();
		let cursor = '';
		try {
			for (;;) {
				// Pending pre-saves, less those waiting for a reconnect that has not happened yet.
				const inShare = idShareFilter('a.id', share, 5);
				const batch = await this.store.all<PendingPresave>(
					`SELECT a.id, a.fan_id, f.timezone, f.erased_at FROM actions a JOIN fans f ON f.id = a.fan_id
				 LEFT JOIN tokens t ON t.fan_id = a.fan_id AND t.platform = a.platform
				 WHERE a.campaign_id = $1 AND a.kind = 'presave' AND a.platform = $2 AND a.status = 'pending' AND a.id > $3
				 AND (a.error IS NULL OR t.status = 'valid') ${inShare.sql}
				 ORDER BY a.id LIMIT $4`,
					[campaign.id, platform, cursor, BATCH_SIZE, ...inShare.params],
				);
				if (batch.length === 0) break;
				cursor = batch[batch.length - 1].id;
				const batchStartedMs = this.clock();
				const erased = batch.filter((presave) => presave.erased_at !== null);
				for (const presave of erased) {
					await this.store.transaction((tx) =>
						settlePresaveWithin(
							tx,
							presave.id,
							{ status: 'skipped', error: ERASED_REASON },
							this.clock(),
						),
					);
				}
				totals.skipped += erased.length;
				const due = batch.filter(
					(presave) =>
						presave.erased_at === null &&
						releaseInstantFor(campaign, presave.timezone) <= batchStartedMs,
				);
				totals.waiting += batch.length - erased.length - due.length;
				const saves: Promise<void>[] = [];
				for (const presave of due) {
					const started = await window.start(async () => {
						try {
							const outcome = await this.streaming.saveFoundRelease(campaign, release, {
								fanId: presave.fan_id,
								platform,
								parentActionId: presave.id,
								source,
							});
							if (outcome.status === 'not_released') totals.waiting++;
						} catch {
							// A passing failure (the platform kept failing, a dropped connection): the next pass picks this fan up.
							totals.waiting++;
						}
					});
					saves.push(started.finished);
				}
				const presaveIds = due.map((presave) => presave.id);
				counted = counted.then(async () => {
					await Promise.all(saves);
					const outcomes = await this.countSaves(
						campaign.id,
						conversionJobId,
						presaveIds,
						batchStartedMs,
					);
					totals.converted += outcomes.converted;
					totals.reconsent += outcomes.reconsent;
					totals.failed += outcomes.failed;
					await job.reportProgress({ ...totals });
				});
				// Its failure surfaces from the await below; until then it must not count as unhandled.
				counted.catch(() => undefined);
			}
		} finally {
			await window.idle();
		}
		await counted;
	}

	/**
	 * This job's saves in the ledger by outcome: all of them (once per pass), or those
	 * layered on one batch's pre-saves since it started (an index lookup per pre-save).
	 * A failed save without a key is an attempt that found the grant needing re-consent.
	 */
	private async countSaves(
		campaignId: string,
		jobId: string,
		presaveIds?: string[],
		sinceMs?: number,
	): Promise<LedgerCounts> {
		const counts: LedgerCounts = { converted: 0, reconsent: 0, failed: 0 };
		if (presaveIds?.length === 0) return counts;
		const params: SqlValue[] = [campaignId, conversionSource(jobId)];
		let scope = '';
		if (presaveIds) {
			params.push(sinceMs ?? 0);
			scope = `AND created_at >= $3 AND parent_action_id IN (${presaveIds.map((id) => {
				params.push(id);
				return `$${params.length}`;
			})})`;
		}
		const rows = await this.store.all<{ outcome: string; n: number | string }>(
			`SELECT CASE WHEN status = 'done' THEN 'converted' WHEN idempotency_key IS NULL THEN 'reconsent' ELSE 'failed' END AS outcome,
				COUNT(*) AS n
			 FROM actions WHERE campaign_id = $1 AND kind = 'save' AND source = $2 ${scope}
			 GROUP BY 1`,
			params,
		);
		for (const row of rows) counts[row.outcome as keyof LedgerCounts] = Number(row.n);
		return counts;
	}
}
