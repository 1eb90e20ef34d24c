import { PlatformError, type StreamingPlatformName } from '../core/streaming/platform';
import {
	ProviderUnreachable,
	sendProviderRequest,
	type ProviderRequest,
	type ProviderResponse,
} from './http-client';

/** One request to a streaming platform through the provider client; no answer at all is a passing failure. */
export async function sendToPlatform(
	platform: StreamingPlatformName,
	request: Omit<ProviderRequest, 'provider'>,
): Promise<ProviderResponse> {
	try {
		return await sendProviderRequest({ ...request, provider: platform });
	} catch (error) {
		if (error instanceof ProviderUnreachable)
			throw new PlatformError(platform, 'transient', error.message);
		throw error;
	}
}

/** The answer's JSON object, or an empty one when it is something else (some refusals are plain text). */
export function jsonObject(response: ProviderResponse): Record<string, unknown> {
	const body = response.body;
	return typeof body === 'object' && body !== null && !Array.isArray(body)
		? (body as Record<string, unknown>)
		: {};
}

/** A 429, with the wait the platform asked for. */
export function rateLimited(
	platform: StreamingPlatformName,
	response: ProviderResponse,
	message: string,
): PlatformError {
	return new PlatformError(platform, 'rate_limited', message, response.retryAfterMs);
}

export interface IssuedToken {
	accessToken: string;
	refreshToken?: string;
	scopes?: string[];
	accessExpiresAtMs: number;
}

/**
 * An OAuth 2 token endpoint (RFC 6749 §5), as Spotify's and Google's behave: a token
 * on success; `invalid_grant` means the fan's authorization is gone (re-consent);
 * `invalid_client` means the app's own credentials are wrong.
 */
export async function requestOAuthToken(request: {
	platform: StreamingPlatformName;
	/** Who answers, for messages: "Spotify", "Google". */
	issuer: string;
	url: string;
	headers?: Record<string, string>;
	form: Record<string, string>;
	clock: () => number;
	defaultExpiresInSeconds: number;
	/** Why a refresh token stops working on this platform, for the re-consent message. */
	invalidGrantReason: string;
	/** The settings to check when the app's credentials are refused. */
	credentialsHint: string;
}): Promise<IssuedToken> {
	const { platform, issuer } = request;
	// Count the token's life from before the request, so we never think it lives longer than it does.
	const requestedAtMs = request.clock();
	const response = await sendToPlatform(platform, {
		method: 'POST',
		url: request.url,
		headers: request.headers,
		body: { form: request.form },
	});
	const body = jsonObject(response) as {
		access_token?: string;
		refresh_token?: string;
		expires_in?: number;
		scope?: string;
		error?: string;
		error_description?: string;
	};
	if (response.ok && typeof body.access_token === 'string') {
		return {
			accessToken: body.access_token,
			refreshToken: body.refresh_token,
			scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : undefined,
			accessExpiresAtMs:
				requestedAtMs + Number(body.expires_in ?? request.defaultExpiresInSeconds) * 1000,
		};
	}
	const detail = `HTTP ${response.status}${body.error ? `, ${body.error}` : ''}: ${body.error_description ?? 'no detail'}`;
	if (response.status === 429)
		throw rateLimited(
			platform,
			response,
			`${issuer}’s token endpoint is rate limiting the app (${detail}).`,
		);
	if (response.status >= 500)
		throw new PlatformError(
			platform,
			'transient',
			`${issuer}’s token endpoint failed (${detail}).`,
		);
	if (body.error === 'invalid_grant') {
		throw new PlatformError(
			platform,
			'reconsent',
			`${issuer} no longer honours the fan’s refresh token (${detail}): ${request.invalidGrantReason}; the fan needs a new consent.`,
		);
	}
	if (body.error === 'invalid_client' || body.error === 'unauthorized_client') {
		throw new PlatformError(
			platform,
			'permanent',
			`${issuer} refused the app’s credentials (${detail}): check ${request.credentialsHint}.`,
		);
	}
	throw new PlatformError(
		platform,
		'permanent',
		`${issuer} refused the token request (${detail}).`,
	);
}
