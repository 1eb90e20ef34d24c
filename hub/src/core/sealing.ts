import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HubError } from './errors';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const FORMAT = 'v1';

/**
 * Seals secrets at rest (platform tokens, webhook secrets) with AES-256-GCM.
 * The key lives in the hub's configuration, never in the ledger. `context` is bound
 * as additional authenticated data, so a sealed value copied onto another row
 * (another fan's token, another subscription) refuses to open.
 */
export class Sealer {
	private readonly key: Buffer;

	constructor(key: Buffer) {
		if (key.length !== KEY_BYTES) {
			throw new HubError(
				'configuration_invalid',
				`The sealing key must be ${KEY_BYTES} bytes (base64 or hex); this one has ${key.length}. Generate one with "fanloop-hub sealing-key generate".`,
			);
		}
		this.key = Buffer.from(key);
	}

	seal(plaintext: string, context: string): string {
		const iv = randomBytes(IV_BYTES);
		const cipher = createCipheriv(ALGORITHM, this.key, iv);
		cipher.setAAD(Buffer.from(context, 'utf8'));
		const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
		return [FORMAT, iv, ciphertext, cipher.getAuthTag()]
			.map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
			.join('.');
	}

	/** Throws `sealing_key_mismatch` when the value was sealed with another key or context. */
	unseal(sealed: string, context: string): string {
		const [format, iv, ciphertext, tag] = sealed.split('.');
		if (format !== FORMAT || !iv || ciphertext === undefined || !tag) {
			throw new HubError('sealing_key_mismatch', 'A sealed value in the ledger is malformed.');
		}
		try {
			const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64url'));
			decipher.setAAD(Buffer.from(context, 'utf8'));
			decipher.setAuthTag(Buffer.from(tag, 'base64url'));
			return Buffer.concat([
				decipher.update(Buffer.from(ciphertext, 'base64url')),
				decipher.final(),
			]).toString('utf8');
		} catch {
			throw new HubError(
				'sealing_key_mismatch',
				'A sealed value could not be opened with the configured sealing key.',
			);
		}
	}
}

/** Accepts the key as base64 (44 chars) or hex (64 chars), the two forms we print. */
export function parseSealingKey(text: string): Buffer {
	const trimmed = text.trim();
	const key = /^[0-9a-f]{64}$/i.test(trimmed)
		? Buffer.from(trimmed, 'hex')
		: Buffer.from(trimmed, 'base64');
	if (key.length !== KEY_BYTES) {
		throw new HubError(
			'configuration_invalid',
			`The sealing key must decode to ${KEY_BYTES} bytes (base64 or hex). Generate one with "fanloop-hub sealing-key generate".`,
		);
	}
	return key;
}

export function generateSealingKey(): string {
	return randomBytes(KEY_BYTES).toString('base64');
}
