import { campaignIdOf } from '../campaigns';
import type { Fans } from '../fans';
import { HubError } from '../errors';
import { newId } from '../ids';
import { enqueueJob } from '../jobs';
import { ProviderError, type EmailSender, type SmsSender } from '../messaging';
import { iso } from '../model';
import { IDENTITY_OF, type OptInChannel, type OptIns, type TransactionalMessage } from './optins';
import { nextSendableAt, recipientZones } from './quiet-hours';
import type { SqlExecutor, SqlStore } from '../../store/sql-store';

export const SEND_MESSAGE_JOB = 'send_message';

export interface FrequencyCap {
	count: number;
	windowHours: number;
}

export interface SendRequest {
	fanId: string;
	channel: OptInChannel;
	text: string;
	subject?: string;
	campaignId?: string | null;
	idempotencyKey?: string | null;
	frequencyCap?: FrequencyCap;
}

export type MessageStatus = 'sending' | 'sent' | 'scheduled' | 'suppressed' | 'capped' | 'failed';

export interface MessageView {
	id: string;
	fanId: string;
	channel: OptInChannel;
	status: MessageStatus;
	sendAt: string;
	providerMessageId: string | null;
	error: string | null;
}

interface MessageRow {
	id: string;
	fan_id: string;
	campaign_id: string | null;
	channel: OptInChannel;
	subject: string | null;
	body: string;
	status: MessageStatus;
	send_at: number;
	provider_message_id: string | null;
	error: string | null;
}

function view(row: MessageRow): MessageView {
	return {
		id: row.id,
		fanId: row.fan_id,
		channel: row.channel,
		status: row.status,
		sendAt: iso(row.send_at),
		providerMessageId: row.provider_message_id,
		error: row.error,
	};
}

export interface Senders {
	sms?: SmsSender;
	email?: EmailSender;
}

const CONFIGURE_HINT: Record<OptInChannel, string> = {
	sms: 'SMS is not configured on this hub: set FANLOOP_TWILIO_ACCOUNT_SID, FANLOOP_TWILIO_AUTH_TOKEN and FANLOOP_TWILIO_FROM.',
	email: 'Email is not configured on this hub: set FANLOOP_SMTP_URL and FANLOOP_EMAIL_FROM.',
};

/**
 * Marketing messages: only with a granted consent, never in quiet hours (deferred to
 * the next window by a job, never dropped), within the marketer's frequency cap,
 * once per idempotency key. Consent and quiet hours are checked again when a deferred
 * message goes out, so a STOP in between wins.
 */
