import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'fanloop-signature';
export const EVENT_ID_HEADER = 'fanloop-event-id';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp is signed, so a replay ages out. */
export function signatureHeader(secret: string, body: string, nowMs: number): string {
	const timestamp = Math.floor(nowMs / 1000);
	const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	return `t=${timestamp},v1=${digest}`;
}

export function verifySignature(
	secret: string,
	body: string,
	header: string,
	nowMs: number,
	toleranceSeconds = 300,
): boolean {
	const fields = new Map(
		header.split(',').map((part) => {
			const [key, ...value] = part.trim().split('=');
			return [key, value.join('=')] as const;
		}),
	);
	const timestamp = Number(fields.get('t'));
	const given = fields.get('v1') ?? '';
	if (!Number.isInteger(timestamp) || Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds)
		return false;
	const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	return (
		given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
	);
}
