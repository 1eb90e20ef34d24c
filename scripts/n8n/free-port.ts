import * as net from 'node:net';

/*
 * Ports below Linux's ephemeral range (32768–60999 by default). A port the kernel hands out for
 * `listen(0)` comes from that range, so between our check and the process that later listens on
 * it, any outbound connection on the machine may be given the same port as its local end — which
 * is how a hub restarted in a test met EADDRINUSE. Ports here are never given out that way.
 */
const LOWEST = 20_000;
const HIGHEST = 32_767;
const ATTEMPTS = 200;

function listensFreely(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.unref();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** A TCP port nothing listens on at the moment, on the loopback interface, outside the ephemeral range. */
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
		const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
		if (await listensFreely(port)) return port;
	}
	throw new Error(`no free port between ${LOWEST} and ${HIGHEST} after ${ATTEMPTS} tries`);
}
