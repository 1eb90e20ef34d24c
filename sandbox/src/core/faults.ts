/**
 * Faults a test can switch on for one stand-in. Rates are probabilities per request;
 * a deterministic random source keeps a test's storm reproducible.
 */
export interface FaultSettings {
	/** Share of requests answered 429 with a Retry-After (seconds) header. */
	rateLimitRate?: number;
	retryAfterSeconds?: number;
	/** Share of requests answered 500/503. */
	serverErrorRate?: number;
	/** Share of requests whose connection is destroyed without an answer. */
	dropRate?: number;
	/** Added before every answer. */
	delayMs?: number;
}

export type FaultVerdict =
	| { kind: 'none' }
	| { kind: 'rate_limit'; retryAfterSeconds: number }
	| { kind: 'server_error' }
	| { kind: 'drop' };

/** mulberry32: small, seedable, good enough to spread faults evenly. */
function seeded(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export class Faults {
	private settings: FaultSettings = {};
	private random = seeded(1);

	set(settings: FaultSettings, seed = 1): void {
		this.settings = { ...settings };
		this.random = seeded(seed);
	}

	clear(): void {
		this.settings = {};
	}

	get delayMs(): number {
		return this.settings.delayMs ?? 0;
	}

	next(): FaultVerdict {
		const { rateLimitRate = 0, serverErrorRate = 0, dropRate = 0 } = this.settings;
		const roll = this.random();
		if (roll < dropRate) return { kind: 'drop' };
		if (roll < dropRate + serverErrorRate) return { kind: 'server_error' };
		if (roll < dropRate + serverErrorRate + rateLimitRate) {
			return { kind: 'rate_limit', retryAfterSeconds: this.settings.retryAfterSeconds ?? 1 };
		}
		return { kind: 'none' };
	}
}
