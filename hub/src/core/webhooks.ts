import { randomBytes } from 'node:crypto';
import { campaignIdOf } from './campaigns';
import { HubError } from './errors';
import { EVENT_TYPES, type EventType, type HubEvent } from './events';
import { newId } from './ids';
import { iso } from './model';
import type { Sealer } from './sealing';
import type { SqlExecutor, SqlStore } from '../store/sql-store';

export type EventFilter = EventType | '*';

export interface WebhookSubscription {
	id: string;
	url: string;
	events: EventFilter[];
	campaignId: string | null;
	createdAt: string;
}

interface SubscriptionRow {
	id: string;
	url: string;
	sealed_secret: string;
	events: string;
	campaign_id: string | null;
	created_at: number;
}

function toSubscription(row: SubscriptionRow): WebhookSubscription {
	return {
		id: row.id,
		url: row.url,
		events: JSON.parse(row.events) as EventFilter[],
		campaignId: row.campaign_id,
		createdAt: iso(row.created_at),
	};
}

function secretContext(subscriptionId: string): string {
	return `webhook-secret:${subscriptionId}`;
}

/**
 * `"<type>"` as it stands in a subscription's JSON list of event filters, escaped for LIKE.
 * The statement wraps it in `%`: SQLite prepares a statement anew each time a LIKE pattern
 * bound as a whole parameter is bound (its LIKE optimization may depend on the value), which
 * cost every recorded action ~40us; a pattern built in the SQL is not looked at.
 */
function filterPattern(filter: string): string {
	return JSON.stringify(filter).replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Subscriptions (one per Fanloop Trigger) and the outbox that feeds them. */
export class Webhooks {
	constructor(
		private readonly store: SqlStore,
		private readonly sealer: Sealer,
		private readonly clock: () => number,
	) {}

	async create(input: {
		url: string;
		events: EventFilter[];
		campaignId?: string | null;
	}): Promise<{ webhook: WebhookSubscription; secret: string }> {
		const unknown = input.events.filter((type) => type !== '*' && !EVENT_TYPES.includes(type));
		if (unknown.length > 0 || input.events.length === 0) {
			throw new HubError(
				'validation_failed',
				`Choose at least one event type from: ${EVENT_TYPES.join(', ')} (or * for all).`,
			);
		}
		// Resolved now, so that a Trigger filtering by slug matches the events, which carry the id.
		const campaignId = input.campaignId ? await campaignIdOf(this.store, input.campaignId) : null;
		const id = newId('wh', this.clock());
		const secret = randomBytes(32).toString('base64url');
		const row: SubscriptionRow = {
			id,
			url: input.url,
			sealed_secret: this.sealer.seal(secret, secretContext(id)),
			events: JSON.stringify([...new Set(input.events)]),
			campaign_id: campaignId,
			created_at: this.clock(),
		};
		await this.store.transaction(async (tx) => {
			await tx.run(
				`INSERT INTO webhook_subscriptions (id, url, sealed_secret, events, campaign_id, created_at)
				 VALUES ($1, $2, $3, $4, $5, $6)`,
				[row.id, row.url, row.sealed_secret, row.events, row.campaign_id, row.created_at],
			);
			await this.supersede(tx, row);
		});
		return { webhook: toSubscription(row), secret };
	}

	/**
	 * A URL belongs to one Fanloop Trigger. When it registers again (n8n lost the trigger's
	 * stored state and called create instead of finding its subscription), the new
	 * registration takes over what the old one still owed it, signed with the new secret,
	 * and the old one goes: otherwise those events would stay signed with a secret the
	 * trigger no longer has, refused forever.
	 */
	private async supersede(tx: SqlExecutor, current: SubscriptionRow): Promise<void> {
		const earlier = await tx.all<{ id: string }>(
			'SELECT id FROM webhook_subscriptions WHERE url = $1 AND id <> $2',
			[current.url, current.id],
		);
		for (const { id } of earlier) {
			await tx.run(
				`UPDATE deliveries SET subscription_id = $1, locked_until = NULL WHERE subscription_id = $2 AND status = 'pending'`,
				[current.id, id],
			);
			await tx.run('DELETE FROM deliveries WHERE subscription_id = $1', [id]);
			await tx.run('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
		}
	}

	async get(id: string): Promise<WebhookSubscription> {
		const row = await this.store.get<SubscriptionRow>(
			'SELECT * FROM webhook_subscriptions WHERE id = $1',
			[id],
		);
		if (!row) throw new HubError('webhook_not_found', `No webhook subscription with id ${id}.`);
		return toSubscription(row);
	}

	async list(url?: string): Promise<WebhookSubscription[]> {
		const rows = url
			? await this.store.all<SubscriptionRow>(
					'SELECT * FROM webhook_subscriptions WHERE url = $1 ORDER BY id',
					[url],
				)
			: await this.store.all<SubscriptionRow>('SELECT * FROM webhook_subscriptions ORDER BY id');
		return rows.map(toSubscription);
	}

	async delete(id: string): Promise<void> {
		await this.store.transaction(async (tx) => {
			await tx.run('DELETE FROM deliveries WHERE subscription_id = $1', [id]);
			const { changes } = await tx.run('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
			if (changes === 0)
				throw new HubError('webhook_not_found', `No webhook subscription with id ${id}.`);
		});
	}

	/** The signing secret, opened for delivery. */
	async secretOf(id: string): Promise<string | undefined> {
		const row = await this.store.get<{ sealed_secret: string }>(
			'SELECT sealed_secret FROM webhook_subscriptions WHERE id = $1',
			[id],
		);
		return row && this.sealer.unseal(row.sealed_secret, secretContext(id));
	}

	/**
	 * Writes the event and one delivery per matching subscription inside the caller's
	 * transaction: the event exists exactly when the change that caused it does.
	 */
	async enqueue(tx: SqlExecutor, event: HubEvent): Promise<void> {
		const createdAt = Date.parse(event.createdAt);
		// Issued together: PostgreSQL runs them in this order in one round trip, so each
		// delivery finds its event. One statement fans out to every subscription: reading them
		// all and inserting each match cost every recorded action a SELECT plus an INSERT per trigger.
		await Promise.all([
			tx.run(
				'INSERT INTO outbox (id, type, campaign_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)',
				[event.id, event.type, event.campaignId, JSON.stringify(event), createdAt],
			),
			tx.run(
				`INSERT INTO deliveries (event_id, subscription_id, status, attempts, next_attempt_at)
				 SELECT CAST($1 AS TEXT), id, 'pending', 0, CAST($2 AS BIGINT) FROM webhook_subscriptions
				 WHERE (campaign_id IS NULL OR campaign_id = $3)
				 AND (events LIKE '%' || CAST($4 AS TEXT) || '%' ESCAPE '\\'
					OR events LIKE '%' || CAST($5 AS TEXT) || '%' ESCAPE '\\')`,
				[event.id, createdAt, event.campaignId, filterPattern('*'), filterPattern(event.type)],
			),
		]);
	}
}
