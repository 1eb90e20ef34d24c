// A tiny stand-in for the Fanloop hub's HTTP API: records every request and answers from
// per-test handlers, so node tests assert what the nodes send and how they treat answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: IncomingMessage['headers'];
	body: unknown;
}

export interface HubReply {
	status: number;
	body?: unknown;
}

export type HubHandler = (request: RecordedRequest) => HubReply | undefined;

export const API_KEY = 'test-api-key-never-shown';

export class FakeHub {
	readonly requests: RecordedRequest[] = [];
	private handlers: HubHandler[] = [];
	private server: Server | undefined;
	baseUrl = '';

	on(
		method: string,
		pathPattern: RegExp,
		reply: HubReply | ((request: RecordedRequest) => HubReply),
	) {
		this.handlers.push((request) =>
			request.method === method && pathPattern.test(request.path)
				? typeof reply === 'function'
					? reply(request)
					: reply
				: undefined,
		);
	}

	reset() {
		this.requests.length = 0;
		this.handlers = [];
	}

	async start() {
		this.server = createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	async stop() {
		if (!this.server) return;
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}

	private async handle(req: IncomingMessage, res: ServerResponse) {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const url = new URL(req.url ?? '/', 'http://hub');
		const request: RecordedRequest = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers: req.headers,
			body: raw ? JSON.parse(raw) : undefined,
		};
		this.requests.push(request);
		let reply: HubReply = {
			status: 404,
			body: { error: { code: 'not_found', message: `No route ${request.method} ${request.path}` } },
		};
		if (req.headers.authorization !== `Bearer ${API_KEY}`) {
			reply = { status: 401, body: { error: { code: 'unauthorized', message: 'Bad API key' } } };
		} else {
			try {
				reply = this.handlers.map((handler) => handler(request)).find(Boolean) ?? reply;
			} catch (error) {
				reply = { status: 500, body: { error: { code: 'test_bug', message: String(error) } } };
			}
		}
		res.writeHead(reply.status, { 'content-type': 'application/json' });
		res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
	}
}
