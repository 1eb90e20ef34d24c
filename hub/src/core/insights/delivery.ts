import { rowsOf, type FigureRow } from './figures';
import { NOT_TAKEN } from './scope';

/** Where each pre-save stands on release day, as a marketer reads it. */
export const DELIVERY_STATES = ['delivered', 'waiting', 'needs_reconnect', 'refused'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export type PlatformDelivery = { platform: string } & Record<DeliveryState, number>;

/**
 * Release-day delivery per platform: saved in the fan's library; still waiting (the
 * release is not visible or not midnight for the fan yet); the fan must reconnect
 * (the platform grant expired or was withdrawn); or the platform refused the save.
 */
export function deliveryOf(figures: readonly FigureRow[]): PlatformDelivery[] {
	const byPlatform = new Map<string, PlatformDelivery>();
	for (const row of rowsOf(figures, 'delivery')) {
		let platform = byPlatform.get(row.d1);
		if (!platform) {
			platform = { platform: row.d1, delivered: 0, waiting: 0, needs_reconnect: 0, refused: 0 };
			byPlatform.set(row.d1, platform);
		}
		platform[row.d2 as DeliveryState] += row.total;
	}
	return [...byPlatform.values()];
}

/** Each fan's pre-saves by platform and where they stand. */
export const DELIVERY_SHARES = `SELECT p.fan_id, ef.entry_source, 'delivery' AS measure, COALESCE(p.platform, '') AS d1,
		CASE
			WHEN EXISTS (SELECT 1 FROM actions s WHERE s.parent_action_id = p.id AND s.kind = 'save' AND s.status = 'done') THEN 'delivered'
			WHEN EXISTS (SELECT 1 FROM tokens t WHERE t.fan_id = p.fan_id AND t.platform = p.platform AND t.status <> 'valid') THEN 'needs_reconnect'
			WHEN EXISTS (SELECT 1 FROM actions s WHERE s.parent_action_id = p.id AND s.kind = 'save' AND s.status = 'failed') THEN 'refused'
			ELSE 'waiting'
		END AS d2,
		COUNT(*) AS value
	FROM scoped p JOIN entry_fans ef ON ef.fan_id = p.fan_id
	WHERE p.kind = 'presave' AND p.status NOT IN ${NOT_TAKEN}
	GROUP BY 1, 2, 4, 5`;
