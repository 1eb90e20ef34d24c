import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'confirm' | 'unsubscribe';

export interface LinkClaims {
	consentId: string;
	purpose: LinkPurpose;
	expiresAtMs: number;
}

/**
 * Signed links for email confirmation and one-click unsubscribe. The signing key is
 * derived from the sealing key, so no second secret needs configuring; the consent's
 * own state makes a link single-use.
 */
export class LinkTokens {
	private readonly key: Buffer;

	constructor(sealingKey: Buffer) {
		this.key = Buffer.from(
			hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'fanloop link tokens', 32),
		);
	}

	issue(claims: LinkClaims): string {
		const payload = Buffer.from(
			JSON.stringify([claims.consentId, claims.purpose, claims.expiresAtMs]),
		).toString('base64url');
		return `${payload}.${this.sign(payload)}`;
	}

	/** The claims, or `undefined` for a token that is forged, malformed or of another purpose. Expiry is the caller's check. */
	read(token: string, purpose: LinkPurpose): LinkClaims | undefined {
		const [payload, signature] = token.split('.');
		if (!payload || !signature) return undefined;
		const expected = this.sign(payload);
		if (
			signature.length !== expected.length ||
			!timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
		) {
			return undefined;
		}
		try {
			const [consentId, tokenPurpose, expiresAtMs] = JSON.parse(
				Buffer.from(payload, 'base64url').toString('utf8'),
			);
			if (
				tokenPurpose !== purpose ||
				typeof consentId !== 'string' ||
				typeof expiresAtMs !== 'number'
			)
				return undefined;
			return { consentId, purpose, expiresAtMs };
		} catch {
			return undefined;
		}
	}

	private sign(payload: string): string {
		return createHmac('sha256', this.key).update(payload).digest('base64url');
	}
}
