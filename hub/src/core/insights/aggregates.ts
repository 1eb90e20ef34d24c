import type { SqlExecutor, SqlStore } from '../../store/sql-store';
import { figureRow, SHARE_SOURCE, type FanShare, type FigureRow } from './figures';
import { Params } from './scope';
import { reachSharesOf, sharesSql } from './shares';

const FOLD_BATCH_FANS = 500;
const ROWS_PER_INSERT = 200;

/** What kept figures are summed over: one campaign, or all of one artist's campaigns. */
interface KeptScope {
	id: string;
	campaignIds: string[];
	/** An artist with one campaign: their figures are that campaign's, copied rather than computed twice. */
	sameAs?: string;
}

type ShareKey = Omit<FanShare, 'fan_id' | 'value'> & { scope_id: string };

/**
 * Figures kept beside the ledger, so a report reads a few hundred summed rows instead of
 * the campaign's actions. `insights_fan_shares` holds each fan's shares per scope (a
 * campaign, and its artist); `insights_totals` their sums. Ledger writes mark the fans
 * they touch (stale-fans.ts); `fold` swaps those fans' old shares for new ones before a
 * report is read, and `rebuild` recomputes everything from the ledger.
 */
export class InsightsAggregates {
	constructor(private readonly store: SqlStore) {}

	/**
	 * Brings the kept figures in step with every write committed so far, a batch of fans per
	 * transaction so ledger writes go on between batches. A fan whose write is still open
	 * (its mark locked, on PostgreSQL) is skipped: that write is not part of what was asked.
	 */
	async fold(): Promise<void> {
		if (!(await this.store.get('SELECT fan_id FROM insights_stale_fans LIMIT 1'))) return;
		// Folds and rebuilds hold the migration lock: two of them never rewrite the same fan's shares at once.
		while ((await this.store.exclusive((tx) => this.foldBatch(tx))) > 0);
	}

	/**
	 * Recomputes every kept figure from the ledger in one transaction: `insights rebuild`, for
	 * a ledger filled or repaired outside the hub. (The migration that adds the figures marks
	 * every fan instead, and the first report folds them in.)
	 */
	async rebuild(): Promise<{ scopes: number; shares: number }> {
		return this.store.exclusive(async (tx) => {
			const claimed = await this.claimStale(tx);
			await tx.run('DELETE FROM insights_fan_shares');
			await tx.run('DELETE FROM insights_totals');
			const scopes = await scopesOf(tx);
			for (const scope of scopes) await keepShares(tx, scope);
			await tx.run(
				`INSERT INTO insights_totals (scope_id, measure, entry_source, d1, d2, fans, total)
				 SELECT scope_id, measure, entry_source, d1, d2, COUNT(*), SUM(value) FROM insights_fan_shares
				 GROUP BY scope_id, measure, entry_source, d1, d2`,
			);
			await forEachChunk(claimed, FOLD_BATCH_FANS, (fanIds) => unmarkStale(tx, fanIds));
			const shares = await tx.get<{ rows: number }>(
				'SELECT COUNT(*) AS rows FROM insights_fan_shares',
			);
			return { scopes: scopes.length, shares: Number(shares?.rows ?? 0) };
		});
	}

	/** A scope's kept figures, narrowed to fans who came in through `source` when given. */
	async figures(scopeId: string, source?: string): Promise<FigureRow[]> {
		const params = new Params();
		const where = [
			`scope_id = ${params.add(scopeId)}`,
			source === undefined ? undefined : `${SHARE_SOURCE} = ${params.add(source)}`,
		].filter(Boolean);
		const rows = await this.store.all<FigureRow>(
			`SELECT measure, d1, d2, SUM(fans) AS fans, SUM(total) AS total FROM insights_totals
			 WHERE ${where.join(' AND ')}
			 GROUP BY measure, d1, d2 HAVING SUM(fans) > 0 ORDER BY measure, d1, d2`,
			params.values,
		);
		return rows.map(figureRow);
	}

