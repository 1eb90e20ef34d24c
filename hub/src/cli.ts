#!/usr/bin/env node
import { createBots } from '../../bot/src/index';
import { communityConfig } from '../../bot/src/config';
import { configFromEnv, type HubConfig } from './config';
import { HubError } from './core/errors';
import { InsightsAggregates } from './core/insights/aggregates';
import { Ledger } from './core/ledger';
import { generateSealingKey } from './core/sealing';
import type { Logger } from './core/logger';
import { DEFAULT_PROGRAM, startHub } from './index';
import { jsonLogger } from './log';
import { communityPlatforms } from './providers/community';
import { fanAuthorizations } from './providers/fan-authorization';
import { streamingPlatforms } from './providers/streaming';
import { openServices } from './services';
import { openStore } from './store/open-store';

const USAGE = `Usage: fanloop-hub <command>

Commands:
  serve                         run the hub (HTTP API, event delivery, and the bots unless FANLOOP_BOTS=separate)
  bots                          run only the Telegram and Discord bots (long polling), on the hub's ledger
  api-key create --name NAME    create an API key and print it (shown once)
  sealing-key generate          print a new sealing key for FANLOOP_SEALING_KEY
  migrate                       apply database migrations and exit
  insights rebuild              recompute the kept insights figures from the ledger and exit

Configuration comes from the environment: FANLOOP_HOST, FANLOOP_PORT, FANLOOP_DATA_DIR,
FANLOOP_DATABASE_URL, FANLOOP_SEALING_KEY or FANLOOP_SEALING_KEY_FILE; the bots from FANLOOP_TELEGRAM_* and
FANLOOP_DISCORD_*. Several hub processes on PostgreSQL: each bot connects from one of them at a time, under a
lease another takes over when its holder dies (FANLOOP_BOT_LEASE_MS).`;

async function withLedger<T>(config: HubConfig, work: (ledger: Ledger) => Promise<T>): Promise<T> {
	const store = await openStore(config);
	let ledger: Ledger;
	try {
		ledger = await Ledger.open({ store, sealingKey: config.sealingKey });
	} catch (error) {
		await store.close();
		throw error;
	}
	try {
		return await work(ledger);
	} finally {
		await ledger.close();
	}
}

function flag(args: string[], name: string): string | undefined {
	const index = args.indexOf(name);
	return index >= 0 ? args[index + 1] : undefined;
}

async function serve(config: HubConfig): Promise<void> {
	const logger = jsonLogger();
	const hub = await startHub({
		host: config.host,
		port: config.port,
		sealingKey: config.sealingKey,
		dataDir: config.dataDir,
		databaseUrl: config.databaseUrl,
		publicUrl: config.publicUrl,
		program: config.program,
		messaging: config.messaging,
		streamingPlatforms: streamingPlatforms(config.streaming),
		fanAuthorizations: fanAuthorizations(config.streaming),
		community: config.community,
		delivery: { pollMs: config.deliveryPollMs, requestTimeoutMs: config.deliveryTimeoutMs },
		upkeep: { eventRetentionMs: config.eventRetentionMs },
		...(config.jobLeaseMs ? { jobs: { leaseMs: config.jobLeaseMs } } : {}),
		leases: { leaseMs: config.botLeaseMs },
		logger,
	});
	process.stdout.write(`Fanloop hub listening on ${hub.url}\n`);
	stopOnSignal(() => hub.close(), logger);
}

/** The bots on their own: the ledger and the desk, no HTTP server, no jobs. */
async function runBots(config: HubConfig): Promise<void> {
	const logger = jsonLogger();
	const community = communityConfig.parse({ ...config.community, runBots: true });
	if (!community.telegram && !community.discord) {
		throw new HubError(
			'configuration_invalid',
			'No bot is configured: set FANLOOP_TELEGRAM_BOT_TOKEN or the FANLOOP_DISCORD_* settings.',
		);
	}
	if (community.telegram?.updates.mode === 'webhook') {
		throw new HubError(
			'configuration_invalid',
			'A Telegram webhook is served by the hub itself: run "serve", or use FANLOOP_TELEGRAM_UPDATES=polling here.',
		);
	}
	const store = await openStore(config);
	const platforms = communityPlatforms(community, store);
	const services = await openServices({
		store,
		sealingKey: config.sealingKey,
		program: {
			...DEFAULT_PROGRAM,
			...config.program,
			publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}`,
		},
		messaging: {},
		logger,
		clock: Date.now,
		communityPlatforms: platforms,
		leases: { leaseMs: config.botLeaseMs },
	});
	const bots = createBots({
		config: community,
		desk: services.community.desk,
		logger,
		leases: services.leases,
		pacers: platforms.pacers,
	});
	await bots.start(config.publicUrl ?? '');
	process.stdout.write('Fanloop bots running\n');
	stopOnSignal(async () => {
		await bots.stop();
		await services.ledger.close();
	}, logger);
}

function stopOnSignal(close: () => Promise<void>, logger: Logger): void {
	const shutdown = (signal: string) => {
		logger.info('stopping', { signal });
		close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.once('SIGINT', shutdown);
	process.once('SIGTERM', shutdown);
}

async function main(args: string[]): Promise<void> {
	const [command, subcommand] = args;
	if (command === 'sealing-key' && subcommand === 'generate') {
		process.stdout.write(`${generateSealingKey()}\n`);
		return;
	}
	if (command === 'serve') return serve(configFromEnv());
	if (command === 'bots') return runBots(configFromEnv());
	if (command === 'migrate') {
		await withLedger(configFromEnv(), async () => undefined);
		process.stdout.write('The ledger is at the latest schema.\n');
		return;
	}
	if (command === 'insights' && subcommand === 'rebuild') {
		const rebuilt = await withLedger(configFromEnv(), (ledger) =>
			new InsightsAggregates(ledger.store).rebuild(),
		);
		process.stdout.write(
			`Insights rebuilt from the ledger: ${rebuilt.scopes} campaigns and artists, ${rebuilt.shares} fan shares.\n`,
		);
		return;
	}
	if (command === 'api-key' && subcommand === 'create') {
		const name = flag(args, '--name');
		if (!name)
			throw new HubError(
				'validation_failed',
				'Name the key: fanloop-hub api-key create --name "n8n production"',
			);
		const key = await withLedger(configFromEnv(), (ledger) => ledger.apiKeys.create(name));
		process.stdout.write(`${key.key}\n`);
		return;
	}
	process.stderr.write(`${USAGE}\n`);
	process.exitCode = command ? 2 : 0;
}

main(process.argv.slice(2)).catch((error: unknown) => {
	const message =
		error instanceof HubError ? error.message : `Unexpected error: ${(error as Error).message}`;
	process.stderr.write(`fanloop-hub: ${message}\n`);
	process.exit(1);
});
