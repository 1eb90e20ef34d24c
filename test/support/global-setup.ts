import { ensurePostgresServer, POSTGRES_URL_ENV, type PostgresServer } from './postgres-server';

declare global {
	var fanloopPostgres: PostgresServer | undefined;
}

export default async function globalSetup(): Promise<void> {
	const server = await ensurePostgresServer();
	process.env[POSTGRES_URL_ENV] = server.url;
	globalThis.fanloopPostgres = server;
}
