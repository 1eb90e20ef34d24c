import { FUTURE_SAVES_PURPOSE } from '../future-saves';
import type { Campaign } from '../model';
import type { SqlStore } from '../../store/sql-store';
import { releaseInstantFor } from './conversion';
import type { PlatformRelease, StreamingPlatformName } from './platform';
import type { Streaming } from './streaming';
import { AdaptiveConcurrency } from './adaptive-concurrency';

/** Agreements read per batch: memory stays flat however many fans agreed. */
const BATCH_SIZE = 200;
/** A release already out when the fan agreed is not a future release; a day covers every local midnight. */
const LOCAL_MIDNIGHT_SLACK_MS = 24 * 3_600_000;

/** Release-day progress of the fans who agreed to "save every release", counted apart from the pre-save fans. */
export interface FutureSaveProgress {
	converted: number;
	reconsent: number;
	failed: number;
	/** Fans to try again on the next pass: not midnight for them yet, or a call failed for a passing reason. */
	waiting: number;
}

interface DueAgreement {
	id: string;
	fan_id: string;
	action_id: string;
	timezone: string | null;
}

/**
 * Release day for the fans who agreed to have every release of the campaign's artist
 * saved: each gets the release saved once, layered on their agreement, through the same
 * paced, idempotent save as a pre-save (`save:<campaign>:<fan>:<platform>`), so a fan who
 * also pre-saved gets one save. Fans who stopped, were erased or already have the save are
 * not read at all; an expired connection is recorded as a failed save with its reason.
 */
export class FutureSaveConversion {
	constructor(
		private readonly store: SqlStore,
		private readonly streaming: Streaming,
		private readonly clock: () => number,
	) {}

	async convert(
		campaign: Campaign,
		platform: StreamingPlatformName,
		release: PlatformRelease,
		progress: FutureSaveProgress,
	): Promise<void> {
		const agreedBy = Date.parse(campaign.releaseAtUtc) + LOCAL_MIDNIGHT_SLACK_MS;
		const window = new AdaptiveConcurrency({
			requestsPerSecond: this.streaming.platform(platform).requestsPerSecond,
		});
		let cursor = '';
		try {
			for (;;) {
				const batch = await this.store.all<DueAgreement>(
					`SELECT con.id, con.fan_id, con.action_id, f.timezone
				 FROM consents con JOIN actions a ON a.id = con.action_id JOIN campaigns c ON c.id = a.campaign_id
				 JOIN fans f ON f.id = con.fan_id
				 WHERE c.artist_id = $1 AND con.purpose = $2 AND con.channel = $3 AND con.status = 'granted'
				 AND con.confirmed_at <= $4 AND con.id > $5 AND f.erased_at IS NULL AND f.merged_into IS NULL
				 AND NOT EXISTS (SELECT 1 FROM actions s WHERE s.idempotency_key = CAST($6 AS TEXT) || con.fan_id || CAST($7 AS TEXT)
					AND s.status IN ('done', 'failed'))
				 ORDER BY con.id LIMIT $8`,
					[
						campaign.artistId,
						FUTURE_SAVES_PURPOSE,
						platform,
						agreedBy,
						cursor,
						`save:${campaign.id}:`,
						`:${platform}`,
						BATCH_SIZE,
					],
				);
				if (batch.length === 0) return;
				cursor = batch[batch.length - 1].id;
				const now = this.clock();
				const due = batch.filter(
					(agreement) => releaseInstantFor(campaign, agreement.timezone) <= now,
				);
				progress.waiting += batch.length - due.length;
				for (const agreement of due) {
					await window.start(async () => {
						try {
							const outcome = await this.streaming.saveFoundRelease(campaign, release, {
								fanId: agreement.fan_id,
								platform,
								parentActionId: agreement.action_id,
							});
							if (outcome.status === 'done') progress.converted++;
							else if (outcome.status === 'reconsent') progress.reconsent++;
							else if (outcome.status === 'failed') progress.failed++;
							else progress.waiting++;
						} catch {
							// A passing failure: the next pass picks this fan up.
							progress.waiting++;
						}
					});
				}
			}
		} finally {
			await window.idle();
		}
	}
}
