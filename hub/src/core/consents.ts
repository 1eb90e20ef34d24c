import { createHash } from 'node:crypto';
import { HubError } from './errors';
import type { Fans } from './fans';
import type { Channel } from './identities';
import { newId } from './ids';
import { iso, type Consent } from './model';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markFanStale } from './insights/stale-fans';

export interface ConsentRequest {
	channel: Channel;
	purpose: string;
	/** The exact words the fan agreed to; their hash is the proof that survives wording changes. */
	wording: string;
	wordingVersion?: string | null;
	source?: string | null;
	ip?: string | null;
	userAgent?: string | null;
	status?: 'pending' | 'granted';
	/** The action this consent was given in (the opt-in layer). */
	actionId?: string | null;
}

interface ConsentRow {
	id: string;
	fan_id: string;
	channel: Channel;
	purpose: string;
	status: Consent['status'];
	wording: string | null;
	wording_version: string | null;
	wording_hash: string;
	source: string | null;
	ip: string | null;
	user_agent: string | null;
	requested_at: number;
	confirmed_at: number | null;
	revoked_at: number | null;
	revoke_method: string | null;
	action_id: string | null;
}

function toConsent(row: ConsentRow): Consent {
	return {
		id: row.id,
		channel: row.channel,
		purpose: row.purpose,
		status: row.status,
		wording: row.wording,
		wordingVersion: row.wording_version,
		wordingHash: row.wording_hash,
		source: row.source,
		ip: row.ip,
		userAgent: row.user_agent,
		requestedAt: iso(row.requested_at),
		confirmedAt: iso(row.confirmed_at),
		revokedAt: iso(row.revoked_at),
		revokeMethod: row.revoke_method,
	};
}

/** Consent with its proof: what was shown, where, to whom, and when it was given or withdrawn. */
export class Consents {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly clock: () => number,
	) {}

	async request(
		fanId: string,
		request: ConsentRequest,
		tx: SqlExecutor = this.store,
	): Promise<Consent> {
		if (!request.wording.trim()) {
			throw new HubError(
				'validation_failed',
				'A consent needs the exact wording the fan agreed to.',
			);
		}
		const fan = await this.fans.resolve(tx, fanId);
		const now = this.clock();
		const status = request.status ?? 'pending';
		const row: ConsentRow = {
			id: newId('con', now),
			fan_id: fan.id,
			channel: request.channel,
			purpose: request.purpose,
			status,
			wording: request.wording,
			wording_version: request.wordingVersion ?? null,
			wording_hash: createHash('sha256').update(request.wording).digest('hex'),
			source: request.source ?? null,
			ip: request.ip ?? null,
			user_agent: request.userAgent ?? null,
			requested_at: now,
			confirmed_at: status === 'granted' ? now : null,
			revoked_at: null,
			revoke_method: null,
			action_id: request.actionId ?? null,
		};
		await tx.run(
			`INSERT INTO consents (id, fan_id, channel, purpose, status, wording, wording_version, wording_hash, source, ip,
				user_agent, requested_at, confirmed_at, action_id)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			[
				row.id,
				row.fan_id,
				row.channel,
				row.purpose,
				row.status,
				row.wording,
				row.wording_version,
				row.wording_hash,
				row.source,
				row.ip,
				row.user_agent,
				row.requested_at,
				row.confirmed_at,
				row.action_id,
			],
		);
		await markFanStale(tx, row.fan_id);
		return toConsent(row);
	}

	async confirm(consentId: string, tx: SqlExecutor = this.store): Promise<Consent> {
		return this.transition(
			tx,
			consentId,
			`status = 'granted', confirmed_at = $2`,
			[this.clock()],
			['pending'],
		);
	}

	async revoke(consentId: string, method: string, tx: SqlExecutor = this.store): Promise<Consent> {
		return this.transition(
			tx,
			consentId,
			`status = 'revoked', revoked_at = $2, revoke_method = $3`,
			[this.clock(), method],
			['pending', 'granted'],
		);
	}

	async get(
		consentId: string,
		tx: SqlExecutor = this.store,
	): Promise<Consent & { fanId: string; actionId: string | null }> {
		const row = await tx.get<ConsentRow>('SELECT * FROM consents WHERE id = $1', [consentId]);
		if (!row) throw new HubError('not_found', `No consent with id ${consentId}.`);
		return { ...toConsent(row), fanId: row.fan_id, actionId: row.action_id };
	}

	/** The fan's consents on a channel that are not revoked, newest first. */
	async open(
		fanId: string,
		channel: Channel,
		tx: SqlExecutor = this.store,
	): Promise<(Consent & { actionId: string | null })[]> {
		const rows = await tx.all<ConsentRow>(
			`SELECT * FROM consents WHERE fan_id = $1 AND channel = $2 AND status IN ('pending', 'granted') ORDER BY id DESC`,
			[fanId, channel],
		);
		return rows.map((row) => ({ ...toConsent(row), actionId: row.action_id }));
	}

	async list(fanId: string): Promise<Consent[]> {
		const rows = await this.store.all<ConsentRow>(
			'SELECT * FROM consents WHERE fan_id = $1 ORDER BY id',
			[fanId],
		);
		return rows.map(toConsent);
	}

	private async transition(
		tx: SqlExecutor,
		consentId: string,
		assignments: string,
		values: (string | number)[],
		from: Consent['status'][],
	): Promise<Consent> {
		const row = await tx.get<ConsentRow>('SELECT * FROM consents WHERE id = $1', [consentId]);
		if (!row) throw new HubError('not_found', `No consent with id ${consentId}.`);
		if (from.includes(row.status)) {
			await tx.run(`UPDATE consents SET ${assignments} WHERE id = $1`, [consentId, ...values]);
			await markFanStale(tx, row.fan_id);
		}
		return toConsent(
			(await tx.get<ConsentRow>('SELECT * FROM consents WHERE id = $1', [consentId])) as ConsentRow,
		);
	}
}
