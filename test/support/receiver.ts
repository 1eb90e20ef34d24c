import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
	headers: IncomingHttpHeaders;
	body: string;
}

/** A loopback HTTP endpoint standing in for n8n's webhook: records what arrives, answers what the test says. */
export class Receiver {
	readonly received: Received[] = [];
	status = 200;
	private server: Server | undefined;
	private port = 0;

	get url(): string {
		return `http://127.0.0.1:${this.port}/hook`;
	}

	async start(): Promise<this> {
		this.server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				this.received.push({
					headers: request.headers,
					body: Buffer.concat(chunks).toString('utf8'),
				});
				response.writeHead(this.status).end();
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
		this.port = (this.server.address() as { port: number }).port;
		return this;
	}

	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	}
}
