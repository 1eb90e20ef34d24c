import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { LEFTOVERS_ENV } from '../../scripts/leftovers';
import { ensurePostgresServer, POSTGRES_URL_ENV, type PostgresServer } from './postgres-server';

declare global {
	var fanloopPostgres: PostgresServer | undefined;
	var fanloopLeftovers: string | undefined;
}

export default async function globalSetup(): Promise<void> {
	const server = await ensurePostgresServer();
	process.env[POSTGRES_URL_ENV] = server.url;
	globalThis.fanloopPostgres = server;
	// Every n8n a test starts records itself here (the workers inherit the variable), so the
	// teardown ends what a failed or torn-down test could not stop.
	const leftovers = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-test-run-'));
	process.env[LEFTOVERS_ENV] = leftovers;
	globalThis.fanloopLeftovers = leftovers;
}
