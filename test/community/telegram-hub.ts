import type { Message } from 'grammy/types';
import { startHub, type RunningHub } from '../../hub/src';
import type { Logger } from '../../hub/src/core/logger';
import type { TelegramUpdates } from '../../bot/src/config';
import type { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { Receiver } from '../support/receiver';
import { createTestDatabase, type StoreKind, type TestDatabase } from '../support/stores';
import { presavedFan, type Presaved } from '../support/community';

export interface TelegramHubOptions {
	updates?: TelegramUpdates;
	perUserLimit?: { requests: number; windowMs: number };
	logger?: Logger;
	/** The private channel the bot administers, created on the stand-in. */
	withChannel?: boolean;
	/** The hub's clock, for tests that move time (job retries). */
	clock?: SandboxClock;
}

/** A hub running its Telegram bot against the Bot API stand-in, with n8n's webhook played by a Receiver. */
export class TelegramHub {
	private constructor(
		readonly telegram: TelegramStandIn,
		readonly hub: RunningHub,
		readonly api: HubApi,
		readonly n8n: Receiver,
		readonly sealingKey: Buffer,
		readonly channelId: number | undefined,
		private readonly database: TestDatabase,
	) {}

	static async start(kind: StoreKind, options: TelegramHubOptions = {}): Promise<TelegramHub> {
		const telegram = await startTelegramStandIn();
		const channel = options.withChannel
			? telegram.createChannel({ title: 'Nia Vale Inner Circle' })
			: undefined;
		const database = await createTestDatabase(kind);
		const sealingKey = newSealingKey();
		const hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey,
			logger: options.logger,
			...(options.clock ? { clock: () => options.clock!.now() } : {}),
			delivery: { pollMs: 20, maxBackoffMs: 1000 },
			jobs: { pollMs: 20 },
			community: {
				telegram: {
					botToken: SANDBOX_TELEGRAM.token,
					apiRoot: telegram.apiRoot,
					...(channel ? { channelId: String(channel.id) } : {}),
					updates: options.updates ?? { mode: 'polling' },
					...(options.perUserLimit ? { perUserLimit: options.perUserLimit } : {}),
				},
			},
		});
		const api = new HubApi(hub.url, await hub.createApiKey('community test'));
		const n8n = await new Receiver().start();
		const subscribed = await api.call('POST', '/v1/webhooks', {
			url: n8n.url,
			events: ['community.joined', 'community.left'],
		});
		if (subscribed.status !== 201 && subscribed.status !== 200)
			throw new Error(`subscription failed: ${subscribed.status}`);
		return new TelegramHub(telegram, hub, api, n8n, sealingKey, channel?.id, database);
	}

	async close(): Promise<void> {
		await this.hub.close();
		await this.telegram.close();
		await this.n8n.stop();
		await this.database.drop();
	}

	/** A campaign with this platform's layer and a fan who pre-saved it. */
	presave(slug = 'nia-vale-halo'): Promise<Presaved> {
		return presavedFan(this.api, slug, ['telegram', 'sms', 'save']);
	}

	/** Waits for the bot's `count`-th message in the fan's chat and returns it. */
	async reply(userId: number, count: number): Promise<Message> {
		return eventually(
			`bot message #${count} to ${userId}`,
			() => this.telegram.messages(userId)[count - 1],
			10_000,
			() => JSON.stringify(this.telegram.messages(userId).map((message) => message.text)),
			20,
		);
	}

	/** The events n8n has received so far, by type, in order. */
	events(): {
		type: string;
		data: {
			fan: { id: string };
			community?: { platform: string; what: string };
			action?: { id: string; parentActionId: string | null; kind: string; status: string };
		};
	}[] {
		return this.n8n.received.map((delivery) => JSON.parse(delivery.body));
	}
}
