import { Actions } from './actions';
import { ApiKeys } from './api-keys';
import { Artists } from './artists';
import { Campaigns } from './campaigns';
import { Consents } from './consents';
import { HubError } from './errors';
import { Fans } from './fans';
import { PageCounters } from './insights/page-counters';
import { FutureSaves } from './future-saves';
import { LayerPlanner } from './layers';
import type { Action, Consent, Fan, TokenSummary } from './model';
import { Sealer } from './sealing';
import { Tokens } from './tokens';
import { Webhooks } from './webhooks';
import { toAction, type ActionRow } from './actions';
import { migrate } from '../store/migrations';
import type { SqlStore } from '../store/sql-store';

const KEY_CHECK = 'sealing_key_check';
const KEY_CHECK_PLAINTEXT = 'fanloop sealing key check';

export interface LedgerOptions {
	store: SqlStore;
	sealingKey: Buffer;
	clock?: () => number;
	/** Called after a transaction that queued events commits, so delivery need not wait for its next poll. */
	onEventQueued?: () => void;
}

export interface FanExport {
	fan: Fan;
	consents: Consent[];
	actions: Action[];
	tokens: TokenSummary[];
}

/** The fan ledger: one object over one store, whatever the database. */
export class Ledger {
	readonly fans: Fans;
	readonly actions: Actions;
	readonly artists: Artists;
	readonly campaigns: Campaigns;
	readonly consents: Consents;
	readonly futureSaves: FutureSaves;
	readonly tokens: Tokens;
	readonly webhooks: Webhooks;
	readonly apiKeys: ApiKeys;
	readonly layers: LayerPlanner;
	/** The process's one set of page counters: the views it counts are kept together until written. */
	readonly pageCounters: PageCounters;
	readonly sealer: Sealer;

	private constructor(
		readonly store: SqlStore,
		sealer: Sealer,
		clock: () => number,
		onEventQueued: () => void,
	) {
		this.sealer = sealer;
		this.fans = new Fans(store, clock);
		this.webhooks = new Webhooks(store, sealer, clock);
		this.actions = new Actions(store, this.fans, this.webhooks, clock, onEventQueued);
		this.artists = new Artists(store, clock);
		this.campaigns = new Campaigns(store, this.artists, clock);
		this.consents = new Consents(store, this.fans, clock);
		this.futureSaves = new FutureSaves(
			store,
			this.fans,
			this.actions,
			this.consents,
			clock,
			onEventQueued,
		);
		this.tokens = new Tokens(store, this.fans, sealer, clock);
		this.apiKeys = new ApiKeys(store, clock);
		this.layers = new LayerPlanner(store, this.fans, this.campaigns);
		this.pageCounters = new PageCounters(store, clock);
	}

	/** Migrates the store and proves the sealing key is the one this ledger was sealed with. */
	static async open(options: LedgerOptions): Promise<Ledger> {
		const sealer = new Sealer(options.sealingKey);
		await migrate(options.store);
		await Ledger.checkSealingKey(options.store, sealer);
		return new Ledger(
			options.store,
			sealer,
			options.clock ?? Date.now,
			options.onEventQueued ?? (() => undefined),
		);
	}

	/** Everything the ledger holds about a fan, consent proof included, tokens as metadata only. */
	async exportFan(fanId: string): Promise<FanExport> {
		const fan = await this.fans.get(fanId);
		const actions = await this.store.all<ActionRow>(
			'SELECT * FROM actions WHERE fan_id = $1 ORDER BY id',
			[fan.id],
		);
		return {
			fan,
			consents: await this.consents.list(fan.id),
			actions: actions.map(toAction),
			tokens: await this.tokens.summaries(fan.id),
		};
	}

	async close(): Promise<void> {
		// The views counted in the last second are written before the store goes; a failure loses only those.
		await this.pageCounters.flush().catch(() => undefined);
		await this.store.close();
	}

	/**
	 * A sealed canary, written on first start: a wrong key is refused at start with a
	 * clear message, not discovered later when a token will not open.
	 */
	private static async checkSealingKey(store: SqlStore, sealer: Sealer): Promise<void> {
		await store.transaction(async (tx) => {
			const row = await tx.get<{ value: string }>('SELECT value FROM hub_meta WHERE key = $1', [
				KEY_CHECK,
			]);
			if (!row) {
				await tx.run(
					'INSERT INTO hub_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
					[KEY_CHECK, sealer.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK)],
				);
				return;
			}
			try {
				sealer.unseal(row.value, KEY_CHECK);
			} catch {
				throw new HubError(
					'sealing_key_mismatch',
					'FANLOOP_SEALING_KEY is not the key this ledger was sealed with. Start the hub with the original key; without it, stored tokens and webhook secrets cannot be opened.',
				);
			}
		});
	}
}
