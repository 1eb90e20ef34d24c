import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { N8nOwner } from './owner';

export interface Execution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	workflowId: string;
	startedAt: string;
	stoppedAt?: string | null;
	data?: {
		resultData: {
			runData: Record<string, Array<{ data?: { main: Array<Array<{ json: unknown }> | null> } }>>;
			error?: unknown;
		};
	};
}

/**
 * n8n's public API (/api/v1) as the owner: signs in once, creates an API key once, then reads
 * workflows, credentials and executions.
 */
export class N8nPublicApi {
	private cookie: string | undefined;
	private apiKeyValue: string | undefined;

	constructor(
		private readonly url: string,
		private readonly owner: N8nOwner,
	) {}

	/** Forgets the session, which ends with the n8n process. */
	signedOut(): void {
		this.cookie = undefined;
	}

	/** The owner's session cookie for n8n's internal REST API (/rest). */
	async login(): Promise<string> {
		if (this.cookie) return this.cookie;
		const res = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: this.owner.email, password: this.owner.password }),
		});
		if (res.status !== 200) throw new Error(`n8n login: ${res.status} ${await res.text()}`);
		const cookie = res.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.find((c) => c.startsWith('n8n-auth='));
		if (!cookie) throw new Error('n8n login: no n8n-auth cookie');
		this.cookie = cookie;
		return cookie;
	}

	/** A public-API key for the owner (created once per object). */
	async apiKey(): Promise<string> {
		if (this.apiKeyValue) return this.apiKeyValue;
		const cookie = await this.login();
		const scopesRes = await fetch(`${this.url}/rest/api-keys/scopes`, { headers: { cookie } });
		const scopes = scopesRes.ok
			? ((await scopesRes.json()) as { data: string[] }).data
			: ['execution:list', 'execution:read', 'workflow:list', 'workflow:read'];
		const res = await fetch(`${this.url}/rest/api-keys`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'application/json' },
			body: JSON.stringify({
				label: `fanloop-${randomBytes(3).toString('hex')}`,
				expiresAt: null,
				scopes,
			}),
		});
		if (!res.ok) throw new Error(`n8n api key: ${res.status} ${await res.text()}`);
		const body = (await res.json()) as { data: { rawApiKey: string } };
		this.apiKeyValue = body.data.rawApiKey;
		return this.apiKeyValue;
	}

	/** GET on n8n's public API (/api/v1). */
	async get<T>(pathAndQuery: string): Promise<T> {
		const res = await fetch(`${this.url}/api/v1${pathAndQuery}`, {
			headers: { 'X-N8N-API-KEY': await this.apiKey(), accept: 'application/json' },
		});
		if (!res.ok) throw new Error(`GET /api/v1${pathAndQuery}: ${res.status} ${await res.text()}`);
		return (await res.json()) as T;
	}

	/** All executions of a workflow (newest first), with their data when asked. */
	async executions(workflowId: string, includeData = false): Promise<Execution[]> {
		const all: Execution[] = [];
		let cursor: string | undefined;
		do {
			const q = new URLSearchParams({ workflowId, limit: '250', includeData: String(includeData) });
			if (cursor) q.set('cursor', cursor);
			const page = await this.get<{ data: Execution[]; nextCursor?: string | null }>(
				`/executions?${q}`,
			);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all;
	}

	/** Waits until a workflow has at least `count` finished executions; returns them. */
	async waitForExecutions(
		workflowId: string,
		count: number,
		timeoutMs: number,
		includeData: boolean,
		explain: () => string,
	): Promise<Execution[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const done = (await this.executions(workflowId, includeData)).filter(
				(e) => e.stoppedAt || e.finished,
			);
			if (done.length >= count) return done;
			if (Date.now() > deadline) {
				throw new Error(
					`workflow ${workflowId}: ${done.length} of ${count} executions after ${timeoutMs} ms\n${explain()}`,
				);
			}
			await sleep(250);
		}
	}
}
