import { createHash } from 'node:crypto';
import type { SandboxClock } from '../core/clock';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import {
	SANDBOX_USER_ID_PATTERN,
	basicCredentials,
	bearerToken,
	consentPage,
	presentParams,
	formBody,
	pkceS256,
	randomToken,
	redirectTo,
	textResponse,
} from './support';

export interface YouTubeStandInOptions {
	clientId: string;
	clientSecret: string;
	redirectUris: string[];
	clock: SandboxClock;
	/** The project's daily YouTube Data API quota; Google's default is 10,000 units. */
	dailyQuotaUnits?: number;
	appName?: string;
}

export interface YouTubeAuthorizeDirect {
	userId: string;
	scopes: string[];
	redirectUri: string;
	codeChallenge?: string;
	state?: string;
	/** 'consent' shows the consent screen anew, as Google's `prompt=consent` does. */
	prompt?: 'consent';
}

export const YOUTUBE_SCOPE = 'https://www.googleapis.com/auth/youtube';
export const YOUTUBE_FORCE_SSL_SCOPE = 'https://www.googleapis.com/auth/youtube.force-ssl';
export const YOUTUBE_READONLY_SCOPE = 'https://www.googleapis.com/auth/youtube.readonly';
/** Documented cost of `subscriptions.insert` and `subscriptions.delete`; `list` costs 1. */
export const SUBSCRIPTION_WRITE_UNITS = 50;
const LIST_UNITS = 1;
const ACCESS_TOKEN_SECONDS = 3599;
const CODE_LIFETIME_MS = 10 * 60 * 1000;
/** YouTube's daily quota resets at midnight Pacific time. */
const QUOTA_TIME_ZONE = 'America/Los_Angeles';
const CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;

const QUOTA_MESSAGE =
	'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';

function googleError(
	status: number,
	message: string,
	reason: string,
	domain: string,
	extra: Record<string, string> = {},
): StandInResponse {
	return {
		status,
		body: { error: { code: status, message, errors: [{ message, domain, reason, ...extra }] } },
	};
}

function tokenError(status: number, error: string, description: string): StandInResponse {
	return { status, body: { error, error_description: description } };
}

const pacificDay = new Intl.DateTimeFormat('en-CA', {
	timeZone: QUOTA_TIME_ZONE,
	year: 'numeric',
	month: '2-digit',
	day: '2-digit',
});

interface Grant {
	userId: string;
	scopes: string[];
	revoked: boolean;
}

interface Subscription {
	id: string;
	channelId: string;
	publishedAt: string;
}

/** Google's OAuth token endpoint (minimal) and YouTube Data API v3 subscriptions, with the daily unit quota. */
export class YouTubeStandIn {
	readonly server: HttpStandIn;
	private readonly clock: SandboxClock;
	private readonly dailyQuotaUnits: number;
	private readonly codes = new Map<
		string,
		{
			userId: string;
			scopes: string[];
			redirectUri: string;
			codeChallenge?: string;
			/** `prompt=consent`: the consent screen was shown anew, so a new refresh token comes with the code. */
			consentPrompted: boolean;
			expiresAtMs: number;
		}
	>();
	private readonly refreshTokens = new Map<string, Grant>();
	private readonly accessTokens = new Map<string, { grant: Grant; expiresAtMs: number }>();
	private readonly subscriptionsByUser = new Map<string, Subscription[]>();
	private quotaDay = '';
	private quotaUnitsUsed = 0;
	private userCounter = 0;

