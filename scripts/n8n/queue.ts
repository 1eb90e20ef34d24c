import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import * as path from 'node:path';

import { freePort } from './free-port';
import { N8n, type N8nOptions } from './instance';
import { N8nProcess } from './process';

export interface QueueModeOptions extends N8nOptions {
	/** n8n's own database: PostgreSQL, which every process shares (queue mode cannot share SQLite). */
	databaseUrl: string;
	/** Bull's queue and n8n's pub/sub between its processes; defaults to redis://127.0.0.1:6379. */
	redisUrl?: string;
	/** How many `n8n worker` processes run the executions (default 2). */
	workers?: number;
	/** Jobs each worker runs at once (`--concurrency`; n8n's default is 10). */
	workerConcurrency?: number;
	/** Bull's key prefix in Redis, so several n8n installations can share one Redis; random when not given. */
	queuePrefix?: string;
	/** Port of the `n8n webhook` process, which serves production webhooks. */
	webhookPort?: number;
}

/** n8n's database settings from a postgres:// URL. */
export function postgresEnv(databaseUrl: string): NodeJS.ProcessEnv {
	const url = new URL(databaseUrl);
	if (!/^postgres(ql)?:$/.test(url.protocol)) {
		throw new Error(
			`n8n's queue mode needs PostgreSQL; "${url.protocol}" is not a postgres:// URL`,
		);
	}
	return {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: url.hostname,
		DB_POSTGRESDB_PORT: url.port || '5432',
		DB_POSTGRESDB_DATABASE: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'n8n',
		DB_POSTGRESDB_USER: decodeURIComponent(url.username) || 'postgres',
		DB_POSTGRESDB_PASSWORD: decodeURIComponent(url.password),
	};
}

