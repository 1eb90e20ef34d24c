import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sealer } from '../sealing';
import type { StreamingPlatformName } from '../streaming/platform';
import type { SqlStore } from '../../store/sql-store';

/** Long enough to sign in on a phone and read a consent screen; short enough that a leaked URL dies soon. */
export const OAUTH_STATE_LIFETIME_MS = 10 * 60_000;
/** Dead states are kept this long (a replay still reads "used"), then swept when new ones start. */
const DEAD_STATE_KEPT_MS = 24 * 3_600_000;

const ID_BYTES = 16;
const SIGNATURE_BYTES = 16;

export type StateRefusal = 'invalid' | 'used' | 'expired';

/** A `state` that must not be honoured; nothing has been recorded for it. */
export class StateRefused extends Error {
	constructor(readonly reason: StateRefusal) {
		super(`OAuth state refused: ${reason}`);
		this.name = 'StateRefused';
	}
}

export interface StartedAuthorization {
	state: string;
	/** The PKCE verifier; its S256 challenge goes to the platform now, the verifier itself only at the exchange. */
	codeVerifier?: string;
	codeChallenge?: string;
}

export interface ConsumedState {
	platform: StreamingPlatformName;
	campaignId: string;
	follow: boolean;
	locale: string;
	codeVerifier?: string;
	/** Set when the consent came from a reconnect link: the fan whose grant it renews. */
	reconnectFanId?: string;
	/** The page link's source (src/utm_source) the fan came through, when it named one. */
	source?: string;
	/** The platform was asked to show its consent screen anew (Google's prompt=consent). */
	reconsent: boolean;
}

interface StateRow {
	id: string;
	platform: StreamingPlatformName;
	campaign_id: string;
	sealed_verifier: string | null;
	follow: number;
	locale: string;
	expires_at: number;
	used_at: number | null;
	reconnect_fan_id: string | null;
	source: string | null;
	reconsent: number;
}

/**
 * The `state` of each authorization a fan starts: signed (a forged one is refused before the
 * database is asked), expiring, and single-use (the row is marked used by one atomic update).
 * The PKCE verifier waits in the row, sealed.
 */
export class OAuthStates {
	private readonly key: Buffer;

	constructor(
		private readonly store: SqlStore,
		private readonly sealer: Sealer,
		sealingKey: Buffer,
		private readonly clock: () => number,
	) {
		this.key = Buffer.from(
			hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'fanloop oauth state', 32),
		);
	}

	async start(request: {
		platform: StreamingPlatformName;
		campaignId: string;
		follow: boolean;
		locale: string;
		pkce: boolean;
		reconnectFanId?: string;
		source?: string;
		reconsent?: boolean;
	}): Promise<StartedAuthorization> {
		const id = randomBytes(ID_BYTES).toString('base64url');
		const codeVerifier = request.pkce ? randomBytes(32).toString('base64url') : undefined;
		const now = this.clock();
		await this.store.run('DELETE FROM oauth_states WHERE expires_at < $1', [
			now - DEAD_STATE_KEPT_MS,
		]);
		await this.store.run(
			`INSERT INTO oauth_states (id, platform, campaign_id, sealed_verifier, follow, locale, created_at, expires_at,
				reconnect_fan_id, source, reconsent)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			[
				id,
				request.platform,
				request.campaignId,
				codeVerifier ? this.sealer.seal(codeVerifier, context(id)) : null,
				request.follow ? 1 : 0,
				request.locale,
				now,
				now + OAUTH_STATE_LIFETIME_MS,
				request.reconnectFanId ?? null,
				request.source ?? null,
				request.reconsent ? 1 : 0,
			],
		);
		return {
			state: `${id}.${this.sign(id)}`,
			codeVerifier,
			codeChallenge: codeVerifier && createHash('sha256').update(codeVerifier).digest('base64url'),
		};
	}

	/** Uses the state up, once; throws StateRefused for anything forged, for another platform, used or expired. */
	async consume(state: string, platform: StreamingPlatformName): Promise<ConsumedState> {
		const [id, signature, extra] = state.split('.');
		if (!id || !signature || extra !== undefined || !this.signatureMatches(id, signature)) {
			throw new StateRefused('invalid');
		}
		const now = this.clock();
		const { changes } = await this.store.run(
			'UPDATE oauth_states SET used_at = $2 WHERE id = $1 AND platform = $3 AND used_at IS NULL AND expires_at > $2',
			[id, now, platform],
		);
		const row = await this.store.get<StateRow>('SELECT * FROM oauth_states WHERE id = $1', [id]);
		if (changes !== 1 || !row) {
			if (!row || row.platform !== platform) throw new StateRefused('invalid');
			throw new StateRefused(row.used_at !== null ? 'used' : 'expired');
		}
		return {
			platform: row.platform,
			campaignId: row.campaign_id,
			follow: Number(row.follow) === 1,
			locale: row.locale,
			codeVerifier: row.sealed_verifier
				? this.sealer.unseal(row.sealed_verifier, context(id))
				: undefined,
			reconnectFanId: row.reconnect_fan_id ?? undefined,
			source: row.source ?? undefined,
			reconsent: Number(row.reconsent) === 1,
		};
	}

	private sign(id: string): string {
		return createHmac('sha256', this.key)
			.update(id)
			.digest()
			.subarray(0, SIGNATURE_BYTES)
			.toString('base64url');
	}

	private signatureMatches(id: string, signature: string): boolean {
		const expected = Buffer.from(this.sign(id));
		const given = Buffer.from(signature);
		return given.length === expected.length && timingSafeEqual(given, expected);
	}
}

function context(stateId: string): string {
	return `oauth_state:${stateId}`;
}
