import { campaignIdOf } from './campaigns';
import { HubError } from './errors';
import { eventTypeOf, newEvent, type EventData, type EventType } from './events';
import type { Fans } from './fans';
import { newId } from './ids';
import {
	iso,
	type Action,
	type ActionKind,
	type ActionStatus,
	type Platform,
	type Verification,
} from './model';
import { startOfPresave } from './presave/lifecycle';
import type { Webhooks } from './webhooks';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markActionFanStale, markFanStale } from './insights/stale-fans';

export interface RecordActionInput {
	fanId: string;
	campaignId?: string | null;
	kind: ActionKind;
	platform?: Platform | null;
	status?: ActionStatus;
	verification?: Verification;
	source?: string | null;
	parentActionId?: string | null;
	idempotencyKey?: string | null;
	error?: string | null;
	data?: Record<string, unknown> | null;
}

export interface ActionRow {
	id: string;
	fan_id: string;
	campaign_id: string | null;
	kind: ActionKind;
	platform: Platform | null;
	status: ActionStatus;
	verification: Verification;
	source: string | null;
	parent_action_id: string | null;
	idempotency_key: string | null;
	error: string | null;
	data: string | null;
	created_at: number;
	updated_at: number;
}

export function toAction(row: ActionRow): Action {
	return {
		id: row.id,
		fanId: row.fan_id,
		campaignId: row.campaign_id,
		kind: row.kind,
		platform: row.platform,
		status: row.status,
		verification: row.verification,
		source: row.source,
		parentActionId: row.parent_action_id,
		idempotencyKey: row.idempotency_key,
		error: row.error,
		data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
		createdAt: iso(row.created_at),
		updatedAt: iso(row.updated_at),
	};
}

function settledValue<T>(result: PromiseSettledResult<T>): T {
	if (result.status === 'rejected') throw result.reason;
	return result.value;
}

/** Fan actions: each layered on the action that led to it, each announced to n8n through the outbox. */
export class Actions {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly webhooks: Webhooks,
		private readonly clock: () => number,
		private readonly onEventQueued: () => void,
	) {}

	/**
	 * Idempotent on `idempotencyKey`: a repeat returns the first action and announces nothing.
	 * `alongside` runs in the same transaction, with the result (a save settles its pre-save there).
	 */
	async record(
		input: RecordActionInput,
		eventType?: EventType,
		alongside?: (tx: SqlExecutor, result: { action: Action; created: boolean }) => Promise<void>,
	): Promise<{ action: Action; created: boolean }> {
		const result = await this.store.transaction(async (tx) => {
			const recorded = await this.recordWithin(tx, input, eventType);
			await alongside?.(tx, recorded);
			return recorded;
		});
		if (result.created) this.onEventQueued();
		return result;
	}

	get(actionId: string): Promise<Action> {
		return this.getWithin(this.store, actionId);
	}

	async getWithin(tx: SqlExecutor, actionId: string): Promise<Action> {
		const row = await tx.get<ActionRow>('SELECT * FROM actions WHERE id = $1', [actionId]);
		if (!row) throw new HubError('action_not_found', `No action with id ${actionId}.`);
		return toAction(row);
	}

	/**
	 * Records inside the caller's transaction; the event is of the action's own type
	 * unless the caller names a more specific one (an opt-in request, a community join,
	 * which also says where the fan joined in `eventDetails`).
	 */
	async recordWithin(
		tx: SqlExecutor,
		input: RecordActionInput,
		eventType?: EventType,
		eventDetails: Omit<EventData, 'fan' | 'action'> = {},
	): Promise<{ action: Action; created: boolean }> {
		// A pre-save's status belongs to its lifecycle, whoever records it.
		if (input.kind === 'presave') input = startOfPresave(input);
		const key = input.idempotencyKey ?? null;
		// Issued together, so PostgreSQL answers them in one round trip; a repeat returns the
		// first action whatever the checks would say now.
		const [existingLookup, fanLookup, campaignLookup, parentLookup] = await Promise.allSettled([
			key ? this.byKey(tx, key) : undefined,
			this.fans.resolve(tx, input.fanId),
			input.campaignId ? campaignIdOf(tx, input.campaignId) : null,
			input.parentActionId
				? tx.get<{ fan_id: string }>('SELECT fan_id FROM actions WHERE id = $1', [
						input.parentActionId,
					])
				: undefined,
		]);
		const existing = settledValue(existingLookup);
		if (existing) return { action: existing, created: false };
		const fan = settledValue(fanLookup);
		const campaignId = settledValue(campaignLookup);
		const parent = settledValue(parentLookup);
		if (input.parentActionId) {
			if (!parent)
				throw new HubError(
					'action_not_found',
					`The parent action ${input.parentActionId} does not exist.`,
				);
			if (parent.fan_id !== fan.id) {
				throw new HubError(
					'validation_failed',
					`The parent action ${input.parentActionId} belongs to another fan; a layer builds on the same fan's earlier action.`,
				);
			}
		}
		const now = this.clock();
		const row: ActionRow = {
			id: newId('act', now),
			fan_id: fan.id,
			campaign_id: campaignId,
			kind: input.kind,
			platform: input.platform ?? null,
			status: input.status ?? 'done',
			verification: input.verification ?? 'soft',
			source: input.source ?? null,
			parent_action_id: input.parentActionId ?? null,
			idempotency_key: key,
			error: input.error ?? null,
			data: input.data ? JSON.stringify(input.data) : null,
			created_at: now,
			updated_at: now,
		};
		const { changes } = await tx.run(
			`INSERT INTO actions (id, fan_id, campaign_id, kind, platform, status, verification, source, parent_action_id,
				idempotency_key, error, data, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			 ON CONFLICT (idempotency_key) DO NOTHING`,
			[
				row.id,
				row.fan_id,
				row.campaign_id,
				row.kind,
				row.platform,
				row.status,
				row.verification,
				row.source,
				row.parent_action_id,
				row.idempotency_key,
				row.error,
				row.data,
				row.created_at,
				row.updated_at,
			],
		);
		if (changes === 0 && key) {
			// Another process recorded the same key between our check and our insert.
			return { action: (await this.byKey(tx, key)) as Action, created: false };
		}
		const action = toAction(row);
		const event = newEvent(eventType ?? eventTypeOf(action), now, action.campaignId, {
			fan: { id: fan.id },
			action,
			...eventDetails,
		});
		await Promise.all([markFanStale(tx, fan.id), this.webhooks.enqueue(tx, event)]);
		return { action, created: true };
	}

	/** Moves an action on (pending → done when the fan confirms) inside the caller's transaction. */
	async settleWithin(
		tx: SqlExecutor,
		actionId: string,
		status: ActionStatus,
		verification: Verification,
	): Promise<Action> {
		await tx.run(
			'UPDATE actions SET status = $2, verification = $3, updated_at = $4 WHERE id = $1',
			[actionId, status, verification, this.clock()],
		);
		await markActionFanStale(tx, actionId);
		const row = await tx.get<ActionRow>('SELECT * FROM actions WHERE id = $1', [actionId]);
		if (!row) throw new HubError('action_not_found', `No action with id ${actionId}.`);
		return toAction(row);
	}

	findByKey(key: string): Promise<Action | undefined> {
		return this.byKey(this.store, key);
	}

	private async byKey(tx: SqlExecutor, key: string): Promise<Action | undefined> {
		const row = await tx.get<ActionRow>('SELECT * FROM actions WHERE idempotency_key = $1', [key]);
		return row && toAction(row);
	}
}
