import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SandboxClock } from './clock';
import { Faults } from './faults';

export interface StandInRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: URLSearchParams;
	headers: IncomingMessage['headers'];
	rawBody: string;
	/** The URL the client called, as the provider would see it (for signatures over the URL). */
	url: string;
	/** Aborted when the client goes away before its answer: a long poll whose poller died ends with it. */
	callerGone: AbortSignal;
	/** When the request arrived, on the stand-in's clock: a benchmark reads from it the rate the platform saw. */
	receivedAtMs: number;
}

export interface StandInResponse {
	status: number;
	headers?: Record<string, string>;
	/** Objects are sent as JSON; strings as they are. */
	body?: unknown;
}

export type StandInHandler = (
	request: StandInRequest,
) => StandInResponse | Promise<StandInResponse>;

/** How a provider words injected faults; clients parse these bodies, so each provider keeps its own shape. */
export interface FaultAnswers {
	rateLimited(retryAfterSeconds: number): StandInResponse;
	unavailable(): StandInResponse;
}

const GENERIC_FAULT_ANSWERS: FaultAnswers = {
	rateLimited: (retryAfterSeconds) => ({
		status: 429,
		headers: { 'retry-after': String(retryAfterSeconds) },
		body: { error: { status: 429, message: 'API rate limit exceeded' } },
	}),
	unavailable: () => ({
		status: 503,
		body: { error: { status: 503, message: 'Service unavailable' } },
	}),
};

/**
 * The HTTP half every stand-in shares: a loopback server, fault injection before the
 * provider's own logic, and a request log tests can read. The provider's behaviour
 * is the handler.
 */
export class HttpStandIn {
	readonly faults = new Faults();
	readonly requests: StandInRequest[] = [];
	/** How many answers of each status it gave, faults included: a test can say no 429 was earned. */
	readonly answered = new Map<number, number>();
	private server: Server | undefined;
	private port = 0;
	private upgradeListener:
		((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;

	constructor(
		private readonly name: string,
		private readonly handler: StandInHandler,
		readonly clock: SandboxClock,
		private readonly faultAnswers: FaultAnswers = GENERIC_FAULT_ANSWERS,
	) {}

	get url(): string {
		if (!this.server) throw new Error(`${this.name} stand-in is not started`);
		return `http://127.0.0.1:${this.port}`;
	}

	/** Serves protocol upgrades (a WebSocket beside the REST API) on the same port; set before `start`. */
	onUpgrade(listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): void {
		this.upgradeListener = listener;
	}

	async start(port = 0): Promise<string> {
		this.server = createServer((request, response) => void this.serve(request, response));
		if (this.upgradeListener) this.server.on('upgrade', this.upgradeListener);
		await new Promise<void>((resolve, reject) => {
			this.server!.once('error', reject);
			this.server!.listen(port, '127.0.0.1', resolve);
		});
		this.port = (this.server.address() as { port: number }).port;
		return this.url;
	}

	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	}

	private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const receivedAtMs = this.clock.now();
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
		const callerGone = new AbortController();
		response.once('close', () => {
			if (!response.writableFinished) callerGone.abort();
		});
		const standInRequest: StandInRequest = {
			method: request.method ?? 'GET',
			path: url.pathname,
			query: url.searchParams,
			headers: request.headers,
			rawBody: Buffer.concat(chunks).toString('utf8'),
			url: url.toString(),
			callerGone: callerGone.signal,
			receivedAtMs,
		};
		this.requests.push(standInRequest);
		if (this.faults.delayMs > 0)
			await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
		const fault = this.faults.next();
		if (fault.kind === 'drop') {
			request.socket.destroy();
			return;
		}
		let answer: StandInResponse;
		if (fault.kind === 'rate_limit') {
			answer = this.faultAnswers.rateLimited(fault.retryAfterSeconds);
		} else if (fault.kind === 'server_error') {
			answer = this.faultAnswers.unavailable();
		} else {
			try {
				answer = await this.handler(standInRequest);
			} catch (error) {
				answer = {
					status: 500,
					body: { error: { status: 500, message: (error as Error).message } },
				};
			}
		}
		this.answered.set(answer.status, (this.answered.get(answer.status) ?? 0) + 1);
		const isText = typeof answer.body === 'string' || answer.body === undefined;
		response.writeHead(answer.status, {
			...(isText ? {} : { 'content-type': 'application/json' }),
			...answer.headers,
		});
		response.end(
			isText ? ((answer.body as string | undefined) ?? '') : JSON.stringify(answer.body),
		);
	}
}
