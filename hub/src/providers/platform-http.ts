import { PlatformError, type StreamingPlatformName } from '../core/streaming/platform';

const TIMEOUT_MS = 15_000;
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** One request to a streaming platform; no answer at all is a passing failure. */
export async function sendToPlatform(
	platform: StreamingPlatformName,
	provider: string,
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
			platform,
			'transient',
			`${provider} did not answer: ${(error as Error).message}`,
		);
	}
}

/** The parsed JSON, or the text itself when it is not JSON (some refusals are plain text). */
export function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

export async function readJsonObject(response: Response): Promise<Record<string, unknown>> {
	const parsed = parseJson(await response.text());
	return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** A 429, with its Retry-After turned into milliseconds. */
export function rateLimited(
	platform: StreamingPlatformName,
	response: Response,
	message: string,
): PlatformError {
	const retryAfterSeconds = Number(response.headers.get('retry-after'));
	const retryAfterMs =
		Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
			? retryAfterSeconds * 1000
			: DEFAULT_RETRY_AFTER_MS;
	return new PlatformError(platform, 'rate_limited', message, retryAfterMs);
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
	const response = await sendToPlatform(platform, `${issuer}'s token endpoint`, request.url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', ...request.headers },
		body: new URLSearchParams(request.form).toString(),
	});
	const body = (await readJsonObject(response)) as {
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
