import { CommunityAdmin } from './core/community/admin';
import { BROADCAST_JOB, BROADCAST_PART_JOB, CommunityBroadcasts } from './core/community/broadcast';
import { Community, type CommunityPlatforms } from './core/community/community';
import { CommunityLinks } from './core/community/links';
import { DeliveryLoop, type DeliveryOptions } from './core/delivery';
import { StoreUpkeep, type UpkeepOptions } from './core/upkeep';
import { FanReferences } from './core/fan-references';
import type { FanAuthorizations } from './core/presave/authorization';
import { LayerSessions } from './core/presave/layer-sessions';
import { OAuthStates } from './core/presave/oauth-states';
import { Presaves } from './core/presave/presaves';
import { ReconnectLinks, Reconnects } from './core/presave/reconnect';
import { JobRunner, type JobRunnerOptions } from './core/jobs';
import { leasesFor, type LeaseOptions, type Leases } from './core/leases';
import { Ledger } from './core/ledger';
import type { Logger } from './core/logger';
import { LinkTokens } from './core/optins/link-tokens';
import { Messages, SEND_MESSAGE_JOB, type Senders } from './core/optins/messages';
import {
	LIST_OPT_IN_JOB,
	LIST_OPT_IN_POLL_JOB,
	OptIns,
	TRANSACTIONAL_JOB,
	type OptInProgram,
	type TransactionalMessage,
} from './core/optins/optins';
import { HubError } from './core/errors';
import type { ListDoubleOptIn } from './core/messaging';
import { BrevoDoubleOptIn, type BrevoConfig } from './providers/brevo';
import { MailchimpDoubleOptIn, type MailchimpConfig } from './providers/mailchimp';
import { SmtpEmail, type SmtpConfig } from './providers/smtp';
import { TwilioSms, type TwilioConfig } from './providers/twilio';
import {
	CONVERSION_JOB,
	CONVERSION_PART_JOB,
	ReleaseConversion,
} from './core/streaming/conversion';
import { FutureSaveConversion } from './core/streaming/future-saves';
import type { StreamingPlatform, StreamingPlatformName } from './core/streaming/platform';
import { Streaming } from './core/streaming/streaming';
import type { SqlStore } from './store/sql-store';

export interface MessagingConfig {
	twilio?: TwilioConfig;
	smtp?: SmtpConfig;
	/** Email double opt-in through a list provider instead of the hub's own link. */
	mailchimp?: MailchimpConfig;
	brevo?: BrevoConfig;
}

function listOptInOf(messaging: MessagingConfig): ListDoubleOptIn | undefined {
	if (messaging.mailchimp && messaging.brevo) {
		throw new HubError(
			'configuration_invalid',
			'Configure Mailchimp or Brevo for email double opt-in, not both.',
		);
	}
	if (messaging.mailchimp) return new MailchimpDoubleOptIn(messaging.mailchimp);
	if (messaging.brevo) return new BrevoDoubleOptIn(messaging.brevo);
	return undefined;
}

export interface ServicesOptions {
	store: SqlStore;
	sealingKey: Buffer;
	program: OptInProgram;
	messaging: MessagingConfig;
	logger: Logger;
	clock: () => number;
	delivery?: DeliveryOptions;
	upkeep?: UpkeepOptions;
	jobs?: JobRunnerOptions;
	/** The leases that keep one bot connection per bot across hub processes (core/leases.ts). */
	leases?: LeaseOptions;
	/** The streaming platforms this hub may act on (adapters from providers/, or stand-ins' in tests). */
	streamingPlatforms?: ReadonlyMap<StreamingPlatformName, StreamingPlatform>;
	/** Telegram and Discord as the hub reaches them (providers/telegram.ts, discord.ts); none when not configured. */
	communityPlatforms?: CommunityPlatforms;
	/** How fans connect each platform on a pre-save page (providers/fan-authorization.ts); none when not configured. */
	fanAuthorizations?: FanAuthorizations;
}

/** What the pre-save page, the OAuth callbacks and the layers page work with. */
export interface PresaveServices {
	presaves: Presaves;
	authorizations: FanAuthorizations;
	states: OAuthStates;
	sessions: LayerSessions;
	references: FanReferences;
	reconnects: Reconnects;
}

/** The community layer: the desk the bots call, and what the API offers the marketer. */
export interface CommunityServices {
	desk: Community;
	links: CommunityLinks;
	admin: CommunityAdmin;
	broadcasts: CommunityBroadcasts;
}

/** Telegram's updates when the bot runs in webhook mode in this process. */
export interface TelegramWebhook {
	secretToken: string;
	handle(update: unknown): Promise<void>;
}

