/** A small client for the hub's HTTP API, as the real-n8n tests and the benchmark use it. */
export interface HubAction {
	id: string;
	kind: string;
	status: string;
	parentActionId: string | null;
	idempotencyKey?: string | null;
	[k: string]: unknown;
}

export interface FanExport {
	fan: { id: string };
	actions: HubAction[];
	[k: string]: unknown;
}

export class HubClient {
	constructor(
		readonly url: string,
		private readonly apiKey: string,
	) {}

	async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${this.apiKey}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	async upsertFan(email: string): Promise<string> {
		const { fan } = await this.request<{ fan: { id: string } }>('POST', '/v1/fans', {
			identities: [{ channel: 'email', value: email }],
		});
		return fan.id;
	}

	async createCampaign(slug: string): Promise<string> {
		const { campaign } = await this.request<{ campaign: { id: string } }>('POST', '/v1/campaigns', {
			slug,
			artist: 'The Loopers',
			title: 'Second Layer',
			releaseAtUtc: '2027-01-15T00:00:00Z',
		});
		return campaign.id;
	}

	async recordAction(action: {
		fanId: string;
		campaignId?: string;
		kind: string;
		status?: string;
		idempotencyKey?: string;
	}): Promise<HubAction> {
		const { action: recorded } = await this.request<{ action: HubAction }>(
			'POST',
			'/v1/actions',
			action,
		);
		return recorded;
	}

	async exportFan(fanId: string): Promise<FanExport> {
		return await this.request<FanExport>('GET', `/v1/fans/${encodeURIComponent(fanId)}/export`);
	}
}
