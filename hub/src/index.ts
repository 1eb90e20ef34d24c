import { DeliveryLoop, type DeliveryOptions } from './core/delivery';
import { Ledger } from './core/ledger';
import { silentLogger, type Logger } from './core/logger';
import { parseSealingKey } from './core/sealing';
import { buildServer } from './http/server';
import { openStore, type StoreLocation } from './store/open-store';

export interface StartHubOptions extends StoreLocation {
	host?: string;
	port?: number;
	sealingKey: Buffer | string;
	delivery?: DeliveryOptions;
	logger?: Logger;
	clock?: () => number;
}

export interface RunningHub {
	url: string;
	ledger: Ledger;
	createApiKey(name: string): Promise<string>;
	close(): Promise<void>;
}

/** Opens the ledger, starts event delivery and the HTTP server; `close` undoes all three in order. */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
	const logger = options.logger ?? silentLogger;
	const clock = options.clock ?? Date.now;
	const sealingKey = typeof options.sealingKey === 'string' ? parseSealingKey(options.sealingKey) : options.sealingKey;
	const store = await openStore(options);
	let delivery: DeliveryLoop | undefined;
	let ledger: Ledger;
	try {
		ledger = await Ledger.open({ store, sealingKey, clock, onEventQueued: () => delivery?.wake() });
	} catch (error) {
		await store.close();
		throw error;
	}
	delivery = new DeliveryLoop(store, ledger.webhooks, logger, clock, options.delivery);
	const server = buildServer(ledger, logger);
	const address = await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8790 });
	delivery.start();
	logger.info('hub started', { url: address, database: store.dialect.name });
	return {
		url: address,
		ledger,
		createApiKey: async (name) => (await ledger.apiKeys.create(name)).key,
		close: async () => {
			await server.close();
			await delivery.stop();
			await ledger.close();
		},
	};
}

export { Ledger } from './core/ledger';
export { HubError } from './core/errors';
export { verifySignature, signatureHeader, SIGNATURE_HEADER, EVENT_ID_HEADER } from './core/signing';
export { SqliteStore } from './store/sqlite-store';
export { PostgresStore } from './store/postgres-store';
export type { SqlStore } from './store/sql-store';
