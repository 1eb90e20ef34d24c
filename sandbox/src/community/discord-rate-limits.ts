import { createHash } from 'node:crypto';
import { RateWindow } from '../core/rate-window';

/** How many requests one route bucket takes per window. */
export interface RouteBudget {
	limit: number;
	windowMs: number;
}

/** A request as Discord meters it: its route shape and the major parameter that splits buckets. */
export interface MeteredRoute {
	/** `METHOD /route/:param` as declared, e.g. `POST /channels/:channelId/messages`. */
	template: string;
	/** The channel, guild or webhook the request is about; each gets its own bucket. */
	majorParameter: string;
	/** Interaction callbacks and webhooks are outside the bot's global budget. */
	global: boolean;
}

export type RateVerdict =
	| { kind: 'allowed'; headers: Record<string, string> }
	| {
			kind: 'limited';
			status: 429;
			headers: Record<string, string>;
			body: Record<string, unknown>;
	  };

interface BucketWindow {
	startedAtMs: number;
	used: number;
}

const RATE_LIMITED_MESSAGE = 'You are being rate limited.';

/**
 * Discord's two limits: a global budget per bot (50 requests/s unless configured) and
 * per-route buckets announced in X-RateLimit-* headers. Route windows are fixed (they
 * reset at a moment, which is what X-RateLimit-Reset names); the global budget is a
 * rolling second, so a client pacing evenly never meets it and a burst always does.
 */
export class DiscordRateLimits {
	private readonly global: RateWindow;
	private readonly windows = new Map<string, BucketWindow>();

	constructor(
		readonly globalRequestsPerSecond: number,
		private readonly budgetOf: (template: string) => RouteBudget,
	) {
		if (!(globalRequestsPerSecond > 0)) throw new Error('globalRequestsPerSecond must be above 0');
		this.global = new RateWindow(globalRequestsPerSecond, 1000);
	}

	take(route: MeteredRoute, nowMs: number): RateVerdict {
		const budget = this.budgetOf(route.template);
		const bucket = bucketHash(route.template);
		const key = `${bucket}:${route.majorParameter}`;
		let window = this.windows.get(key);
		if (!window || nowMs >= window.startedAtMs + budget.windowMs) {
			window = { startedAtMs: nowMs, used: 0 };
			this.windows.set(key, window);
		}
		const resetAfterMs = window.startedAtMs + budget.windowMs - nowMs;
		const headers = (remaining: number): Record<string, string> => ({
			'x-ratelimit-limit': String(budget.limit),
			'x-ratelimit-remaining': String(remaining),
			'x-ratelimit-reset': ((nowMs + resetAfterMs) / 1000).toFixed(3),
			'x-ratelimit-reset-after': (resetAfterMs / 1000).toFixed(3),
			'x-ratelimit-bucket': bucket,
		});

		if (route.global) {
			const waitMs = this.global.take(nowMs);
			if (waitMs > 0) {
				return {
					kind: 'limited',
					status: 429,
					headers: {
						...headers(Math.max(budget.limit - window.used, 0)),
						'retry-after': String(Math.ceil(waitMs / 1000)),
						'x-ratelimit-global': 'true',
						'x-ratelimit-scope': 'global',
					},
					body: { message: RATE_LIMITED_MESSAGE, retry_after: waitMs / 1000, global: true },
				};
			}
		}
		if (window.used >= budget.limit) {
			return {
				kind: 'limited',
				status: 429,
				headers: {
					...headers(0),
					'retry-after': String(Math.ceil(resetAfterMs / 1000)),
					'x-ratelimit-scope': 'user',
				},
				body: { message: RATE_LIMITED_MESSAGE, retry_after: resetAfterMs / 1000, global: false },
			};
		}
		window.used += 1;
		return { kind: 'allowed', headers: headers(budget.limit - window.used) };
	}
}

/** Discord names buckets with opaque hashes; the same route shape always gets the same one. */
function bucketHash(template: string): string {
	return createHash('sha1').update(template).digest('hex').slice(0, 32);
}