/** Everything the HTTP layer and the background loops work with, wired once. */
export interface HubServices {
	ledger: Ledger;
	optIns: OptIns;
	messages: Messages;
	jobs: JobRunner;
	delivery: DeliveryLoop;
	upkeep: StoreUpkeep;
	streaming: Streaming;
	conversion: ReleaseConversion;
	community: CommunityServices;
	presave: PresaveServices;
	/** What the bots connect under: one gateway connection and one poller per bot, whichever process holds it. */
	leases: Leases;
	/** Set once the Telegram bot runs in webhook mode inside this process. */
	telegramWebhook?: TelegramWebhook;
	twilio?: TwilioConfig;
	program: OptInProgram;
	clock: () => number;
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
	// A fan's action queues an event, never a job: waking the job runner for it cost a claim query per action.
	const eventQueued = () => delivery?.wake();
	const queued = () => {
		delivery?.wake();
		jobs?.wake();
	};
	const optIns = new OptIns({
		store: options.store,
		fans: ledger.fans,
		actions: ledger.actions,
		consents: ledger.consents,
		webhooks: ledger.webhooks,
		links: new LinkTokens(options.sealingKey),
		artists: ledger.artists,
		futureSaves: ledger.futureSaves,
		program: options.program,
		clock: options.clock,
		onQueued: queued,
		listOptIn: listOptInOf(options.messaging),
	});
	const senders: Senders = {
		sms: options.messaging.twilio && new TwilioSms(options.messaging.twilio),
		email: options.messaging.smtp && new SmtpEmail(options.messaging.smtp),
	};
	const messages = new Messages(options.store, ledger.fans, optIns, senders, options.clock, queued);
	const platforms = options.streamingPlatforms ?? new Map();
	const streaming = new Streaming(
		platforms,
		ledger.fans,
		ledger.campaigns,
		ledger.actions,
		ledger.tokens,
		options.store,
		options.clock,
	);
	const futureSaveConversion = new FutureSaveConversion(options.store, streaming, options.clock);
	const conversion = new ReleaseConversion(
		options.store,
		ledger.campaigns,
		streaming,
		options.clock,
		queued,
		futureSaveConversion,
	);
	const community = openCommunity(ledger, options, { queued, eventQueued }, streaming);
	delivery = new DeliveryLoop(
		options.store,
		ledger.webhooks,
		options.logger,
		options.clock,
		options.delivery,
	);
	jobs = new JobRunner(
		options.store,
		{
			[SEND_MESSAGE_JOB]: (payload) => messages.dispatch(String(payload.messageId)),
			[TRANSACTIONAL_JOB]: (payload) =>
				messages.sendTransactional(payload as unknown as TransactionalMessage),
			[LIST_OPT_IN_JOB]: (payload) =>
				optIns.requestListOptIn(String(payload.consentId), String(payload.email)),
			[CONVERSION_JOB]: (payload, job) => conversion.run(payload, job),
			[CONVERSION_PART_JOB]: (payload, job) => conversion.runPart(payload, job),
			[LIST_OPT_IN_POLL_JOB]: (payload) =>
				optIns.pollListOptIn(String(payload.consentId), String(payload.email)),
			[BROADCAST_JOB]: (payload, job) => community.broadcasts.run(payload, job),
			[BROADCAST_PART_JOB]: (payload, job) => community.broadcasts.runPart(payload, job),
		},
		options.logger,
		options.clock,
		// A process runs one piece of each at a time, so the pieces spread over every process up.
		{ ...options.jobs, oneAtATime: [CONVERSION_PART_JOB, BROADCAST_PART_JOB] },
	);
	const references = new FanReferences(options.sealingKey);
	const reconnects = new Reconnects(
		options.store,
		ledger.fans,
		ledger.tokens,
		ledger.campaigns,
		conversion,
		new ReconnectLinks(references, options.sealingKey),
		options.clock,
	);
	return {
		ledger,
		optIns,
		messages,
		jobs,
		delivery,
		upkeep: new StoreUpkeep(options.store, options.logger, options.clock, options.upkeep),
		streaming,
		conversion,
		community,
		leases: leasesFor(options.store, options.logger, options.leases),
		presave: {
			presaves: new Presaves(
				ledger.fans,
				ledger.tokens,
				ledger.actions,
				ledger.campaigns,
				streaming,
				optIns,
				options.store,
				queued,
			),
			authorizations: options.fanAuthorizations ?? new Map(),
			states: new OAuthStates(options.store, ledger.sealer, options.sealingKey, options.clock),
			sessions: new LayerSessions(options.sealingKey, options.clock),
			references,
			reconnects,
		},
		twilio: options.messaging.twilio,
		program: options.program,
		clock: options.clock,
	};
}

function openCommunity(
	ledger: Ledger,
	options: ServicesOptions,
	wake: { queued: () => void; eventQueued: () => void },
	streaming: Streaming,
): CommunityServices {
	const platforms = options.communityPlatforms ?? { messengers: {}, invites: {}, pacers: {} };
	const references = new FanReferences(options.sealingKey);
	const desk = new Community({
		ledger,
		references,
		platforms,
		program: options.program,
		libraryPlatforms: () => streaming.withLibrary(),
		clock: options.clock,
		onQueued: wake.eventQueued,
	});
	const admin = new CommunityAdmin(ledger, desk, platforms);
	return {
		desk,
		links: new CommunityLinks(
			ledger,
			references,
			platforms.invites,
			options.program,
			options.clock,
		),
		admin,
		broadcasts: new CommunityBroadcasts(
			ledger,
			desk,
			admin,
			platforms.pacers,
			options.clock,
			wake.queued,
		),
	};
}
