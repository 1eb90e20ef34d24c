import { createHmac, timingSafeEqual } from 'crypto';

/** How far a signature's timestamp may be from now before a delivery is refused as a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck =
	| { valid: true }
	| {
			valid: false;
			reason: 'missing_header' | 'malformed_header' | 'stale_timestamp' | 'bad_signature';
	  };

/** hex HMAC-SHA256(secret, `${timestampSeconds}.${rawBody}`), the hub's signing scheme. */
export function signPayload(secret: string, timestampSeconds: number, rawBody: Buffer): string {
	return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
}

/**
 * Checks a `fanloop-signature: t=<unix seconds>,v1=<hex>` header against the raw request body.
 * Several v1 values are accepted so the hub can sign with an old and a new secret while rotating.
 */
export function verifySignature(
	header: string | undefined,
	rawBody: Buffer,
	secret: string,
	nowSeconds: number,
): SignatureCheck {
	if (!header) return { valid: false, reason: 'missing_header' };
	let timestampSeconds: number | undefined;
	const candidates: string[] = [];
	for (const part of header.split(',')) {
		const separator = part.indexOf('=');
		if (separator < 0) continue;
		const key = part.slice(0, separator).trim();
		const value = part.slice(separator + 1).trim();
		if (key === 't' && /^\d+$/.test(value)) timestampSeconds = Number(value);
		if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value.toLowerCase());
	}
	if (timestampSeconds === undefined || candidates.length === 0) {
		return { valid: false, reason: 'malformed_header' };
	}
	if (Math.abs(nowSeconds - timestampSeconds) > SIGNATURE_TOLERANCE_SECONDS) {
		return { valid: false, reason: 'stale_timestamp' };
	}
	const expected = Buffer.from(signPayload(secret, timestampSeconds, rawBody), 'hex');
	const matches = candidates.some((candidate) =>
		timingSafeEqual(Buffer.from(candidate, 'hex'), expected),
	);
	return matches ? { valid: true } : { valid: false, reason: 'bad_signature' };
}
