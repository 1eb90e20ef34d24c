import { ProviderError } from '../core/messaging';
import { ProviderUnreachable, sendProviderRequest } from './http-client';

/** One JSON call to a list provider's REST API; non-2xx answers become ProviderErrors naming the provider's own message. */
export async function callJsonApi(
	provider: string,
	url: string,
	init: { method: 'GET' | 'POST' | 'PUT'; headers: Record<string, string>; body?: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
	let response;
	try {
		response = await sendProviderRequest({
			provider: provider.toLowerCase(),
			method: init.method,
			url,
			headers: init.headers,
			body: init.body === undefined ? undefined : { json: init.body },
		});
	} catch (error) {
		if (!(error instanceof ProviderUnreachable)) throw error;
		throw new ProviderError(provider, error.message, false);
	}
	const body =
		typeof response.body === 'object' && response.body !== null
			? (response.body as Record<string, unknown>)
			: {};
	if (response.ok) return { status: response.status, body };
	const detail = String(body.detail ?? body.message ?? body.title ?? `HTTP ${response.status}`);
	const retryable = response.status === 429 || response.status >= 500;
	throw new ProviderError(
		provider,
		`${provider} refused the request (HTTP ${response.status}): ${detail}`,
		!retryable,
		response.header('retry-after') !== undefined ? response.retryAfterMs : undefined,
	);
}
