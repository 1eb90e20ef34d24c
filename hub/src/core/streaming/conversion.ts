import type { Campaigns } from '../campaigns';
import type { JobContext } from '../jobs';
import { enqueueJob } from '../jobs';
import type { Campaign } from '../model';
import type { SqlStore } from '../../store/sql-store';
import { STREAMING_PLATFORMS, type PlatformRelease, type StreamingPlatformName } from './platform';
import type { Streaming } from './streaming';
import type { FutureSaveConversion, FutureSaveProgress } from './future-saves';

export const CONVERSION_JOB = 'release_conversion';

/** Pre-saves read per batch: memory stays flat however many fans pre-saved. */
const BATCH_SIZE = 200;
/** Saves in flight at once; the platform pacer decides how fast they really go. */
const CONCURRENCY = 16;
/** How soon to look again when the release is not visible yet, or some fans are not due or hit a passing error. */
const RETRY_LATER_MS = 60_000;

export interface ConversionProgress {
	converted: number;
	reconsent: number;
	failed: number;
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
}

/** When a release reaches the fan: the global instant, or midnight of the release date in the fan's zone. */
export function releaseInstantFor(campaign: Campaign, fanTimezone: string | null): number {
	const global = Date.parse(campaign.releaseAtUtc);
	if (!campaign.localMidnight) return global;
	const zone = fanTimezone ?? campaign.timezone ?? 'UTC';
	const date = new Date(global).toISOString().slice(0, 10);
	// The offset at that date in that zone turns the local midnight into an instant.
	const guess = Date.parse(`${date}T00:00:00Z`);
	const local = new Date(new Date(guess).toLocaleString('en-US', { timeZone: zone })).getTime();
	const utc = new Date(new Date(guess).toLocaleString('en-US', { timeZone: 'UTC' })).getTime();
	return guess - (local - utc);
}

/**
 * Release day: every pre-save whose release is live becomes a save, once per (fan,
 * campaign, platform). The job walks pre-saves in keyset batches that skip the ones
 * already converted, so it resumes after a crash without redoing or losing any, and
 * asks to run again while some fans are waiting (release not visible, not midnight
 * for them yet, a passing error).
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
			enqueueJob(tx, CONVERSION_JOB, { campaignId: campaign.id, platforms: platforms ?? null }, now, now),
		);
		this.onQueued();
		return id;
	}

	/** The job handler: one pass over every pending pre-save. */
	async run(payload: Record<string, unknown>, job: JobContext): Promise<void | { rescheduleAtMs: number }> {
		const campaign = await this.campaigns.get(String(payload.campaignId));
		const platforms = ((payload.platforms as StreamingPlatformName[] | null) ?? [...STREAMING_PLATFORMS]).filter((name) =>
			this.streaming.withLibrary().includes(name),
		);
		const previous = await this.store.get<{ progress: string | null }>('SELECT progress FROM jobs WHERE id = $1', [job.id]);
		const totals: ConversionProgress = previous?.progress
			? { ...(JSON.parse(previous.progress) as ConversionProgress), waiting: 0, notVisibleOn: [] }
			: { converted: 0, reconsent: 0, failed: 0, waiting: 0, notVisibleOn: [], passes: 0, futureSaves: { converted: 0, reconsent: 0, failed: 0, waiting: 0 } };
		// A job whose earlier passes ran before future saves were counted has none yet.
		totals.futureSaves = { ...(totals.futureSaves ?? { converted: 0, reconsent: 0, failed: 0 }), waiting: 0 };
		totals.passes++;
		for (const platform of platforms) {
			const release = await this.streaming.releaseOf(campaign, platform);
			if (!release) {
				totals.notVisibleOn.push(platform);
				continue;
			}
			await this.convertPlatform(campaign, platform, release, totals, job);
			await this.futureSaves.convert(campaign, platform, release, totals.futureSaves);
		}
		await job.reportProgress({ ...totals });
		if (totals.waiting > 0 || totals.futureSaves.waiting > 0 || totals.notVisibleOn.length > 0) return { rescheduleAtMs: this.clock() + RETRY_LATER_MS };
	}

	private async convertPlatform(
		campaign: Campaign,
		platform: StreamingPlatformName,
		release: PlatformRelease,
		totals: ConversionProgress,
		job: JobContext,
	): Promise<void> {
		let cursor = '';
		for (;;) {
			const batch = await this.store.all<PendingPresave>(
				`SELECT a.id, a.fan_id, f.timezone FROM actions a JOIN fans f ON f.id = a.fan_id
				 WHERE a.campaign_id = $1 AND a.kind = 'presave' AND a.platform = $2 AND a.status = 'done' AND a.id > $3
				 AND f.erased_at IS NULL
				 AND NOT EXISTS (SELECT 1 FROM actions s WHERE s.parent_action_id = a.id AND s.kind = 'save' AND s.status IN ('done', 'failed'))
				 ORDER BY a.id LIMIT $4`,
				[campaign.id, platform, cursor, BATCH_SIZE],
			);
			if (batch.length === 0) return;
			cursor = batch[batch.length - 1].id;
			const now = this.clock();
			const due = batch.filter((presave) => releaseInstantFor(campaign, presave.timezone) <= now);
			totals.waiting += batch.length - due.length;
			await this.inParallel(due, async (presave) => {
				try {
					const outcome = await this.streaming.saveRelease({
						fanId: presave.fan_id,
						campaignId: campaign.id,
						platform,
						parentActionId: presave.id,
						release,
					});
					if (outcome.status === 'done') totals.converted++;
					else if (outcome.status === 'reconsent') totals.reconsent++;
					else if (outcome.status === 'failed') totals.failed++;
					else totals.waiting++;
				} catch {
					// A passing failure (the platform kept failing, a dropped connection): the next pass picks this fan up.
					totals.waiting++;
				}
			});
			await job.reportProgress({ ...totals });
		}
	}

	private async inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
		let next = 0;
		await Promise.all(
			Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
				while (next < items.length) await work(items[next++]);
			}),
		);
	}
}
