import { SandboxClock } from '../core/clock';
import { BrevoStandIn } from './brevo';
import { MailchimpStandIn } from './mailchimp';
import { SmtpStandIn } from './smtp';
import { TwilioStandIn } from './twilio';

export {
	TwilioStandIn,
	TWILIO_HELP_KEYWORDS,
	TWILIO_OPT_IN_KEYWORDS,
	TWILIO_OPT_OUT_KEYWORDS,
	smsSegments,
	twilioSignature,
	type InboundResult,
	type InboundSms,
	type SentSms,
	type TwilioMessageStatus,
	type TwilioStandInOptions,
} from './twilio';
export {
	SmtpStandIn,
	type CapturedEmail,
	type SmtpRejection,
	type SmtpStandInOptions,
} from './smtp';
export {
	MailchimpStandIn,
	MAILCHIMP_API_KEY_PATTERN,
	subscriberHash,
	type MailchimpConfirmation,
	type MailchimpMember,
	type MailchimpMemberStatus,
	type MailchimpStandInOptions,
} from './mailchimp';
export {
	BrevoStandIn,
	type BrevoAttributeValue,
	type BrevoContact,
	type BrevoDoiRequest,
	type BrevoStandInOptions,
} from './brevo';

/** Sandbox-only credentials: they open nothing but these loopback stand-ins. */
export const SANDBOX_TWILIO = {
	accountSid: 'AC5a4db0c0ffee5a4db0c0ffee5a4db0c0',
	authToken: 'f4a7c3e9b1d24e6f8a0b2c4d6e8f0a1b',
	/** Twilio's documented "valid sender" magic number. */
	from: '+15005550006',
	/** A Messaging Service whose sender pool is `from`, for hubs configured with an MG… sender. */
	messagingServiceSid: 'MG5a4db0c0ffee5a4db0c0ffee5a4db0c0',
} as const;
export const SANDBOX_SMTP = {
	user: 'fanloop',
	password: 'sandbox-smtp-password',
	from: 'Fanloop Sandbox <hello@sandbox.fanloop.test>',
} as const;
export const SANDBOX_MAILCHIMP = {
	apiKey: '5a4db0c0ffee5a4db0c0ffee5a4db0c0-us21',
	listId: 'f4a1b2c3d4',
} as const;
export const SANDBOX_BREVO = {
	apiKey:
		'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',
	listId: 2,
	doiTemplateId: 1,
} as const;

export interface MessagingSandboxOptions {
	clock?: SandboxClock;
	/** Fixed ports; any left out are chosen free by the system. */
	ports?: Partial<Record<'twilio' | 'smtp' | 'mailchimp' | 'brevo', number>>;
	/** Segments per second per sender number (default 1, a US long code). */
	twilioSendRatePerSecond?: number;
	/** Require SMTP AUTH with `SANDBOX_SMTP` credentials (default true). */
	smtpAuth?: boolean;
}

export interface MessagingSandbox {
	clock: SandboxClock;
	twilio: TwilioStandIn;
	smtp: SmtpStandIn;
	mailchimp: MailchimpStandIn;
	brevo: BrevoStandIn;
	urls: {
		/** Twilio's API origin (as `https://api.twilio.com`). */
		twilio: string;
		/** `smtp://user:password@127.0.0.1:port`, ready for nodemailer. */
		smtp: string;
		/** Mailchimp's API root (as `https://us21.api.mailchimp.com/3.0`). */
		mailchimp: string;
		/** Brevo's API root (as `https://api.brevo.com/v3`). */
		brevo: string;
	};
	credentials: {
		twilio: typeof SANDBOX_TWILIO;
		smtp: typeof SANDBOX_SMTP;
		mailchimp: typeof SANDBOX_MAILCHIMP;
		brevo: typeof SANDBOX_BREVO;
	};
	stop(): Promise<void>;
}

/** Starts every messaging stand-in on loopback with the sandbox credentials. */
export async function startMessagingSandbox(
	options: MessagingSandboxOptions = {},
): Promise<MessagingSandbox> {
	const clock = options.clock ?? new SandboxClock();
	const ports = options.ports ?? {};
	const twilio = new TwilioStandIn({
		accountSid: SANDBOX_TWILIO.accountSid,
		authToken: SANDBOX_TWILIO.authToken,
		sendRatePerSecond: options.twilioSendRatePerSecond,
		messagingServices: { [SANDBOX_TWILIO.messagingServiceSid]: [SANDBOX_TWILIO.from] },
		clock,
	});
	const smtp = new SmtpStandIn({
		auth:
			(options.smtpAuth ?? true)
				? { user: SANDBOX_SMTP.user, password: SANDBOX_SMTP.password }
				: undefined,
		clock,
	});
	const mailchimp = new MailchimpStandIn({
		apiKey: SANDBOX_MAILCHIMP.apiKey,
		lists: [{ id: SANDBOX_MAILCHIMP.listId, name: 'Fanloop sandbox fans' }],
		clock,
	});
	const brevo = new BrevoStandIn({
		apiKey: SANDBOX_BREVO.apiKey,
		listIds: [SANDBOX_BREVO.listId],
		doiTemplateIds: [SANDBOX_BREVO.doiTemplateId],
		clock,
	});

	const started: Array<{ stop(): Promise<void> }> = [];
	const stop = async (): Promise<void> => {
		await Promise.all(started.map((standIn) => standIn.stop()));
	};
	try {
		await twilio.start(ports.twilio);
		started.push(twilio);
		await smtp.start(ports.smtp);
		started.push(smtp);
		await mailchimp.start(ports.mailchimp);
		started.push(mailchimp);
		await brevo.start(ports.brevo);
		started.push(brevo);
		return {
			clock,
			twilio,
			smtp,
			mailchimp,
			brevo,
			urls: { twilio: twilio.url, smtp: smtp.url, mailchimp: mailchimp.url, brevo: brevo.url },
			credentials: {
				twilio: SANDBOX_TWILIO,
				smtp: SANDBOX_SMTP,
				mailchimp: SANDBOX_MAILCHIMP,
				brevo: SANDBOX_BREVO,
			},
			stop,
		};
	} catch (error) {
		// A port already taken must not leave the others listening.
		await stop();
		throw error;
	}
}
