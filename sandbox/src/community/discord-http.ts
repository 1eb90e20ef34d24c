import type { SandboxClock } from '../core/clock';
import type { FaultAnswers, StandInRequest, StandInResponse } from '../core/http-stand-in';
import { DiscordApiError, methodNotAllowed, notFound, unauthorized } from './discord-errors';
import { DiscordRateLimits, type RouteBudget } from './discord-rate-limits';
import type { RouteTable } from './discord-routes';

const API_PREFIX = '/api/v10';
/** Messages to one channel: 5 per 5 seconds, as Discord meters them. */
const CHANNEL_MESSAGE_BUDGET: RouteBudget = { limit: 5, windowMs: 5000 };

export interface RequestLogEntry {
	method: string;
	path: string;
	status: number;
	atMs: number;
}

export interface DiscordRestLimits {
	/** The bot's global budget (Discord's is 50 requests per second). */
	globalRequestsPerSecond?: number;
	/**
	 * Per-route bucket budgets by route template (`POST /channels/:channelId/messages`);
	 * channel messages default to 5 per 5 s, every other route to the global rate.
	 */
	routeBudgets?: Record<string, RouteBudget>;
}

/**
 * The REST API's front door: the route, the bot's token and the rate limits, checked in
 * Discord's order before the route's handler runs. Every answer is logged, and 401, 403
 * and 429 answers are counted because Discord bans an IP that collects too many.
 */
export class DiscordRestApi {
	private readonly rateLimits: DiscordRateLimits;
	private readonly log: RequestLogEntry[] = [];
	private invalidCount = 0;

	constructor(
		private readonly routes: RouteTable,
		private readonly token: string,
		private readonly clock: SandboxClock,
		limits: DiscordRestLimits,
	) {
		const globalRequestsPerSecond = limits.globalRequestsPerSecond ?? 50;
		const budgets: Record<string, RouteBudget> = {
			'POST /channels/:channelId/messages': CHANNEL_MESSAGE_BUDGET,
			...limits.routeBudgets,
		};
		this.rateLimits = new DiscordRateLimits(
			globalRequestsPerSecond,
			(template) => budgets[template] ?? { limit: globalRequestsPerSecond, windowMs: 1000 },
		);
	}

	/** Injected faults worded as Discord words them, logged as `INJECTED fault`. */
	readonly faultAnswers: FaultAnswers = {
		rateLimited: (retryAfterSeconds) =>
			this.recorded('INJECTED', 'fault', {
				status: 429,
				headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-scope': 'user' },
				body: {
					message: 'You are being rate limited.',
					retry_after: retryAfterSeconds,
					global: false,
				},
			}),
		unavailable: () =>
			this.recorded('INJECTED', 'fault', {
				status: 502,
				body: { message: '502: Bad Gateway', code: 0 },
			}),
	};

	handle(request: StandInRequest): StandInResponse {
		const record = (answer: StandInResponse): StandInResponse =>
			this.recorded(request.method, request.path, answer);
		if (!request.path.startsWith(API_PREFIX)) return record(notFound().toResponse());
		const matched = this.routes.match(request.method, request.path.slice(API_PREFIX.length));
		if (matched === undefined) return record(notFound().toResponse());
		if (matched === 'wrong_method') return record(methodNotAllowed().toResponse());
		const { route, params, majorParameter } = matched;
		if (route.botAuth && request.headers.authorization !== `Bot ${this.token}`) {
			return record(unauthorized().toResponse());
		}
		const verdict = this.rateLimits.take(
			{ template: route.template, majorParameter, global: route.botAuth },
			this.clock.now(),
		);
		if (verdict.kind === 'limited') return record(verdict);
		let answer: StandInResponse;
		try {
			answer = route.handle({ request, params });
		} catch (error) {
			if (!(error instanceof DiscordApiError)) throw error;
			answer = error.toResponse();
		}
		return record({ ...answer, headers: { ...verdict.headers, ...answer.headers } });
	}

	requestLog(): RequestLogEntry[] {
		return this.log.map((entry) => ({ ...entry }));
	}

	get invalidRequestCount(): number {
		return this.invalidCount;
	}

	private recorded(method: string, path: string, answer: StandInResponse): StandInResponse {
		this.log.push({ method, path, status: answer.status, atMs: this.clock.now() });
		if (answer.status === 401 || answer.status === 403 || answer.status === 429) {
			this.invalidCount += 1;
		}
		return answer;
	}
}
