import { HubError } from './errors';
import type { Fans } from './fans';
import { newId } from './ids';
import { iso, type TokenSummary } from './model';
import type { Sealer } from './sealing';
import type { SqlStore } from '../store/sql-store';

export interface PlatformTokens {
	accessToken: string;
	refreshToken: string | null;
	scopes: string[];
	authorizedAtMs: number;
	/** When the platform stops honouring the refresh token (Spotify: 6 months after consent). */
	refreshExpiresAtMs: number | null;
}

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

	async save(fanId: string, platform: string, tokens: PlatformTokens): Promise<void> {
		await this.store.transaction(async (tx) => {
			const fan = await this.fans.resolve(tx, fanId);
			const existing = await tx.get<{ id: string }>('SELECT id FROM tokens WHERE fan_id = $1 AND platform = $2', [
				fan.id,
				platform,
			]);
			const id = existing?.id ?? newId('tok', this.clock());
			const secrets: SealedSecrets = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
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
		});
	}

	async open(fanId: string, platform: string): Promise<PlatformTokens & { status: TokenSummary['status'] }> {
		const fan = await this.fans.resolve(this.store, fanId);
		const row = await this.store.get<TokenRow>('SELECT * FROM tokens WHERE fan_id = $1 AND platform = $2', [
			fan.id,
			platform,
		]);
		if (!row) throw new HubError('not_found', `Fan ${fanId} has not connected ${platform}.`);
		const secrets = JSON.parse(this.sealer.unseal(row.sealed, context(row.id))) as SealedSecrets;
		return {
			...secrets,
			scopes: JSON.parse(row.scopes) as string[],
			authorizedAtMs: Number(row.authorized_at),
			refreshExpiresAtMs: row.refresh_expires_at === null ? null : Number(row.refresh_expires_at),
			status: row.status,
		};
	}

	async summaries(fanId: string): Promise<TokenSummary[]> {
		const rows = await this.store.all<TokenRow>('SELECT * FROM tokens WHERE fan_id = $1 ORDER BY platform', [fanId]);
		return rows.map((row) => ({
			platform: row.platform,
			scopes: JSON.parse(row.scopes) as string[],
			status: row.status,
			authorizedAt: iso(row.authorized_at),
			refreshExpiresAt: iso(row.refresh_expires_at),
		}));
	}
}
