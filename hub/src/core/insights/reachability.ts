import type { FanShare, FigureRow } from './figures';
import { rowsOf } from './figures';
import { MS_PER_DAY } from './scope';

/** Fans by how many owned channels reach them now: '0', '1', '2', '3+'. */
export type Reachability = { channels: '0' | '1' | '2' | '3+'; fans: number }[];

/**
 * An owned channel is one the artist can reach the fan on without a platform's
 * algorithm: a granted consent (SMS, email, a chat's release updates) or a bot chat the
 * fan opened and has not blocked since. Each fan's share: how many they have now.
 */
export const CHANNEL_SHARES = `SELECT ef.fan_id, ef.entry_source, 'channels' AS measure,
		CAST(COUNT(DISTINCT o.channel) AS TEXT) AS d1, '' AS d2, 1 AS value
	FROM entry_fans ef LEFT JOIN (
		SELECT c.fan_id, c.channel FROM consents c JOIN entry_fans ce ON ce.fan_id = c.fan_id WHERE c.status = 'granted'
		UNION
		SELECT a.fan_id, a.platform AS channel FROM actions a JOIN entry_fans ae ON ae.fan_id = a.fan_id
		WHERE a.kind = 'click' AND a.platform IN ('telegram', 'discord') AND a.status = 'done'
		AND NOT EXISTS (
			SELECT 1 FROM actions b WHERE b.fan_id = a.fan_id AND b.platform = a.platform AND b.status = 'failed'
			AND b.kind IN ('join_telegram', 'join_discord') AND b.id > a.id
		)
	) o ON o.fan_id = ef.fan_id
	GROUP BY ef.fan_id, ef.entry_source`;

export function reachabilityOf(figures: readonly FigureRow[]): Reachability {
	const buckets: Reachability = [
		{ channels: '0', fans: 0 },
		{ channels: '1', fans: 0 },
		{ channels: '2', fans: 0 },
		{ channels: '3+', fans: 0 },
	];
	for (const row of rowsOf(figures, 'channels'))
		buckets[Math.min(Number(row.d1), 3)].fans += row.fans;
	return buckets;
}

/** A stretch of time one owned channel reached a fan: from its grant (or chat start) until revoked (or blocked). */
export interface ReachSpan {
	fan_id: string;
	entry_source: string;
	from_ms: number;
	to_ms: number | null;
}

export const REACH_SPANS = `SELECT c.fan_id, ef.entry_source, c.confirmed_at AS from_ms, c.revoked_at AS to_ms
	FROM consents c JOIN entry_fans ef ON ef.fan_id = c.fan_id
	WHERE c.confirmed_at IS NOT NULL AND c.status IN ('granted', 'revoked')
	UNION ALL
	SELECT a.fan_id, ef.entry_source, a.created_at AS from_ms, (
		SELECT MIN(b.created_at) FROM actions b WHERE b.fan_id = a.fan_id AND b.platform = a.platform AND b.status = 'failed'
		AND b.kind IN ('join_telegram', 'join_discord') AND b.id > a.id
	) AS to_ms
	FROM actions a JOIN entry_fans ef ON ef.fan_id = a.fan_id
	WHERE a.kind = 'click' AND a.platform IN ('telegram', 'discord') AND a.status = 'done'`;

/**
 * Each fan's share of "reachable at a day's end" as changes: +1 on the first day (epoch
 * day number) an owned channel reached them at its end, −1 on the first day none did.
 * A span reaches the end of day D when it starts before that end and lasts until it or
 * later; a fan reached by several overlapping spans counts once.
 */
export function reachChangeShares(spans: readonly ReachSpan[]): FanShare[] {
	const byFan = new Map<string, { entrySource: string; days: [number, number][] }>();
	for (const span of spans) {
		const first = Math.floor(Number(span.from_ms) / MS_PER_DAY);
		const last =
			span.to_ms === null ? Infinity : Math.floor((Number(span.to_ms) - MS_PER_DAY) / MS_PER_DAY);
		if (last < first) continue;
		let fan = byFan.get(span.fan_id);
		if (!fan) byFan.set(span.fan_id, (fan = { entrySource: span.entry_source, days: [] }));
		fan.days.push([first, last]);
	}
	const shares: FanShare[] = [];
	for (const [fanId, { entrySource, days }] of byFan) {
		const changes = new Map<number, number>();
		const change = (day: number, by: number) => changes.set(day, (changes.get(day) ?? 0) + by);
		days.sort((a, b) => a[0] - b[0]);
		let [first, last] = days[0];
		const reached = () => {
			change(first, 1);
			if (last !== Infinity) change(last + 1, -1);
		};
		for (const [from, to] of days.slice(1)) {
			if (from <= last + 1) {
				last = Math.max(last, to);
				continue;
			}
			reached();
			[first, last] = [from, to];
		}
		reached();
		for (const [day, value] of changes)
			if (value !== 0)
				shares.push({
					fan_id: fanId,
					entry_source: entrySource,
					measure: 'reach_change',
					d1: String(day),
					d2: '',
					value,
				});
	}
	return shares;
}

/** Fans an owned channel reached at the end of each of `days` (UTC, YYYY-MM-DD). */
export function reachableOn(figures: readonly FigureRow[], days: string[]): Map<string, number> {
	const changes = rowsOf(figures, 'reach_change')
		.map((row) => ({ day: Number(row.d1), by: row.total }))
		.sort((a, b) => a.day - b.day);
	const reachable = new Map<string, number>();
	for (const day of days) {
		const dayNumber = Date.parse(`${day}T00:00:00Z`) / MS_PER_DAY;
		let fans = 0;
		for (const change of changes) {
			if (change.day > dayNumber) break;
			fans += change.by;
		}
		reachable.set(day, fans);
	}
	return reachable;
}
