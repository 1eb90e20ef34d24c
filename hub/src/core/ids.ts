import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Time-ordered ids (ULID layout: 10 chars of milliseconds, 16 random) behind a
 * readable prefix. Ordering by id is ordering by creation, which keyset paging uses.
 */
export function newId(prefix: string, nowMs = Date.now()): string {
	let time = '';
	let ms = nowMs;
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[ms % 32] + time;
		ms = Math.floor(ms / 32);
	}
	const random = randomBytes(16);
	let tail = '';
	for (const byte of random) tail += CROCKFORD[byte % 32];
	return `${prefix}_${time}${tail}`;
}
