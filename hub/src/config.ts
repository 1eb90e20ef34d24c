import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { HubError } from './core/errors';
import { parseSealingKey } from './core/sealing';

export interface HubConfig {
	host: string;
	port: number;
	/** The SQLite ledger lives here unless `databaseUrl` names a PostgreSQL database. */
	dataDir: string;
	databaseUrl?: string;
	sealingKey: Buffer;
	deliveryPollMs: number;
}

const environment = z.object({
	FANLOOP_HOST: z.string().default('127.0.0.1'),
	FANLOOP_PORT: z.coerce.number().int().min(0).max(65535).default(8790),
	FANLOOP_DATA_DIR: z.string().default('.fanloop/hub'),
	FANLOOP_DATABASE_URL: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'FANLOOP_DATABASE_URL must be a postgres:// URL')
		.optional(),
	FANLOOP_SEALING_KEY: z.string().optional(),
	FANLOOP_SEALING_KEY_FILE: z.string().optional(),
	FANLOOP_DELIVERY_POLL_MS: z.coerce.number().int().min(10).default(500),
});

function sealingKeyFrom(env: z.infer<typeof environment>): Buffer {
	if (env.FANLOOP_SEALING_KEY) return parseSealingKey(env.FANLOOP_SEALING_KEY);
	if (env.FANLOOP_SEALING_KEY_FILE) {
		let text: string;
		try {
			text = readFileSync(env.FANLOOP_SEALING_KEY_FILE, 'utf8');
		} catch (error) {
			throw new HubError(
				'configuration_invalid',
				`Cannot read FANLOOP_SEALING_KEY_FILE ${env.FANLOOP_SEALING_KEY_FILE}: ${(error as NodeJS.ErrnoException).code}.`,
			);
		}
		return parseSealingKey(text);
	}
	throw new HubError(
		'configuration_invalid',
		'Set FANLOOP_SEALING_KEY or FANLOOP_SEALING_KEY_FILE. Generate a key with "fanloop-hub sealing-key generate" and keep it apart from the data folder.',
	);
}

/** Reads the hub's configuration from the environment once; every problem is named in one error. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
	const parsed = environment.safeParse(env);
	if (!parsed.success) {
		throw new HubError(
			'configuration_invalid',
			parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
		);
	}
	const values = parsed.data;
	return {
		host: values.FANLOOP_HOST,
		port: values.FANLOOP_PORT,
		dataDir: resolve(values.FANLOOP_DATA_DIR),
		databaseUrl: values.FANLOOP_DATABASE_URL,
		sealingKey: sealingKeyFrom(values),
		deliveryPollMs: values.FANLOOP_DELIVERY_POLL_MS,
	};
}
