import { DeliveryLoop, type DeliveryOptions } from './core/delivery';
import { JobRunner, type JobRunnerOptions } from './core/jobs';
import { Ledger } from './core/ledger';
import type { Logger } from './core/logger';
import { LinkTokens } from './core/optins/link-tokens';
import { Messages, SEND_MESSAGE_JOB, type Senders } from './core/optins/messages';
import { OptIns, TRANSACTIONAL_JOB, type OptInProgram, type TransactionalMessage } from './core/optins/optins';
import { SmtpEmail, type SmtpConfig } from './providers/smtp';
import { TwilioSms, type TwilioConfig } from './providers/twilio';
import type { SqlStore } from './store/sql-store';

export interface MessagingConfig {
	twilio?: TwilioConfig;
	smtp?: SmtpConfig;
}

export interface ServicesOptions {
	store: SqlStore;
	sealingKey: Buffer;
	program: OptInProgram;
	messaging: MessagingConfig;
	logger: Logger;
	clock: () => number;
	delivery?: DeliveryOptions;
	jobs?: JobRunnerOptions;
}

/** Everything the HTTP layer and the background loops work with, wired once. */
export interface HubServices {
	ledger: Ledger;
	optIns: OptIns;
	messages: Messages;
	jobs: JobRunner;
	delivery: DeliveryLoop;
	twilio?: TwilioConfig;
	program: OptInProgram;
}

export async function openServices(options: ServicesOptions): Promise<HubServices> {
	let delivery: DeliveryLoop | undefined;
	let jobs: JobRunner | undefined;
	const ledger = await Ledger.open({
		store: options.store,
		sealingKey: options.sealingKey,
		clock: options.clock,
		onEventQueued: () => delivery?.wake(),
	});
	const queued = () => {
		delivery?.wake();
		jobs?.wake();
	};
	const optIns = new OptIns(
		options.store,
		ledger.fans,
		ledger.actions,
		ledger.consents,
		ledger.webhooks,
		new LinkTokens(options.sealingKey),
		options.program,
		options.clock,
		queued,
	);
	const senders: Senders = {
		sms: options.messaging.twilio && new TwilioSms(options.messaging.twilio),
		email: options.messaging.smtp && new SmtpEmail(options.messaging.smtp),
	};
	const messages = new Messages(options.store, ledger.fans, optIns, senders, options.clock, queued);
	delivery = new DeliveryLoop(options.store, ledger.webhooks, options.logger, options.clock, options.delivery);
	jobs = new JobRunner(
		options.store,
		{
			[SEND_MESSAGE_JOB]: (payload) => messages.dispatch(String(payload.messageId)),
			[TRANSACTIONAL_JOB]: (payload) => messages.sendTransactional(payload as unknown as TransactionalMessage),
		},
		options.logger,
		options.clock,
		options.jobs,
	);
	return { ledger, optIns, messages, jobs, delivery, twilio: options.messaging.twilio, program: options.program };
}