export class Messages {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly optIns: OptIns,
		private readonly senders: Senders,
		private readonly clock: () => number,
		private readonly onQueued: () => void,
	) {}

	async send(request: SendRequest): Promise<MessageView> {
		if (!this.senders[request.channel])
			throw new HubError('provider_not_configured', CONFIGURE_HINT[request.channel]);
		if (!request.text.trim()) throw new HubError('validation_failed', 'The message text is empty.');
		const row = await this.store.transaction(async (tx) => {
			if (request.idempotencyKey) {
				const existing = await tx.get<MessageRow>(
					'SELECT * FROM messages WHERE idempotency_key = $1',
					[request.idempotencyKey],
				);
				if (existing) return existing;
			}
			const fan = await this.fans.resolve(tx, request.fanId);
			const now = this.clock();
			const status = await this.admission(tx, fan.id, request, now);
			const zones = recipientZones(fan.timezone, await this.address(tx, fan.id, 'sms'));
			const sendAt = status === 'sending' ? nextSendableAt(now, zones) : now;
			const message: MessageRow = {
				id: newId('msg', now),
				fan_id: fan.id,
				campaign_id: request.campaignId ? await campaignIdOf(tx, request.campaignId) : null,
				channel: request.channel,
				subject: request.subject ?? null,
				body: request.text,
				status: status === 'sending' && sendAt > now ? 'scheduled' : status,
				send_at: sendAt,
				provider_message_id: null,
				error: null,
			};
			await tx.run(
				`INSERT INTO messages (id, fan_id, campaign_id, channel, subject, body, status, send_at, idempotency_key,
					created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
				[
					message.id,
					message.fan_id,
					message.campaign_id,
					message.channel,
					message.subject,
					message.body,
					message.status,
					message.send_at,
					request.idempotencyKey ?? null,
					now,
				],
			);
			if (message.status === 'scheduled')
				await enqueueJob(tx, SEND_MESSAGE_JOB, { messageId: message.id }, sendAt, now);
			return message;
		});
		if (row.status === 'sending') return view(await this.deliver(row));
		if (row.status === 'scheduled') this.onQueued();
		return view(row);
	}

	/** The job behind a deferred message: checks again, then sends or defers again. */
	async dispatch(messageId: string): Promise<void> {
		const row = await this.store.transaction(async (tx) => {
			const message = await tx.get<MessageRow>('SELECT * FROM messages WHERE id = $1', [messageId]);
			if (!message || message.status !== 'scheduled') return undefined;
			const now = this.clock();
			const fan = await this.fans.resolve(tx, message.fan_id).catch(() => undefined);
			const consent = fan && (await this.optIns.grantedConsent(fan.id, message.channel, tx));
			if (!fan || !consent) {
				await this.setStatus(tx, message.id, 'suppressed', 'consent withdrawn before sending');
				return undefined;
			}
			const sendAt = nextSendableAt(
				now,
				recipientZones(fan.timezone, await this.address(tx, fan.id, 'sms')),
			);
			if (sendAt > now) {
				await tx.run('UPDATE messages SET send_at = $2, updated_at = $3 WHERE id = $1', [
					message.id,
					sendAt,
					now,
				]);
				await enqueueJob(tx, SEND_MESSAGE_JOB, { messageId: message.id }, sendAt, now);
				return undefined;
			}
			await this.setStatus(tx, message.id, 'sending', null);
			return { ...message, status: 'sending' as const };
		});
		if (row) await this.deliver(row);
	}

	/** Confirmation requests and receipts: the fan asked for them, so no quiet hours and no cap. */
	async sendTransactional(message: TransactionalMessage): Promise<void> {
		const sender = this.senders[message.channel];
		if (!sender) throw new HubError('provider_not_configured', CONFIGURE_HINT[message.channel]);
		if (message.channel === 'sms') {
			await (sender as SmsSender).send({ to: message.to, body: message.text });
		} else {
			await (sender as EmailSender).send({
				to: message.to,
				subject: message.subject ?? '',
				text: message.text,
				html: message.html,
				headers: message.headers,
			});
		}
	}

	async get(messageId: string): Promise<MessageView> {
		const row = await this.store.get<MessageRow>('SELECT * FROM messages WHERE id = $1', [
			messageId,
		]);
		if (!row) throw new HubError('not_found', `No message with id ${messageId}.`);
		return view(row);
	}

	private async admission(
		tx: SqlExecutor,
		fanId: string,
		request: SendRequest,
		now: number,
	): Promise<MessageStatus> {
		if (!(await this.optIns.grantedConsent(fanId, request.channel, tx))) return 'suppressed';
		if (!request.frequencyCap) return 'sending';
		const since = now - request.frequencyCap.windowHours * 3_600_000;
		const recent = await tx.get<{ n: number }>(
			`SELECT COUNT(*) AS n FROM messages WHERE fan_id = $1 AND channel = $2 AND send_at > $3
			 AND status IN ('sending', 'sent', 'scheduled')`,
			[fanId, request.channel, since],
		);
		return Number(recent?.n) >= request.frequencyCap.count ? 'capped' : 'sending';
	}

	private async address(
		tx: SqlExecutor,
		fanId: string,
		channel: OptInChannel,
	): Promise<string | null> {
		const row = await tx.get<{ external_id: string }>(
			'SELECT external_id FROM identities WHERE fan_id = $1 AND channel = $2',
			[fanId, IDENTITY_OF[channel]],
		);
		return row?.external_id ?? null;
	}

	private async deliver(message: MessageRow): Promise<MessageRow> {
		const to = await this.address(this.store, message.fan_id, message.channel);
		try {
			if (!to)
				throw new ProviderError(
					'hub',
					`The fan has no ${IDENTITY_OF[message.channel]} to send to.`,
					true,
				);
			const { providerMessageId } =
				message.channel === 'sms'
					? await this.senders.sms!.send({ to, body: message.body })
					: await this.sendMarketingEmail(message, to);
			await this.store.run(
				`UPDATE messages SET status = 'sent', provider_message_id = $2, error = NULL, updated_at = $3 WHERE id = $1`,
				[message.id, providerMessageId, this.clock()],
			);
			return { ...message, status: 'sent', provider_message_id: providerMessageId };
		} catch (error) {
			const failure =
				error instanceof ProviderError
					? error
					: new ProviderError('hub', (error as Error).message, false);
			if (failure.permanent) {
				await this.store.transaction((tx) =>
					this.setStatus(tx, message.id, 'failed', failure.message),
				);
				return { ...message, status: 'failed', error: failure.message };
			}
			const retryAt = this.clock() + (failure.retryAfterMs ?? 60_000);
			await this.store.transaction(async (tx) => {
				await tx.run(
					`UPDATE messages SET status = 'scheduled', send_at = $2, error = $3, updated_at = $4 WHERE id = $1`,
					[message.id, retryAt, failure.message, this.clock()],
				);
				await enqueueJob(tx, SEND_MESSAGE_JOB, { messageId: message.id }, retryAt, this.clock());
			});
			this.onQueued();
			return { ...message, status: 'scheduled', send_at: retryAt, error: failure.message };
		}
	}

	private async sendMarketingEmail(
		message: MessageRow,
		to: string,
	): Promise<{ providerMessageId: string }> {
		const consent = await this.optIns.grantedConsent(message.fan_id, 'email');
		const unsubscribe = consent ? this.optIns.unsubscribeLink(consent.id) : undefined;
		return this.senders.email!.send({
			to,
			subject: message.subject ?? '',
			text: unsubscribe ? `${message.body}\n\n--\nUnsubscribe: ${unsubscribe}` : message.body,
			headers: unsubscribe
				? {
						'List-Unsubscribe': `<${unsubscribe}>`,
						'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
					}
				: undefined,
		});
	}

	private async setStatus(
		tx: SqlExecutor,
		messageId: string,
		status: MessageStatus,
		error: string | null,
	): Promise<void> {
		await tx.run('UPDATE messages SET status = $2, error = $3, updated_at = $4 WHERE id = $1', [
			messageId,
			status,
			error,
			this.clock(),
		]);
	}
}
