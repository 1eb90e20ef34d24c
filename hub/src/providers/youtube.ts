import {
	PlatformError,
	type PlatformGrant,
	type StreamingPlatform,
} from '../core/streaming/platform';

export interface YouTubeConfig {
	clientId: string;
	clientSecret: string;
	/** Google's token endpoint; default https://oauth2.googleapis.com/token */
	tokenUrl?: string;
	/** Default https://www.googleapis.com (the Data API lives under /youtube/v3). */
	apiUrl?: string;
	/** The daily unit quota is the real limit (a subscription costs 50 of 10,000); default 5. */
	requestsPerSecond?: number;
	/** Epoch ms; the sandbox injects its movable clock. */
	clock?: () => number;
}

/** Subscribing needs the full youtube scope (or youtube.force-ssl). */
export const YOUTUBE_FOLLOW_SCOPE = 'https://www.googleapis.com/auth/youtube';

const TIMEOUT_MS = 15_000;
const DEFAULT_RETRY_AFTER_MS = 1_000;

/**
 * YouTube for the follow layer only: `followArtist` subscribes the fan to a channel
 * (subscriptions.insert, 50 quota units). YouTube has no library to save a release to, so
 * it offers no `library`.
 */
export class YouTubePlatform implements StreamingPlatform {
	readonly name = 'youtube' as const;
	readonly requestsPerSecond: number;
	private readonly tokenUrl: string;
	private readonly apiUrl: string;
	private readonly clock: () => number;

	constructor(private readonly config: YouTubeConfig) {
		this.tokenUrl = config.tokenUrl ?? 'https://oauth2.googleapis.com/token';
		this.apiUrl = (config.apiUrl ?? 'https://www.googleapis.com').replace(/\/$/, '');
		this.requestsPerSecond = config.requestsPerSecond ?? 5;
		this.clock = config.clock ?? Date.now;
	}

	async refresh(grant: PlatformGrant): Promise<PlatformGrant> {
		if (!grant.refreshToken) {
			throw new PlatformError(
				'youtube',
				'reconsent',
				'The fan’s YouTube connection has no refresh token; it needs a new consent.',
			);
		}
		// Count the token's life from before the request, so we never think it lives longer than it does.
		const requestedAtMs = this.clock();
		const response = await send(this.tokenUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'refresh_token',
				refresh_token: grant.refreshToken,
				client_id: this.config.clientId,
				client_secret: this.config.clientSecret,
			}).toString(),
		});
		const body = (parseJson(await response.text()) ?? {}) as {
			access_token?: string;
			refresh_token?: string;
			expires_in?: number;
			scope?: string;
			error?: string;
			error_description?: string;
		};
		if (response.ok && typeof body.access_token === 'string') {
			return {
				...grant,
				accessToken: body.access_token,
				refreshToken: body.refresh_token ?? grant.refreshToken,
				scopes:
					typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : grant.scopes,
				accessExpiresAtMs: requestedAtMs + Number(body.expires_in ?? 3599) * 1000,
			};
		}
		const detail = `HTTP ${response.status}${body.error ? `, ${body.error}` : ''}: ${body.error_description ?? 'no detail'}`;
		if (response.status === 429)
			throw rateLimited(response, `Google’s token endpoint is rate limiting the app (${detail}).`);
		if (response.status >= 500)
			throw new PlatformError(
				'youtube',
				'transient',
				`Google’s token endpoint failed (${detail}).`,
			);
		if (body.error === 'invalid_grant') {
			throw new PlatformError(
				'youtube',
				'reconsent',
				`Google no longer honours the fan’s refresh token (${detail}): it was revoked or expired; the fan needs a new consent.`,
			);
		}
		if (body.error === 'invalid_client' || body.error === 'unauthorized_client') {
			throw new PlatformError(
				'youtube',
				'permanent',
				`Google refused the app’s credentials (${detail}): check the YouTube clientId and clientSecret.`,
			);
		}
		throw new PlatformError(
			'youtube',
			'permanent',
			`Google refused the token request (${detail}).`,
		);
	}

	/** Subscribes the fan to the artist's channel (`UC…` id); already subscribed counts as done. */
	async followArtist(grant: PlatformGrant, channelId: string): Promise<void> {
		const response = await send(`${this.apiUrl}/youtube/v3/subscriptions?part=snippet`, {
			method: 'POST',
			headers: { authorization: `Bearer ${grant.accessToken}`, 'content-type': 'application/json' },
			body: JSON.stringify({ snippet: { resourceId: { kind: 'youtube#channel', channelId } } }),
		});
		if (response.ok) return;
		const body = parseJson(await response.text()) as GoogleError | undefined;
		const reason = body?.error?.errors?.[0]?.reason;
		const detail = `HTTP ${response.status}${reason ? `, ${reason}` : ''}: ${body?.error?.message ?? 'no detail'}`;
		if (reason === 'subscriptionDuplicate') return;
		if (reason === 'quotaExceeded' || reason === 'dailyLimitExceeded') {
			throw new PlatformError(
				'youtube',
				'permanent',
				`YouTube’s daily API quota for the app is spent (${detail}); each subscription costs 50 of the default 10,000 units, which reset at midnight Pacific time. Request a higher quota in the Google Cloud console for bigger campaigns.`,
			);
		}
		if (
			response.status === 429 ||
			reason === 'rateLimitExceeded' ||
			reason === 'userRateLimitExceeded'
		) {
			throw rateLimited(response, `YouTube is rate limiting the app (${detail}).`);
		}
		if (response.status === 401) {
			if (grant.accessExpiresAtMs !== null && grant.accessExpiresAtMs <= this.clock()) {
				throw new PlatformError(
					'youtube',
					'transient',
					'YouTube refused the fan’s access token: it expired; refresh it, then try again.',
				);
			}
			throw new PlatformError(
				'youtube',
				'reconsent',
				`YouTube refused the fan’s unexpired access token (${detail}): the fan revoked Fanloop’s access; they need a new consent.`,
			);
		}
		if (response.status >= 500)
			throw new PlatformError('youtube', 'transient', `YouTube failed to subscribe (${detail}).`);
		if (reason === 'insufficientPermissions') {
			throw new PlatformError(
				'youtube',
				'permanent',
				`YouTube refused the subscription (${detail}); the fan’s grant needs the scope ${YOUTUBE_FOLLOW_SCOPE}.`,
			);
		}
		throw new PlatformError(
			'youtube',
			'permanent',
			`YouTube refused to subscribe the fan to ${channelId} (${detail}).`,
		);
	}
}

interface GoogleError {
	error?: { code?: number; message?: string; errors?: Array<{ reason?: string }> };
}

async function send(
	url: string,
	init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Response> {
	try {
		return await fetch(url, {
			...init,
			headers: { accept: 'application/json', ...init.headers },
			signal: AbortSignal.timeout(TIMEOUT_MS),
		});
	} catch (error) {
		throw new PlatformError(
			'youtube',
			'transient',
			`YouTube did not answer: ${(error as Error).message}`,
		);
	}
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

function rateLimited(response: Response, message: string): PlatformError {
	const retryAfterSeconds = Number(response.headers.get('retry-after'));
	const retryAfterMs =
		Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
			? retryAfterSeconds * 1000
			: DEFAULT_RETRY_AFTER_MS;
	return new PlatformError('youtube', 'rate_limited', message, retryAfterMs);
}
