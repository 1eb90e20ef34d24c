/** The hub's HTTP API as a test calls it: one API key, JSON in and out, status kept. */
export class HubApi {
	constructor(
		readonly baseUrl: string,
		private readonly apiKey: string,
	) {}

	async call<T = any>(
		method: string,
		path: string,
		body?: unknown,
	): Promise<{ status: number; body: T }> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${this.apiKey}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
	}
}
