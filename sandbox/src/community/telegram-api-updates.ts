import type { Update, WebhookInfo } from '@grammyjs/types';
import { badRequest, conflict, type TelegramParams } from './telegram-params';
import { Described, type BotApiMethods } from './telegram-method';
import { MAX_UPDATES_PER_CALL, type UpdateKind } from './telegram-updates';
import type { WebhookDelivery } from './telegram-webhook';
import type { TelegramWorld } from './telegram-world';

const MAX_LONG_POLL_SECONDS = 50;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const WEBHOOK_ACTIVE =
	"can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/**
 * How the bot receives its updates: long polling with getUpdates, or a webhook, never both.
 * A newer long poll ends the one waiting, as Telegram does when two instances poll.
 */
export class TelegramUpdateMethods {
	private currentPoll: AbortController | undefined;
	/** Long polls a newer getUpdates ended with 409 Conflict. */
	conflictingPolls = 0;

	constructor(
		private readonly world: TelegramWorld,
		private readonly webhook: WebhookDelivery,
	) {}

	methods(): BotApiMethods {
		return {
			getUpdates: (params, callerGone) => this.getUpdates(params, callerGone),
			setWebhook: (params) => this.setWebhook(params),
			deleteWebhook: (params) => this.deleteWebhook(params),
			getWebhookInfo: (): WebhookInfo => this.webhook.info(),
		};
	}

	/** Ends a waiting long poll. */
	close(): void {
		this.currentPoll?.abort('closed');
	}

	private async getUpdates(params: TelegramParams, callerGone?: AbortSignal): Promise<Update[]> {
		if (this.webhook.current) {
			throw conflict(WEBHOOK_ACTIVE);
		}
		const offset = params.optionalInteger('offset');
		const limit = Math.min(
			Math.max(params.optionalInteger('limit') ?? MAX_UPDATES_PER_CALL, 1),
			MAX_UPDATES_PER_CALL,
		);
		const timeoutSeconds = Math.min(
			Math.max(params.optionalInteger('timeout') ?? 0, 0),
			MAX_LONG_POLL_SECONDS,
		);
		const allowed = allowedUpdatesOf(params);
		// Telegram ends an earlier long poll when a newer one arrives: two pollers are a deployment bug.
		this.currentPoll?.abort('terminated');
		if (allowed) this.world.updates.setAllowed(allowed);
		if (offset !== undefined) this.world.updates.confirm(offset);
		if (this.world.updates.size === 0 && timeoutSeconds > 0) {
			const poll = new AbortController();
			this.currentPoll = poll;
			// A poller that died is not waiting any more: the next one to poll is not a second poller.
			const gone = () => poll.abort('gone');
			callerGone?.addEventListener('abort', gone);
			await this.world.updates.nextArrival(poll.signal, timeoutSeconds * 1000);
			callerGone?.removeEventListener('abort', gone);
			if (this.currentPoll === poll) this.currentPoll = undefined;
			if (poll.signal.reason === 'terminated') {
				this.conflictingPolls += 1;
				throw conflict(
					'terminated by other getUpdates request; make sure that only one bot instance is running',
				);
			}
			if (poll.signal.reason === 'webhook') {
				throw conflict(WEBHOOK_ACTIVE);
			}
		}
		return this.world.updates.first(limit);
	}

	private setWebhook(params: TelegramParams): Described {
		const url = params.optionalString('url') ?? '';
		if (url === '') return this.deleteWebhook(params);
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
		}
		// Telegram insists on HTTPS; on loopback the sandbox lets plain HTTP through.
		if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
			throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
		}
		const secretToken = params.optionalString('secret_token');
		if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) {
			throw badRequest('secret token contains unallowed characters');
		}
		const maxConnections = params.optionalInteger('max_connections') ?? 40;
		if (maxConnections < 1 || maxConnections > 100) {
			throw badRequest('invalid max_connections specified');
		}
		const allowed = allowedUpdatesOf(params);
		if (allowed) this.world.updates.setAllowed(allowed);
		if (params.optionalBoolean('drop_pending_updates')) this.world.updates.clear();
		const unchanged =
			this.webhook.current?.url === url && this.webhook.current.secretToken === secretToken;
		this.currentPoll?.abort('webhook');
		this.webhook.set({ url, secretToken, maxConnections });
		return new Described(true, unchanged ? 'Webhook is already set' : 'Webhook was set');
	}

	private deleteWebhook(params: TelegramParams): Described {
		const wasSet = this.webhook.current !== undefined;
		this.webhook.remove();
		if (params.optionalBoolean('drop_pending_updates')) this.world.updates.clear();
		return new Described(true, wasSet ? 'Webhook was deleted' : 'Webhook is already deleted');
	}
}

function allowedUpdatesOf(params: TelegramParams): UpdateKind[] | undefined {
	const allowed = params.optionalJson('allowed_updates');
	if (allowed === undefined) return undefined;
	if (!Array.isArray(allowed) || allowed.some((kind) => typeof kind !== 'string')) {
		throw badRequest('allowed_updates must be an Array of String');
	}
	return allowed as UpdateKind[];
}
