import { createHash, randomBytes } from 'node:crypto';
import { HubError } from './errors';
import { newId } from './ids';
import type { SqlStore } from '../store/sql-store';

const KEY_PREFIX = 'flk_';

function hashKey(rawKey: string): string {
	return createHash('sha256').update(rawKey).digest('hex');
}

/** API keys for n8n and scripts. Only a hash is stored: a leaked ledger leaks no key. */
export class ApiKeys {
	constructor(
		private readonly store: SqlStore,
		private readonly clock: () => number,
	) {}

	/** Returns the raw key; it is shown once and cannot be read back. */
	async create(name: string): Promise<{ id: string; name: string; key: string }> {
		const trimmed = name.trim();
		if (!trimmed)
			throw new HubError('validation_failed', 'Give the API key a name, e.g. "n8n production".');
		const id = newId('key', this.clock());
		const key = KEY_PREFIX + randomBytes(24).toString('base64url');
		await this.store.run(
			'INSERT INTO api_keys (id, name, key_hash, created_at) VALUES ($1, $2, $3, $4)',
			[id, trimmed, hashKey(key), this.clock()],
		);
		return { id, name: trimmed, key };
	}

	async verify(rawKey: string | undefined): Promise<{ id: string; name: string }> {
		const row = rawKey
			? await this.store.get<{ id: string; name: string }>(
					'SELECT id, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
					[hashKey(rawKey)],
				)
			: undefined;
		if (!row) {
			throw new HubError(
				'unauthorized',
				'The API key is missing, wrong or revoked. Create one with "fanloop-hub api-key create --name n8n" and put it in the Fanloop Hub credential.',
			);
		}
		return row;
	}

	async revoke(id: string): Promise<void> {
		await this.store.run('UPDATE api_keys SET revoked_at = $2 WHERE id = $1', [id, this.clock()]);
	}
}