	/** Fans who took a step in the earlier campaign, and of them who came back to the next, by the layer they came back through. */
	async returnBetween(
		previousId: string,
		nextId: string,
	): Promise<{ fans: number; byLayer: { layer: string; fans: number }[] }> {
		// A fan's entry row (the layer they came in by, beside itself) marks a fan who took a step there.
		const earlier = await this.store.get<{ fans: number }>(
			`SELECT COALESCE(SUM(fans), 0) AS fans FROM insights_totals WHERE scope_id = $1 AND measure = 'taken' AND d1 = d2`,
			[previousId],
		);
		const rows = await this.store.all<{ layer: string; fans: number }>(
			`SELECT n.d1 AS layer, COUNT(*) AS fans FROM insights_fan_shares n
			 JOIN insights_fan_shares p ON p.scope_id = $1 AND p.measure = 'taken' AND p.fan_id = n.fan_id AND p.d1 = p.d2
			 WHERE n.scope_id = $2 AND n.measure = 'taken' AND n.d1 = n.d2
			 GROUP BY n.d1 ORDER BY 2 DESC, 1`,
			[previousId, nextId],
		);
		return {
			fans: Number(earlier?.fans ?? 0),
			byLayer: rows.map((row) => ({ layer: row.layer, fans: Number(row.fans) })),
		};
	}

	private async claimStale(tx: SqlExecutor, limit?: number): Promise<string[]> {
		const rows = await tx.all<{ fan_id: string }>(
			`SELECT fan_id FROM insights_stale_fans ORDER BY fan_id${limit === undefined ? '' : ` LIMIT ${limit}`}${this.store.dialect.claimRowsSuffix}`,
		);
		return rows.map((row) => row.fan_id);
	}

	/** Swaps some marked fans' shares for ones read from the ledger now, and moves the totals by the difference. */
	private async foldBatch(tx: SqlExecutor): Promise<number> {
		const fanIds = await this.claimStale(tx, FOLD_BATCH_FANS);
		if (fanIds.length === 0) return 0;
		const before = await sharesOfFans(tx, fanIds);
		const list = new Params();
		await tx.run(
			`DELETE FROM insights_fan_shares WHERE fan_id IN (${list.list(fanIds)})`,
			list.values,
		);
		for (const scope of await scopesOf(tx, fanIds)) await keepShares(tx, scope, fanIds);
		const after = await sharesOfFans(tx, fanIds);
		await addToTotals(tx, before, after);
		await unmarkStale(tx, fanIds);
		return fanIds.length;
	}
}

/** Every campaign and artist, or those some fans acted in. */
async function scopesOf(tx: SqlExecutor, fanIds?: readonly string[]): Promise<KeptScope[]> {
	const params = new Params();
	const campaigns = await tx.all<{ id: string; artist_id: string | null }>(
		fanIds === undefined
			? 'SELECT id, artist_id FROM campaigns ORDER BY id'
			: `SELECT id, artist_id FROM campaigns WHERE id IN (
				SELECT campaign_id FROM actions WHERE fan_id IN (${params.list(fanIds)})
			) ORDER BY id`,
		params.values,
	);
	const artistIds = [...new Set(campaigns.flatMap((campaign) => campaign.artist_id ?? []))];
	const artistParams = new Params();
	const artistCampaigns =
		artistIds.length === 0
			? []
			: await tx.all<{ id: string; artist_id: string }>(
					`SELECT id, artist_id FROM campaigns WHERE artist_id IN (${artistParams.list(artistIds)}) ORDER BY id`,
					artistParams.values,
				);
	return [
		...campaigns.map((campaign) => ({ id: campaign.id, campaignIds: [campaign.id] })),
		...artistIds.map((artistId): KeptScope => {
			const campaignIds = artistCampaigns
				.filter((campaign) => campaign.artist_id === artistId)
				.map((campaign) => campaign.id);
			return {
				id: artistId,
				campaignIds,
				...(campaignIds.length === 1 ? { sameAs: campaignIds[0] } : {}),
			};
		}),
	];
}

/**
 * Computes a scope's shares from the ledger (all its fans, or some) and keeps them.
 * Campaigns come before artists, so an artist's only campaign is kept before its copy.
 */