	constructor(private readonly options: YouTubeStandInOptions) {
		this.clock = options.clock;
		this.dailyQuotaUnits = options.dailyQuotaUnits ?? 10_000;
		this.server = new HttpStandIn('youtube', (request) => this.handle(request), this.clock);
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	get url(): string {
		return this.server.url;
	}

	// ---- test side ----

	authorizeDirect(request: YouTubeAuthorizeDirect): string {
		if (!this.options.redirectUris.includes(request.redirectUri))
			throw new Error(`redirect URI not registered: ${request.redirectUri}`);
		return this.issueCode(
			request.userId,
			request.scopes,
			request.redirectUri,
			request.codeChallenge,
			request.prompt === 'consent',
		);
	}

	subscriptions(userId: string): string[] {
		return (this.subscriptionsByUser.get(userId) ?? []).map(
			(subscription) => subscription.channelId,
		);
	}

	/** Units spent today (Pacific time) on the sandbox clock. */
	quotaUsed(): number {
		this.rollQuotaDay();
		return this.quotaUnitsUsed;
	}

	revoke(userId: string): void {
		for (const grant of this.refreshTokens.values())
			if (grant.userId === userId) grant.revoked = true;
	}

	// ---- OAuth ----

	private handle(request: StandInRequest): StandInResponse {
		const { method, path } = request;
		if (path === '/o/oauth2/v2/auth' && method === 'GET') return this.authPage(request.query);
		if (path === '/o/oauth2/v2/auth' && method === 'POST')
			return this.authDecision(formBody(request));
		if (path === '/token' && method === 'POST') return this.token(request);
		if (path === '/youtube/v3/subscriptions') return this.subscriptionsApi(request);
		if (path === '/youtube/v3/channels' && method === 'GET') return this.channelsApi(request);
		return googleError(404, 'Not Found', 'notFound', 'global');
	}

	private checkAuthParams(
		params: URLSearchParams,
	): StandInResponse | { redirectUri: string; scopes: string[] } {
		if (params.get('client_id') !== this.options.clientId)
			return textResponse(401, 'Error 401: invalid_client');
		const redirectUri = params.get('redirect_uri') ?? '';
		if (!this.options.redirectUris.includes(redirectUri))
			return textResponse(400, 'Error 400: redirect_uri_mismatch');
		const scopes = (params.get('scope') ?? '').split(' ').filter((scope) => scope.length > 0);
		if (params.get('response_type') !== 'code' || scopes.length === 0) {
			return redirectTo(redirectUri, {
				error: 'invalid_request',
				state: params.get('state') ?? undefined,
			});
		}
		return { redirectUri, scopes };
	}

	private authPage(params: URLSearchParams): StandInResponse {
		const checked = this.checkAuthParams(params);
		if ('status' in checked) return checked;
		const hiddenFields = presentParams(params, [
			'client_id',
			'redirect_uri',
			'response_type',
			'scope',
			'state',
			'access_type',
			'prompt',
			'code_challenge',
			'code_challenge_method',
		]);
		this.userCounter += 1;
		return consentPage({
			provider: 'Google',
			appName: this.options.appName ?? 'Fanloop',
			action: '/o/oauth2/v2/auth',
			hiddenFields,
			permissions: checked.scopes,
			suggestedUserId: `sandbox-youtube-fan-${this.userCounter}`,
		});
	}

	private authDecision(form: URLSearchParams): StandInResponse {
		const checked = this.checkAuthParams(form);
		if ('status' in checked) return checked;
		const state = form.get('state') ?? undefined;
		if (form.get('decision') !== 'agree')
			return redirectTo(checked.redirectUri, { error: 'access_denied', state });
		const userId = form.get('user_id') ?? '';
		if (!SANDBOX_USER_ID_PATTERN.test(userId)) return textResponse(400, 'Invalid sandbox user id');
		const code = this.issueCode(
			userId,
			checked.scopes,
			checked.redirectUri,
			form.get('code_challenge') ?? undefined,
			(form.get('prompt') ?? '').split(' ').includes('consent'),
		);
		return redirectTo(checked.redirectUri, { code, scope: checked.scopes.join(' '), state });
	}

	private issueCode(
		userId: string,
		scopes: string[],
		redirectUri: string,
		codeChallenge: string | undefined,
		consentPrompted: boolean,
	): string {
		const code = `4/${randomToken('0A', 40)}`;
		this.codes.set(code, {
			userId,
			scopes,
			redirectUri,
			codeChallenge,
			consentPrompted,
			expiresAtMs: this.clock.now() + CODE_LIFETIME_MS,
		});
		return code;
	}

	private token(request: StandInRequest): StandInResponse {
		const form = formBody(request);
		const credentials = basicCredentials(request) ?? {
			clientId: form.get('client_id') ?? '',
			clientSecret: form.get('client_secret') ?? '',
		};
		if (credentials.clientId !== this.options.clientId)
			return tokenError(401, 'invalid_client', 'The OAuth client was not found.');
		if (credentials.clientSecret !== this.options.clientSecret)
			return tokenError(401, 'invalid_client', 'Unauthorized');
		const grantType = form.get('grant_type');
		if (grantType === 'authorization_code') {
			const code = form.get('code') ?? '';
			const pending = this.codes.get(code);
			if (
				!pending ||
				pending.expiresAtMs <= this.clock.now() ||
				form.get('redirect_uri') !== pending.redirectUri
			) {
				return tokenError(400, 'invalid_grant', 'Bad Request');
			}
			if (
				pending.codeChallenge !== undefined &&
				pkceS256(form.get('code_verifier') ?? '') !== pending.codeChallenge
			) {
				return tokenError(400, 'invalid_grant', 'Invalid code verifier.');
			}
			this.codes.delete(code);
			const grant: Grant = { userId: pending.userId, scopes: pending.scopes, revoked: false };
			// Google issues a refresh token on the user's first consent to the app only, unless the
			// request asked for the consent screen again (prompt=consent).
			if (!pending.consentPrompted && this.holdsLiveGrant(pending.userId)) {
				return { status: 200, body: this.issueAccessToken(grant) };
			}
			const refreshToken = `1//${randomToken('0g', 60)}`;
			this.refreshTokens.set(refreshToken, grant);
			return {
				status: 200,
				body: { ...this.issueAccessToken(grant), refresh_token: refreshToken },
			};
		}
		if (grantType === 'refresh_token') {
			const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
			if (!grant || grant.revoked)
				return tokenError(400, 'invalid_grant', 'Token has been expired or revoked.');
			return { status: 200, body: this.issueAccessToken(grant) };
		}
		return tokenError(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (grantType ?? ''));
	}

	private holdsLiveGrant(userId: string): boolean {
		for (const grant of this.refreshTokens.values())
			if (grant.userId === userId && !grant.revoked) return true;
		return false;
	}

	private issueAccessToken(grant: Grant): Record<string, unknown> {
		const accessToken = `ya29.${randomToken('a0', 90)}`;
		this.accessTokens.set(accessToken, {
			grant,
			expiresAtMs: this.clock.now() + ACCESS_TOKEN_SECONDS * 1000,
		});
		return {
			access_token: accessToken,
			expires_in: ACCESS_TOKEN_SECONDS,
			scope: grant.scopes.join(' '),
			token_type: 'Bearer',
		};
	}

	// ---- Data API ----

	private rollQuotaDay(): void {
		const today = pacificDay.format(new Date(this.clock.now()));
		if (today !== this.quotaDay) {
			this.quotaDay = today;
			this.quotaUnitsUsed = 0;
		}
	}

	/** Spends `units`, or answers `quotaExceeded` without spending when the day's budget cannot cover them. */
	private charge(units: number): StandInResponse | undefined {
		this.rollQuotaDay();
		if (this.quotaUnitsUsed + units > this.dailyQuotaUnits)
			return googleError(403, QUOTA_MESSAGE, 'quotaExceeded', 'youtube.quota');
		this.quotaUnitsUsed += units;
		return undefined;
	}

	private subscriptionsApi(request: StandInRequest): StandInResponse {
		const token = bearerToken(request);
		const access = token === undefined ? undefined : this.accessTokens.get(token);
		if (!access || access.grant.revoked || access.expiresAtMs <= this.clock.now()) {
			return {
				status: 401,
				body: {
					error: {
						code: 401,
						message:
							'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
						errors: [
							{
								message: 'Invalid Credentials',
								domain: 'global',
								reason: 'authError',
								location: 'Authorization',
								locationType: 'header',
							},
						],
						status: 'UNAUTHENTICATED',
					},
				},
			};
		}
		const grant = access.grant;
		const { method, query } = request;
		const writeScopes = [YOUTUBE_SCOPE, YOUTUBE_FORCE_SSL_SCOPE];
		const readScopes = [...writeScopes, YOUTUBE_READONLY_SCOPE];
		const allowed = (method === 'GET' ? readScopes : writeScopes).some((scope) =>
			grant.scopes.includes(scope),
		);
		if (!allowed)
			return googleError(
				403,
				'Request had insufficient authentication scopes.',
				'insufficientPermissions',
				'global',
			);

		const cost = method === 'GET' ? LIST_UNITS : SUBSCRIPTION_WRITE_UNITS;
		const overQuota = this.charge(cost);
		if (overQuota) return overQuota;
		const mine = this.subscriptionsByUser.get(grant.userId) ?? [];
		this.subscriptionsByUser.set(grant.userId, mine);

		if (method === 'DELETE') {
			const index = mine.findIndex((subscription) => subscription.id === query.get('id'));
			if (index < 0)
				return googleError(
					404,
					'The subscription that you are trying to delete cannot be found.',
					'subscriptionNotFound',
					'youtube.subscription',
				);
			mine.splice(index, 1);
			return { status: 204 };
		}
		const part = query.get('part');
		if (!part)
			return googleError(400, 'Required parameter: part', 'required', 'global', {
				location: 'part',
				locationType: 'parameter',
			});
		if (method === 'GET') {
			const forChannelId = query.get('forChannelId');
			const items = mine.filter(
				(subscription) => !forChannelId || forChannelId.split(',').includes(subscription.channelId),
			);
			return {
				status: 200,
				body: {
					kind: 'youtube#subscriptionListResponse',
					etag: this.etag(items),
					pageInfo: { totalResults: items.length, resultsPerPage: items.length },
					items: items.map((subscription) => this.resource(grant.userId, subscription)),
				},
			};
		}
		if (method !== 'POST')
			return googleError(405, 'Method Not Allowed', 'methodNotAllowed', 'global');
		let body: unknown;
		try {
			body = JSON.parse(request.rawBody);
		} catch {
			return googleError(400, 'Invalid JSON payload received.', 'parseError', 'global');
		}
		const resourceId = (
			body as { snippet?: { resourceId?: { kind?: unknown; channelId?: unknown } } } | null
		)?.snippet?.resourceId;
		if (resourceId?.kind !== 'youtube#channel' || typeof resourceId.channelId !== 'string') {
			return googleError(
				400,
				'Subscription resource specified but the resourceId is missing.',
				'subscriptionForbidden',
				'youtube.subscription',
			);
		}
		const channelId = resourceId.channelId;
		if (!CHANNEL_ID.test(channelId)) {
			return googleError(
				404,
				"The subscriber's channel cannot be found.",
				'publisherNotFound',
				'youtube.subscription',
			);
		}
		if (mine.some((subscription) => subscription.channelId === channelId)) {
			return googleError(
				400,
				'The subscription that you are trying to create already exists.',
				'subscriptionDuplicate',
				'youtube.subscription',
			);
		}
		const subscription: Subscription = {
			id: createHash('sha256')
				.update(`${grant.userId}/${channelId}`)
				.digest('base64url')
				.slice(0, 43),
			channelId,
			publishedAt: new Date(this.clock.now()).toISOString(),
		};
		mine.push(subscription);
		return { status: 200, body: this.resource(grant.userId, subscription) };
	}

	private etag(value: unknown): string {
		return createHash('sha1').update(JSON.stringify(value)).digest('base64url');
	}

	/** channels.list with mine=true (1 unit): the signed-in fan's own channel, how a client learns who they are. */
	private channelsApi(request: StandInRequest): StandInResponse {
		const token = bearerToken(request);
		const access = token === undefined ? undefined : this.accessTokens.get(token);
		if (!access || access.grant.revoked || access.expiresAtMs <= this.clock.now()) {
			return googleError(
				401,
				'Request had invalid authentication credentials.',
				'authError',
				'global',
			);
		}
		if (
			!access.grant.scopes.some((scope) =>
				[YOUTUBE_SCOPE, YOUTUBE_FORCE_SSL_SCOPE, YOUTUBE_READONLY_SCOPE].includes(scope),
			)
		) {
			return googleError(
				403,
				'Request had insufficient authentication scopes.',
				'insufficientPermissions',
				'global',
			);
		}
		if (request.query.get('mine') !== 'true' || !request.query.get('part')) {
			return googleError(
				400,
				'No filter selected. Expected one of: mine, id, forHandle.',
				'missingRequiredParameter',
				'youtube.parameter',
			);
		}
		const overQuota = this.charge(LIST_UNITS);
		if (overQuota) return overQuota;
		const id = channelIdOf(access.grant.userId);
		return {
			status: 200,
			body: {
				kind: 'youtube#channelListResponse',
				pageInfo: { totalResults: 1, resultsPerPage: 1 },
				items: [{ kind: 'youtube#channel', etag: this.etag(id), id }],
			},
		};
	}

	private resource(userId: string, subscription: Subscription): Record<string, unknown> {
		return {
			kind: 'youtube#subscription',
			etag: this.etag(subscription),
			id: subscription.id,
			snippet: {
				publishedAt: subscription.publishedAt,
				title: `Sandbox channel ${subscription.channelId}`,
				description: '',
				resourceId: { kind: 'youtube#channel', channelId: subscription.channelId },
				channelId: channelIdOf(userId),
				thumbnails: {},
			},
		};
	}
}

/** A sandbox user's own channel id: stable, and shaped like YouTube's (UC + 22 characters). */
export function channelIdOf(userId: string): string {
	return `UC${createHash('sha256').update(userId).digest('base64url').slice(0, 22)}`;
}
