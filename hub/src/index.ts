import { createBots, type Bots } from '../../bot/src/index';
import {
	communityConfig,
	type CommunityConfig,
	type CommunityConfigInput,
} from '../../bot/src/config';
import type { DeliveryOptions } from './core/delivery';
import type { UpkeepOptions } from './core/upkeep';
import { HubError } from './core/errors';
import type { JobRunnerOptions } from './core/jobs';
import type { LeaseOptions } from './core/leases';
import type { Ledger } from './core/ledger';
import { silentLogger, type Logger } from './core/logger';
import type { OptInProgram } from './core/optins/optins';
import { parseSealingKey } from './core/sealing';
import type { FanAuthorizations } from './core/presave/authorization';
import type { StreamingPlatform, StreamingPlatformName } from './core/streaming/platform';
import { buildServer } from './http/server';
import { communityPlatforms } from './providers/community';
import { openServices, type HubServices, type MessagingConfig } from './services';
import { openStore, type StoreLocation } from './store/open-store';

export interface StartHubOptions extends StoreLocation {
	host?: string;
	port?: number;
	/** Where fans and providers reach the hub (links in emails, Twilio's signed URL). Defaults to the listening address. */
	publicUrl?: string;
	sealingKey: Buffer | string;
	program?: Partial<Omit<OptInProgram, 'publicUrl'>>;
	messaging?: MessagingConfig;
	delivery?: DeliveryOptions;
	/** Event retention and the store's housekeeping (core/upkeep.ts). */
	upkeep?: UpkeepOptions;
	jobs?: JobRunnerOptions;
	/** How long a bot's gateway connection or poller stays with a process that stopped renewing it (core/leases.ts). */
	leases?: LeaseOptions;
	streamingPlatforms?: ReadonlyMap<StreamingPlatformName, StreamingPlatform>;
	/** How fans connect each platform on a pre-save page (providers/fan-authorization.ts, or the sandbox's in tests). */
	fanAuthorizations?: FanAuthorizations;
	/** The Telegram and Discord bots and what the hub reaches them with; the bots run in this process unless `runBots` is false. */
	community?: CommunityConfigInput;
	logger?: Logger;
	clock?: () => number;
}

export interface RunningHub {
	url: string;
	ledger: Ledger;
	services: HubServices;
	createApiKey(name: string): Promise<string>;
	close(): Promise<void>;
}

export const DEFAULT_PROGRAM: Omit<OptInProgram, 'publicUrl'> = {
	name: 'Fanloop',
	helpText:
		'Fanloop: music updates from the artists you follow. Msg & data rates may apply. Reply STOP to opt out.',
	stopSuppresses: ['sms', 'email'],
};

function parseCommunity(input: CommunityConfigInput | undefined): CommunityConfig {
	const parsed = communityConfig.safeParse(input ?? {});
	if (parsed.success) return parsed.data;
	const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
	throw new HubError(
		'configuration_invalid',
		`The community bots are misconfigured. ${problems.join('; ')}`,
	);
}

/** Opens the ledger, starts event delivery, the job runner, the bots and the HTTP server; `close` stops them in order. */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
	const logger = options.logger ?? silentLogger;
	const clock = options.clock ?? Date.now;
	const sealingKey =
		typeof options.sealingKey === 'string'
			? parseSealingKey(options.sealingKey)
			: options.sealingKey;
	const host = options.host ?? '127.0.0.1';
	const port = options.port ?? 8790;
	const community = parseCommunity(options.community);
	const store = await openStore(options);
	const platforms = communityPlatforms(community, store);
	const program: OptInProgram = {
		...DEFAULT_PROGRAM,
		...options.program,
		// Port 0 is only known after listen; fixed below before anything can use it.
		publicUrl: options.publicUrl ?? `http://${host}:${port}`,
	};
	let services: HubServices;
	try {
		services = await openServices({
			store,
			sealingKey,
			program,
			messaging: options.messaging ?? {},
			logger,
			clock,
			delivery: options.delivery,
			upkeep: options.upkeep,
			jobs: options.jobs,
			leases: options.leases,
			streamingPlatforms: options.streamingPlatforms,
			fanAuthorizations: options.fanAuthorizations,
			communityPlatforms: platforms,
		});
	} catch (error) {
		await store.close();
		throw error;
	}
	const bots: Bots | undefined = community.runBots
		? createBots({
				config: community,
				desk: services.community.desk,
				logger,
				leases: services.leases,
				pacers: platforms.pacers,
			})
		: undefined;
	services.telegramWebhook = bots?.telegramWebhook;
	const server = buildServer(services, logger);
	const address = await server.listen({ host, port });
	if (!options.publicUrl) program.publicUrl = address;
	services.delivery.start();
	services.jobs.start();
	services.upkeep.start();
	try {
		await bots?.start(program.publicUrl);
	} catch (error) {
		await server.close();
		await Promise.all([
			services.jobs.stop(),
			services.delivery.stop(),
			services.upkeep.stop(),
			bots?.stop(),
		]);
		await services.ledger.close();
		throw error;
	}
	logger.info('hub started', { url: address, database: store.dialect.name });
	return {
		url: address,
		ledger: services.ledger,
		services,
		createApiKey: async (name) => (await services.ledger.apiKeys.create(name)).key,
		close: async () => {
			await bots?.stop();
			await server.close();
			await services.jobs.stop();
			await services.delivery.stop();
			await services.upkeep.stop();
			await services.ledger.close();
		},
	};
}

export { Ledger } from './core/ledger';
export { HubError } from './core/errors';
export {
	verifySignature,
	signatureHeader,
	SIGNATURE_HEADER,
	EVENT_ID_HEADER,
} from './core/signing';
export { twilioSignature } from './providers/twilio';
export { SqliteStore } from './store/sqlite-store';
export { PostgresStore } from './store/postgres-store';
export type { SqlStore } from './store/sql-store';