async function keepShares(
	tx: SqlExecutor,
	scope: KeptScope,
	fanIds?: readonly string[],
): Promise<void> {
	if (scope.sameAs !== undefined) {
		const copy = new Params();
		const ofFans = fanIds === undefined ? '' : `AND fan_id IN (${copy.list(fanIds)})`;
		await tx.run(
			`INSERT INTO insights_fan_shares (scope_id, fan_id, entry_source, measure, d1, d2, value)
			 SELECT ${copy.add(scope.id)}, fan_id, entry_source, measure, d1, d2, value FROM insights_fan_shares
			 WHERE scope_id = ${copy.add(scope.sameAs)} ${ofFans}`,
			copy.values,
		);
		return;
	}
	const params = new Params();
	const shares = sharesSql({ campaignIds: scope.campaignIds }, params, fanIds);
	await tx.run(
		`INSERT INTO insights_fan_shares (scope_id, fan_id, entry_source, measure, d1, d2, value)
		 SELECT ${params.add(scope.id)}, x.fan_id, x.entry_source, x.measure, x.d1, x.d2, x.value FROM (${shares}) x`,
		params.values,
	);
	const reach = await reachSharesOf(tx, { campaignIds: scope.campaignIds }, fanIds);
	await forEachChunk(reach, ROWS_PER_INSERT, async (chunk) => {
		const values = new Params();
		const tuples = chunk.map(
			(share) =>
				`(${values.list([scope.id, share.fan_id, share.entry_source, share.measure, share.d1, share.d2, share.value])})`,
		);
		await tx.run(
			`INSERT INTO insights_fan_shares (scope_id, fan_id, entry_source, measure, d1, d2, value) VALUES ${tuples.join(', ')}`,
			values.values,
		);
	});
}

async function sharesOfFans(
	tx: SqlExecutor,
	fanIds: readonly string[],
): Promise<(ShareKey & { value: number })[]> {
	const params = new Params();
	return tx.all(
		`SELECT scope_id, entry_source, measure, d1, d2, value FROM insights_fan_shares WHERE fan_id IN (${params.list(fanIds)})`,
		params.values,
	);
}

/** Moves the totals from the fans' old shares to their new ones; a figure no fan holds any more goes. */
async function addToTotals(
	tx: SqlExecutor,
	before: readonly (ShareKey & { value: number })[],
	after: readonly (ShareKey & { value: number })[],
): Promise<void> {
	const changes = new Map<string, { key: ShareKey; fans: number; total: number }>();
	const change = (share: ShareKey & { value: number }, sign: 1 | -1) => {
		const key: ShareKey = {
			scope_id: share.scope_id,
			measure: share.measure,
			entry_source: share.entry_source,
			d1: share.d1,
			d2: share.d2,
		};
		const id = JSON.stringify(Object.values(key));
		let row = changes.get(id);
		if (!row) changes.set(id, (row = { key, fans: 0, total: 0 }));
		row.fans += sign;
		row.total += sign * Number(share.value);
	};
	for (const share of before) change(share, -1);
	for (const share of after) change(share, 1);
	// In key order, so two folds moving the same totals lock them in the same order.
	const moved = [...changes]
		.filter(([, row]) => row.fans !== 0 || row.total !== 0)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
		.map(([, row]) => row);
	await forEachChunk(moved, ROWS_PER_INSERT, async (chunk) => {
		const values = new Params();
		const tuples = chunk.map(
			({ key, fans, total }) =>
				`(${values.list([key.scope_id, key.measure, key.entry_source, key.d1, key.d2, fans, total])})`,
		);
		await tx.run(
			`INSERT INTO insights_totals (scope_id, measure, entry_source, d1, d2, fans, total) VALUES ${tuples.join(', ')}
			 ON CONFLICT (scope_id, measure, entry_source, d1, d2)
			 DO UPDATE SET fans = insights_totals.fans + excluded.fans, total = insights_totals.total + excluded.total`,
			values.values,
		);
	});
	const scopeIds = [...new Set(moved.map((row) => row.key.scope_id))];
	await forEachChunk(scopeIds, ROWS_PER_INSERT, async (chunk) => {
		const params = new Params();
		await tx.run(
			`DELETE FROM insights_totals WHERE fans = 0 AND scope_id IN (${params.list(chunk)})`,
			params.values,
		);
	});
}

async function unmarkStale(tx: SqlExecutor, fanIds: readonly string[]): Promise<void> {
	const params = new Params();
	await tx.run(
		`DELETE FROM insights_stale_fans WHERE fan_id IN (${params.list(fanIds)})`,
		params.values,
	);
}

async function forEachChunk<T>(
	items: readonly T[],
	size: number,
	work: (chunk: T[]) => Promise<unknown>,
): Promise<void> {
	for (let start = 0; start < items.length; start += size)
		await work(items.slice(start, start + size));
}
