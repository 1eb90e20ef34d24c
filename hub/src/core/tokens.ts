import { HubError } from './errors';
import type { Fans } from './fans';
import { newId } from './ids';
import { iso, type TokenSummary } from './model';
import type { Sealer } from './sealing';
import type { PlatformGrant } from './streaming/platform';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markFanStale } from './insights/stale-fans';

interface TokenRow {
	id: string;
	fan_id: string;
	platform: string;
	sealed: string;
	scopes: string;
	authorized_at: number;
	refresh_expires_at: number | null;
	status: TokenSummary['status'];
}

interface SealedSecrets {
	accessToken: string;
	refreshToken: string | null;
	accessExpiresAtMs: number | null;
}

/** A token row's own id is the sealing context, so a sealed blob only opens on its row, even after a merge moves it. */
function context(tokenId: string): string {
	return `token:${tokenId}`;
}

/** A fan's platform connections; the tokens themselves are sealed and never leave the hub. */
export class Tokens {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly sealer: Sealer,
		private readonly clock: () => number,
	) {}

	async save(fanId: string, platform: string, tokens: PlatformGrant): Promise<void> {
		await this.store.transaction((tx) => this.saveWithin(tx, fanId, platform, tokens));
	}

	/** `save` inside the caller's transaction, so the grant lands only with what it belongs to. */
	async saveWithin(
		tx: SqlExecutor,
		fanId: string,
		platform: string,
		tokens: PlatformGrant,
	): Promise<void> {
		const fan = await this.fans.resolve(tx, fanId);
		const existing = await tx.get<{ id: string }>(
			'SELECT id FROM tokens WHERE fan_id = $1 AND platform = $2',
			[fan.id, platform],
		);
		const id = existing?.id ?? newId('tok', this.clock());
		const secrets: SealedSecrets = {
			accessToken: tokens.accessToken,
			// A second consent may come without a refresh token (Google issues one on the first
			// consent only): the one already held still works and must not be lost.
			refreshToken:
				tokens.refreshToken ?? (existing ? await this.heldRefreshToken(tx, existing.id) : null),
			accessExpiresAtMs: tokens.accessExpiresAtMs,
		};
		const values = [
			id,
			fan.id,
			platform,
			this.sealer.seal(JSON.stringify(secrets), context(id)),
			JSON.stringify(tokens.scopes),
			tokens.authorizedAtMs,
			tokens.refreshExpiresAtMs,
			this.clock(),
		];
		if (existing) {
			await tx.run(
				`UPDATE tokens SET sealed = $4, scopes = $5, authorized_at = $6, refresh_expires_at = $7,
					status = 'valid', updated_at = $8 WHERE id = $1 AND fan_id = $2 AND platform = $3`,
				values,
			);
		} else {
			await tx.run(
				`INSERT INTO tokens (id, fan_id, platform, sealed, scopes, authorized_at, refresh_expires_at, status, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid', $8)`,
				values,
			);
		}
		await markFanStale(tx, fan.id);
	}

	private async heldRefreshToken(tx: SqlExecutor, id: string): Promise<string | null> {
		const row = await tx.get<{ sealed: string }>('SELECT sealed FROM tokens WHERE id = $1', [id]);
		if (!row) return null;
		return (JSON.parse(this.sealer.unseal(row.sealed, context(id))) as SealedSecrets).refreshToken;
	}

	/** The scopes the fan's connection on the platform was granted; none when they never connected. */
	async grantedScopes(fanId: string, platform: string): Promise<string[]> {
		const fan = await this.fans.resolve(this.store, fanId);
		const row = await this.store.get<{ scopes: string }>(
			'SELECT scopes FROM tokens WHERE fan_id = $1 AND platform = $2',
			[fan.id, platform],
		);
		return row ? (JSON.parse(row.scopes) as string[]) : [];
	}

	/** Whether the fan's working connection on the platform has a refresh token to renew it with. */
	async holdsRefreshToken(fanId: string, platform: string): Promise<boolean> {
		const fan = await this.fans.resolve(this.store, fanId);
		const row = await this.store.get<{ id: string; status: string }>(
			'SELECT id, status FROM tokens WHERE fan_id = $1 AND platform = $2',
			[fan.id, platform],
		);
		if (row?.status !== 'valid') return false;
		return (await this.heldRefreshToken(this.store, row.id)) !== null;
	}

	/** Whether the fan ever connected the platform (a connection needing re-consent still counts). */
	async isConnected(fanId: string, platform: string): Promise<boolean> {
		const fan = await this.fans.resolve(this.store, fanId);
		const row = await this.store.get(
			'SELECT 1 AS hit FROM tokens WHERE fan_id = $1 AND platform = $2',
			[fan.id, platform],
		);
		return row !== undefined;
	}

	async open(
		fanId: string,
		platform: string,
	): Promise<PlatformGrant & { status: TokenSummary['status'] }> {
		const fan = await this.fans.resolve(this.store, fanId);
		const row = await this.store.get<TokenRow>(
			'SELECT * FROM tokens WHERE fan_id = $1 AND platform = $2',
			[fan.id, platform],
		);
		if (!row) throw new HubError('not_found', `Fan ${fanId} has not connected ${platform}.`);
		const secrets = JSON.parse(this.sealer.unseal(row.sealed, context(row.id))) as SealedSecrets;
		return {
			accessToken: secrets.accessToken,
			refreshToken: secrets.refreshToken,
			accessExpiresAtMs: secrets.accessExpiresAtMs ?? null,
			scopes: JSON.parse(row.scopes) as string[],
			authorizedAtMs: Number(row.authorized_at),
			refreshExpiresAtMs: row.refresh_expires_at === null ? null : Number(row.refresh_expires_at),
			status: row.status,
		};
	}

	/** The platform no longer honours the fan's authorization: they need a re-consent layer. */
	async markNeedsReconsent(fanId: string, platform: string): Promise<void> {
		await this.store.run(
			`UPDATE tokens SET status = 'needs_reconsent', updated_at = $3 WHERE fan_id = $1 AND platform = $2`,
			[fanId, platform, this.clock()],
		);
		// After the update: a report folding in between still finds the mark.
		await markFanStale(this.store, fanId);
	}

	/**
	 * The fans to ask for re-consent: valid connections whose refresh lifetime ends before
	 * `beforeMs`, and those the platform already stopped honouring (`needs_reconsent`).
	 */
	async expiring(
		beforeMs: number,
		platform?: string,
	): Promise<
		{
			fanId: string;
			platform: string;
			refreshExpiresAt: string | null;
			status: TokenSummary['status'];
		}[]
	> {
		const rows = await this.store.all<{
			fan_id: string;
			platform: string;
			refresh_expires_at: number | null;
			status: TokenSummary['status'];
		}>(
			`SELECT fan_id, platform, refresh_expires_at, status FROM tokens
			 WHERE ((status = 'valid' AND refresh_expires_at IS NOT NULL AND refresh_expires_at < $1) OR status = 'needs_reconsent')
			 ${platform ? 'AND platform = $2' : ''} ORDER BY refresh_expires_at, fan_id`,
			platform ? [beforeMs, platform] : [beforeMs],
		);
		return rows.map((row) => ({
			fanId: row.fan_id,
			platform: row.platform,
			refreshExpiresAt: iso(row.refresh_expires_at),
			status: row.status,
		}));
	}

	async summaries(fanId: string): Promise<TokenSummary[]> {
		const rows = await this.store.all<TokenRow>(
			'SELECT * FROM tokens WHERE fan_id = $1 ORDER BY platform',
			[fanId],
		);
		return rows.map((row) => ({
			platform: row.platform,
			scopes: JSON.parse(row.scopes) as string[],
			status: row.status,
			authorizedAt: iso(row.authorized_at),
			refreshExpiresAt: iso(row.refresh_expires_at),
		}));
	}
}
