import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { POSTGRES_URL_ENV } from './postgres-server';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Where a suite's ledger lives: a fresh SQLite folder or a fresh PostgreSQL database, removed afterwards. */
export interface TestDatabase {
	kind: StoreKind;
	dataDir?: string;
	databaseUrl?: string;
	drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
	const url = process.env[POSTGRES_URL_ENV];
	if (!url) throw new Error(`${POSTGRES_URL_ENV} is not set: jest's globalSetup provides it`);
	const client = new Client({ connectionString: url });
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
	if (kind === 'sqlite') {
		const dataDir = mkdtempSync(join(tmpdir(), 'fanloop-ledger-'));
		return { kind, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
	}
	const name = `fanloop_test_${randomBytes(6).toString('hex')}`;
	await admin((client) => client.query(`CREATE DATABASE ${name}`));
	const url = new URL(process.env[POSTGRES_URL_ENV] as string);
	url.pathname = `/${name}`;
	return {
		kind,
		databaseUrl: url.toString(),
		drop: () =>
			admin(
				async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
			),
	};
}
