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
	return `${idsMadeFrom(prefix, lastTimeMs)}${lastRandom.map((digit) => CROCKFORD[digit]).join('')}`;
}

/**
 * The bound below which sort the ids `newId` gave a time before `nowMs`. That time is the
 * clock's when the id was made, or a later one if the clock stepped back, never an earlier
 * one: an id below the bound was made before `nowMs`.
 */
export function idsMadeFrom(prefix: string, nowMs: number): string {
	let time = '';
	let ms = nowMs;
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[ms % 32] + time;
		ms = Math.floor(ms / 32);
	}
	return `${prefix}_${time}`;
}
