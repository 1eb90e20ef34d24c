import { ProviderError } from '../core/messaging';

/** One JSON call to a provider's REST API; non-2xx answers become ProviderErrors naming the provider's own message. */
export async function callJsonApi(
	provider: string,
	url: string,
	init: { method: string; headers: Record<string, string>; body?: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
	let response: Response;
	try {
		response = await fetch(url, {
			method: init.method,
			headers: { accept: 'application/json', 'content-type': 'application/json', ...init.headers },
			body: init.body === undefined ? undefined : JSON.stringify(init.body),
			signal: AbortSignal.timeout(15_000),
		});
	} catch (error) {
		throw new ProviderError(provider, `${provider} did not answer: ${(error as Error).message}`, false);
	}
	const text = await response.text();
	const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
	if (response.ok) return { status: response.status, body };
	const detail = String(body.detail ?? body.message ?? body.title ?? `HTTP ${response.status}`);
	const retryAfterSeconds = Number(response.headers.get('retry-after'));
	throw new ProviderError(
		provider,
		`${provider} refused the request (HTTP ${response.status}): ${detail}`,
		response.status >= 400 && response.status < 500 && response.status !== 429,
		Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : undefined,
	);
}
