import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_DIGITS = 16;

let lastTimeMs = -1;
let lastRandom: number[] = [];

function freshRandom(): number[] {
	return [...randomBytes(RANDOM_DIGITS)].map((byte) => byte % 32);
}

/** Adds one to a base-32 digit string, so ids made in the same millisecond still sort in creation order. */
function increment(digits: number[]): number[] {
	const next = [...digits];
	for (let i = next.length - 1; i >= 0; i--) {
		if (next[i] < 31) {
			next[i]++;
			return next;
		}
		next[i] = 0;
	}
	return freshRandom();
}

/**
 * Time-ordered ids (ULID layout: 10 chars of milliseconds, 16 random) behind a
 * readable prefix. Ordering by id is ordering by creation, which keyset paging uses.
 */
export function newId(prefix: string, nowMs = Date.now()): string {
	if (nowMs <= lastTimeMs) {
		lastRandom = increment(lastRandom);
	} else {
		lastTimeMs = nowMs;
		lastRandom = freshRandom();
	}
	let time = '';
	let ms = lastTimeMs;
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[ms % 32] + time;
		ms = Math.floor(ms / 32);
	}
	return `${prefix}_${time}${lastRandom.map((digit) => CROCKFORD[digit]).join('')}`;
}
