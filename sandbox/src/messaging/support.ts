import { randomBytes, randomUUID } from 'node:crypto';
import type { StandInRequest } from '../core/http-stand-in';

/** Lower-case hex of `length` characters: the body of Twilio SIDs, Mailchimp ids and keys. */
export function randomHex(length: number): string {
	return randomBytes(Math.ceil(length / 2))
		.toString('hex')
		.slice(0, length);
}

/** Username and password of an HTTP Basic header, or undefined when there is none. */
export function basicAuth(request: StandInRequest): { user: string; password: string } | undefined {
	const header = request.headers.authorization;
	if (typeof header !== 'string') return undefined;
	const match = /^Basic\s+(.+)$/i.exec(header.trim());
	if (!match) return undefined;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A JSON object body, or undefined when the body is empty, not JSON or not an object. */
export function jsonObjectBody(request: StandInRequest): Record<string, unknown> | undefined {
	if (request.rawBody.trim() === '') return undefined;
	try {
		const parsed: unknown = JSON.parse(request.rawBody);
		return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
			? (parsed as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

/** A single header value (the first when repeated). */
export function header(request: StandInRequest, name: string): string | undefined {
	const value = request.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 2822 in GMT the way Twilio writes it: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function rfc2822(epochMs: number): string {
	const date = new Date(epochMs);
	const pad = (value: number): string => String(value).padStart(2, '0');
	return (
		`${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ` +
		`${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:` +
		`${pad(date.getUTCSeconds())} +0000`
	);
}

/** ISO 8601 without milliseconds and with an explicit offset, as Mailchimp writes timestamps. */
export function isoSeconds(epochMs: number): string {
	return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function uuid(): string {
	return randomUUID();
}

/** A deliberately loose address check: one @, something on each side, a dot in the domain. */
export function looksLikeEmail(value: string): boolean {
	return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}
