import type { SqlStore } from '../../store/sql-store';
import { MS_PER_DAY, Params, scopedCtes, type InsightsScope } from './scope';

/** Fans by how many owned channels reach them now: '0', '1', '2', '3+'. */
export type Reachability = { channels: '0' | '1' | '2' | '3+'; fans: number }[];

/**
 * An owned channel is one the artist can reach the fan on without a platform's
 * algorithm: a granted consent (SMS, email, a chat's release updates) or a bot chat the
 * fan opened and has not blocked since.
 */
export async function reachabilityOf(store: SqlStore, scope: InsightsScope): Promise<Reachability> {
	const params = new Params();
	const rows = await store.all<{ channels: number; fans: number }>(
		`${scopedCtes(scope, params)},
		owned AS (
			SELECT c.fan_id, c.channel FROM consents c JOIN entry_fans ef ON ef.fan_id = c.fan_id WHERE c.status = 'granted'
			UNION
			SELECT a.fan_id, a.platform AS channel FROM actions a JOIN entry_fans ef ON ef.fan_id = a.fan_id
			WHERE a.kind = 'click' AND a.platform IN ('telegram', 'discord') AND a.status = 'done'
			AND NOT EXISTS (
				SELECT 1 FROM actions b WHERE b.fan_id = a.fan_id AND b.platform = a.platform AND b.status = 'failed'
				AND b.kind IN ('join_telegram', 'join_discord') AND b.id > a.id
			)
		),
		per_fan AS (
			SELECT ef.fan_id, COUNT(DISTINCT o.channel) AS channels FROM entry_fans ef LEFT JOIN owned o ON o.fan_id = ef.fan_id
			GROUP BY ef.fan_id
		)
		SELECT channels, COUNT(*) AS fans FROM per_fan GROUP BY channels`,
		params.values,
	);
	const buckets: Reachability = [
		{ channels: '0', fans: 0 },
		{ channels: '1', fans: 0 },
		{ channels: '2', fans: 0 },
		{ channels: '3+', fans: 0 },
	];
	for (const row of rows) buckets[Math.min(Number(row.channels), 3)].fans += Number(row.fans);
	return buckets;
}

/** A stretch of time one owned channel reached a fan: from its grant (or chat start) until revoked (or blocked). */
interface ReachSpan {
	fan_id: string;
	from_ms: number;
	to_ms: number | null;
}

/**
 * How reachability changed over the campaign: for each day, the fans an owned channel
 * reached at that day's end (UTC), from when each consent was granted or chat opened
 * until it was revoked or blocked.
 */
export async function reachableByDay(
	store: SqlStore,
	scope: InsightsScope,
	days: string[],
): Promise<Map<string, number>> {
	const params = new Params();
	const spans = await store.all<ReachSpan>(
		`${scopedCtes(scope, params)}
		SELECT c.fan_id, c.confirmed_at AS from_ms, c.revoked_at AS to_ms
		FROM consents c JOIN entry_fans ef ON ef.fan_id = c.fan_id
		WHERE c.confirmed_at IS NOT NULL AND c.status IN ('granted', 'revoked')
		UNION ALL
		SELECT a.fan_id, a.created_at AS from_ms, (
			SELECT MIN(b.created_at) FROM actions b WHERE b.fan_id = a.fan_id AND b.platform = a.platform AND b.status = 'failed'
			AND b.kind IN ('join_telegram', 'join_discord') AND b.id > a.id
		) AS to_ms
		FROM actions a JOIN entry_fans ef ON ef.fan_id = a.fan_id
		WHERE a.kind = 'click' AND a.platform IN ('telegram', 'discord') AND a.status = 'done'`,
		params.values,
	);
	const reachable = new Map<string, number>();
	for (const day of days) {
		const endMs = Date.parse(`${day}T00:00:00Z`) + MS_PER_DAY;
		const fans = new Set<string>();
		for (const span of spans) {
			const toMs = span.to_ms === null ? null : Number(span.to_ms);
			if (Number(span.from_ms) < endMs && (toMs === null || toMs >= endMs)) fans.add(span.fan_id);
		}
		reachable.set(day, fans.size);
	}
	return reachable;
}
