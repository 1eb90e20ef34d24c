import {
	PlatformError,
	type PlatformGrant,
	type StreamingPlatform,
} from '../core/streaming/platform';
import { rateLimited, requestOAuthToken, sendToPlatform } from './platform-http';

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
/** subscriptions.insert takes either, as the discovery document lists them. */
const YOUTUBE_SUBSCRIBE_SCOPES = [
	YOUTUBE_FOLLOW_SCOPE,
	'https://www.googleapis.com/auth/youtube.force-ssl',
	'https://www.googleapis.com/auth/youtubepartner',
] as const;

/**
 * YouTube for the follow layer only: `followArtist` subscribes the fan to a channel
 * (subscriptions.insert, 50 quota units). YouTube has no library to save a release to, so
 * it offers no `library`.
 */
export class YouTubePlatform implements StreamingPlatform {
	readonly name = 'youtube' as const;
	readonly requestsPerSecond: number;
	readonly requiredScopes = { followArtist: YOUTUBE_SUBSCRIBE_SCOPES };
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
		const issued = await requestOAuthToken({
			platform: 'youtube',
			issuer: 'Google',
			url: this.tokenUrl,
			form: {
				grant_type: 'refresh_token',
				refresh_token: grant.refreshToken,
				client_id: this.config.clientId,
				client_secret: this.config.clientSecret,
			},
			clock: this.clock,
			defaultExpiresInSeconds: 3599,
			invalidGrantReason: 'it was revoked or expired',
			credentialsHint: 'the YouTube clientId and clientSecret',
		});
		return {
			...grant,
			accessToken: issued.accessToken,
			refreshToken: issued.refreshToken ?? grant.refreshToken,
			scopes: issued.scopes ?? grant.scopes,
			accessExpiresAtMs: issued.accessExpiresAtMs,
		};
	}

	/** Subscribes the fan to the artist's channel (`UC…` id); already subscribed counts as done. */
	async followArtist(grant: PlatformGrant, channelId: string): Promise<void> {
		const response = await sendToPlatform('youtube', {
			method: 'POST',
			url: `${this.apiUrl}/youtube/v3/subscriptions`,
			query: { part: 'snippet' },
			headers: { authorization: `Bearer ${grant.accessToken}` },
			body: { json: { snippet: { resourceId: { kind: 'youtube#channel', channelId } } } },
		});
		if (response.ok) return;
		const body = response.body as GoogleError | string | undefined;
		const google = typeof body === 'object' ? body : undefined;
		const reason = google?.error?.errors?.[0]?.reason;
		const detail = `HTTP ${response.status}${reason ? `, ${reason}` : ''}: ${google?.error?.message ?? 'no detail'}`;
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
			throw rateLimited('youtube', response, `YouTube is rate limiting the app (${detail}).`);
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
