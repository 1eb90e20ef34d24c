import type { SqlValue } from '../../store/sql-store';

/** What a marketer narrows insights to: a window of time (epoch ms, `to` exclusive) and a source. */
export interface InsightsFilter {
	fromMs?: number;
	toMs?: number;
	/** The page link's `src`/`utm_source` for page counts, the action's `source` for ledger figures. */
	source?: string;
}

export interface InsightsScope extends InsightsFilter {
	campaignIds: string[];
}

export const MS_PER_DAY = 86_400_000;

/** Statuses that mean the fan did not (yet) take the step: never counted as a layer taken. */
export const NOT_TAKEN = `('failed', 'skipped')`;

/**
 * The layer an action belongs to. A Telegram /start (a click in the bot's chat) is the
 * Telegram layer as much as the join that follows it; the same holds for Discord.
 */
export function layerOf(alias: string): string {
	return `CASE
		WHEN ${alias}.kind = 'optin_sms' THEN 'sms'
		WHEN ${alias}.kind = 'optin_email' THEN 'email'
		WHEN ${alias}.kind = 'join_telegram' OR (${alias}.kind = 'click' AND ${alias}.platform = 'telegram') THEN 'telegram'
		WHEN ${alias}.kind = 'join_discord' OR (${alias}.kind = 'click' AND ${alias}.platform = 'discord') THEN 'discord'
		ELSE ${alias}.kind END`;
}

/** Collects parameters as a query is written, so each fragment names its own `$n`. */
export class Params {
	readonly values: SqlValue[] = [];

	add(value: SqlValue): string {
		this.values.push(value);
		return `$${this.values.length}`;
	}

	list(values: readonly SqlValue[]): string {
		return values.map((value) => this.add(value)).join(', ');
	}
}

/**
 * The common start of every fan-level query: `scoped` (the scope's actions in the
 * window) and `entry_fans` (each fan's first action there, which is how they came in,
 * with that action's source as `entry_source`). Ids are time-ordered, so the smallest id
 * is the first action. `fanIds` narrows it to some fans: their share of every figure.
 */
export function scopedCtes(
	scope: InsightsScope,
	params: Params,
	fanIds?: readonly string[],
): string {
	const window = [
		scope.fromMs === undefined ? '' : `AND a.created_at >= ${params.add(scope.fromMs)}`,
		scope.toMs === undefined ? '' : `AND a.created_at < ${params.add(scope.toMs)}`,
		fanIds === undefined
			? ''
			: `AND a.fan_id IN (${fanIds.length > 0 ? params.list(fanIds) : 'NULL'})`,
	].join(' ');
	const campaigns = scope.campaignIds.length > 0 ? params.list(scope.campaignIds) : 'NULL';
	return `WITH scoped AS (
			SELECT a.id, a.fan_id, a.campaign_id, a.kind, a.platform, a.status, a.source, a.parent_action_id, a.created_at
			FROM actions a WHERE a.campaign_id IN (${campaigns}) ${window}
		),
		entries AS (
			SELECT s.fan_id, MIN(s.id) AS entry_id FROM scoped s WHERE s.status NOT IN ${NOT_TAKEN} GROUP BY s.fan_id
		),
		entry_fans AS (
			SELECT e.fan_id, e.entry_id, ${layerOf('x')} AS entry_layer, COALESCE(x.source, '') AS entry_source
			FROM entries e JOIN actions x ON x.id = e.entry_id
		)`;
}

/** The UTC calendar day (YYYY-MM-DD) of an epoch-ms instant. */
export function dayOf(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}