/** Bull's Redis settings from a redis:// URL. */
export function redisEnv(redisUrl: string): NodeJS.ProcessEnv {
	const url = new URL(redisUrl);
	const env: NodeJS.ProcessEnv = {
		QUEUE_BULL_REDIS_HOST: url.hostname,
		QUEUE_BULL_REDIS_PORT: url.port || '6379',
		QUEUE_BULL_REDIS_DB: url.pathname.replace(/^\//, '') || '0',
	};
	if (url.username) env.QUEUE_BULL_REDIS_USERNAME = decodeURIComponent(url.username);
	if (url.password) env.QUEUE_BULL_REDIS_PASSWORD = decodeURIComponent(url.password);
	return env;
}

/**
 * n8n in queue mode (docs.n8n.io, "Configuring queue mode"): a main process (editor, public
 * API, activation: it registers the Fanloop Trigger's webhook with the hub), `n8n webhook`
 * processes serving production webhooks, and `n8n worker` processes running the executions
 * they put on a Bull queue in Redis. All of them read one PostgreSQL database and one user
 * folder (so one encryption key and one installed Fanloop package) and get one environment;
 * only their ports differ.
 */
export class N8nQueue {
	readonly workers: N8nProcess[];
	readonly webhook: N8nProcess;

	private constructor(
		readonly main: N8n,
		readonly webhookUrl: string,
		webhookPort: number,
		private readonly redisUrl: string,
		readonly queuePrefix: string,
		private readonly workerPorts: Array<{ healthPort: number; brokerPort: number }>,
		workerConcurrency: number | undefined,
	) {
		const spawnOf = (command: string[], name: string, env: NodeJS.ProcessEnv) =>
			new N8nProcess(
				command,
				main.n8nDir,
				main.userFolder,
				{ ...main.env, ...env },
				path.join(path.dirname(main.logFile), `n8n-${name}.log`),
			);
		this.workers = workerPorts.map(({ healthPort, brokerPort }, i) =>
			spawnOf(
				['worker', ...(workerConcurrency ? [`--concurrency=${workerConcurrency}`] : [])],
				`worker-${i + 1}`,
				{
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				},
			),
		);
		// The webhook process starts no task runner (only `start` and `worker` do): no broker port.
		this.webhook = spawnOf(['webhook'], 'webhook', { N8N_PORT: String(webhookPort) });
	}

	/** Imports and publishes (N8n.prepare) against PostgreSQL, then starts every process and waits until each is ready. */
	static async start(options: QueueModeOptions): Promise<N8nQueue> {
		const queue = await N8nQueue.prepare(options);
		try {
			await queue.start();
		} catch (error) {
			await queue.stop();
			throw error;
		}
		return queue;
	}

	static async prepare(options: QueueModeOptions): Promise<N8nQueue> {
		const webhookPort = options.webhookPort ?? (await freePort());
		const webhookUrl = `http://127.0.0.1:${webhookPort}`;
		const workerCount = options.workers ?? 2;
		const workers: Array<{ healthPort: number; brokerPort: number }> = [];
		for (let i = 0; i < workerCount; i++) {
			workers.push({ healthPort: await freePort(), brokerPort: await freePort() });
		}
		const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
		const queuePrefix = options.queuePrefix ?? `fanloop-${randomBytes(4).toString('hex')}`;
		const main = await N8n.prepare({
			...options,
			env: {
				EXECUTIONS_MODE: 'queue',
				...postgresEnv(options.databaseUrl),
				...redisEnv(redisUrl),
				QUEUE_BULL_PREFIX: queuePrefix,
				// n8n's cache and instance registry live in the same Redis in queue mode: under the same
				// prefix, two installations never read each other's webhooks, and dropping the queue's
				// keys drops them too.
				N8N_REDIS_KEY_PREFIX: queuePrefix,
				// Webhook URLs registered with the hub name the webhook process, not the main one.
				N8N_WEBHOOK_URL: `${webhookUrl}/`,
				N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
				// Manual runs from the editor go to the workers too, so every execution runs alike (and
				// the main starts no task runner: n8n's start command, 2.41).
				OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
				// Workers answer /healthz/readiness (their database and Redis connected) on their own port.
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				...options.env,
			},
		});
		main.webhookBaseUrl = webhookUrl;
		return new N8nQueue(
			main,
			webhookUrl,
			webhookPort,
			redisUrl,
			queuePrefix,
			workers,
			options.workerConcurrency,
		);
	}

	/**
	 * The main process first: it runs n8n's migrations, which the others would otherwise race,
	 * and activates the published workflows. Then the webhook process and the workers.
	 */
	async start(timeoutMs = 180_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		await this.main.startMain(deadline);
		this.webhook.spawn();
		for (const worker of this.workers) worker.spawn();
		await this.webhook.waitUntilReady(this.webhookUrl, deadline);
		for (const worker of this.workers) {
			await worker.waitUntilReady(this.healthUrlOf(worker), deadline);
		}
		await this.main.waitForWebhooks(deadline);
	}

	/** Starts a worker again (after `kill()`), and waits until it is ready. */
	async restartWorker(worker: N8nProcess, timeoutMs = 120_000): Promise<void> {
		worker.spawn();
		await worker.waitUntilReady(this.healthUrlOf(worker), Date.now() + timeoutMs);
	}

	private healthUrlOf(worker: N8nProcess): string {
		return `http://127.0.0.1:${this.workerPorts[this.workers.indexOf(worker)]?.healthPort}`;
	}

	/**
	 * Deletes this installation's Bull keys from Redis (a test's throwaway queue); n8n itself
	 * never removes them. One Lua call over a bare RESP connection: no Redis client to depend on.
	 */
	async dropQueueKeys(): Promise<void> {
		const url = new URL(this.redisUrl);
		const script =
			"local k = redis.call('keys', ARGV[1]) for i = 1, #k do redis.call('del', k[i]) end return #k";
		const args = [
			...(url.password
				? [
						[
							'AUTH',
							...(url.username ? [decodeURIComponent(url.username)] : []),
							decodeURIComponent(url.password),
						],
					]
				: []),
			['SELECT', url.pathname.replace(/^\//, '') || '0'],
			['EVAL', script, '0', `${this.queuePrefix}:*`],
		];
		const request = args
			.map((command) =>
				[`*${command.length}`, ...command.flatMap((arg) => [`$${Buffer.byteLength(arg)}`, arg])]
					.map((line) => `${line}\r\n`)
					.join(''),
			)
			.join('');
		await new Promise<void>((resolve, reject) => {
			const socket = createConnection(Number(url.port || 6379), url.hostname);
			let replies = '';
			socket.setTimeout(5_000, () => socket.destroy(new Error('Redis did not answer in 5 s')));
			socket.on('error', reject);
			socket.on('data', (chunk) => {
				replies += chunk.toString();
				if (replies.startsWith('-') || replies.includes('\r\n-')) {
					socket.destroy();
					return reject(new Error(`Redis refused: ${replies.trim()}`));
				}
				if (replies.split('\r\n').filter(Boolean).length >= args.length) {
					socket.end();
					resolve();
				}
			});
			socket.write(request);
		});
	}

	/** Webhook and workers first, so no execution is started against a main that is gone. */
	async stop(): Promise<void> {
		await Promise.all([this.webhook.stop(), ...this.workers.map((worker) => worker.stop())]);
		await this.main.stop();
	}

	logTail(lines = 40): string {
		return [this.main, this.webhook, ...this.workers].map((p) => p.logTail(lines)).join('\n');
	}
}
