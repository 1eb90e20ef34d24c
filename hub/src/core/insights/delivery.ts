import type { SqlStore } from '../../store/sql-store';
import { NOT_TAKEN, Params, scopedCtes, type InsightsScope } from './scope';

/** Where each pre-save stands on release day, as a marketer reads it. */
export const DELIVERY_STATES = ['delivered', 'waiting', 'needs_reconnect', 'refused'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export type PlatformDelivery = { platform: string } & Record<DeliveryState, number>;

/**
 * Release-day delivery per platform: saved in the fan's library; still waiting (the
 * release is not visible or not midnight for the fan yet); the fan must reconnect
 * (the platform grant expired or was withdrawn); or the platform refused the save.
 */
export async function deliveryOf(
	store: SqlStore,
	scope: InsightsScope,
): Promise<PlatformDelivery[]> {
	const params = new Params();
	const rows = await store.all<{ platform: string; state: DeliveryState; count: number }>(
		`${scopedCtes(scope, params)}
		SELECT p.platform,
			CASE
				WHEN EXISTS (SELECT 1 FROM actions s WHERE s.parent_action_id = p.id AND s.kind = 'save' AND s.status = 'done') THEN 'delivered'
				WHEN EXISTS (SELECT 1 FROM tokens t WHERE t.fan_id = p.fan_id AND t.platform = p.platform AND t.status <> 'valid') THEN 'needs_reconnect'
				WHEN EXISTS (SELECT 1 FROM actions s WHERE s.parent_action_id = p.id AND s.kind = 'save' AND s.status = 'failed') THEN 'refused'
				ELSE 'waiting'
			END AS state,
			COUNT(*) AS count
		FROM scoped p JOIN entry_fans ef ON ef.fan_id = p.fan_id
		WHERE p.kind = 'presave' AND p.status NOT IN ${NOT_TAKEN}
		GROUP BY 1, 2 ORDER BY 1, 2`,
		params.values,
	);
	const byPlatform = new Map<string, PlatformDelivery>();
	for (const row of rows) {
		let platform = byPlatform.get(row.platform);
		if (!platform) {
			platform = {
				platform: row.platform,
				delivered: 0,
				waiting: 0,
				needs_reconnect: 0,
				refused: 0,
			};
			byPlatform.set(row.platform, platform);
		}
		platform[row.state] += Number(row.count);
	}
	return [...byPlatform.values()];
}
