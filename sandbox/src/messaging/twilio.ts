import { createHmac } from 'node:crypto';
import { SandboxClock } from '../core/clock';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import type { Faults } from '../core/faults';
import { basicAuth, randomHex, rfc2822 } from './support';

const API_VERSION = '2010-04-01';
const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const E164 = /^\+[1-9]\d{1,14}$/;
/** Alphanumeric sender IDs: up to 11 letters, digits and spaces, at least one letter. */
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const MAX_BODY_CHARS = 1600;

/** Twilio's default opt-out handling: a message that is exactly one of these words. */
export const TWILIO_OPT_OUT_KEYWORDS = [
	'STOP',
	'STOPALL',
	'UNSUBSCRIBE',
	'CANCEL',
	'END',
	'QUIT',
	'REVOKE',
	'OPTOUT',
] as const;
export const TWILIO_OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;
export const TWILIO_HELP_KEYWORDS = ['HELP', 'INFO'] as const;

/** The replies Twilio's default opt-out handling sends on the sender's behalf. */
const AUTO_REPLIES = {
	optOut:
		'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
	optIn:
		'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
	help: 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
} as const;

/**
 * Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1 keyed with the auth
 * token over the full URL Twilio called (query string included), followed by every POST
 * parameter name and value with no separators, names in sorted order.
 */
export function twilioSignature(
	authToken: string,
	url: string,
	params: Record<string, string> | URLSearchParams,
): string {
	const entries =
		params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
	entries.sort(([nameA, valueA], [nameB, valueB]) =>
		nameA === nameB ? compare(valueA, valueB) : compare(nameA, nameB),
	);
	const data = entries.reduce((text, [name, value]) => text + name + value, url);
	return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function compare(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

// The GSM 03.38 default alphabet (one septet each) and its extension table (two septets each).
const GSM_BASIC = new Set(
	'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/**
 * How many SMS segments a body costs: 160/153 septets in GSM-7, 70/67 UTF-16 units
 * otherwise. Per-sender throughput is counted in segments, so long bodies send slower.
 */
export function smsSegments(body: string): number {
	let septets = 0;
	let gsm = true;
	for (const char of body) {
		if (GSM_BASIC.has(char)) septets += 1;
		else if (GSM_EXTENDED.has(char)) septets += 2;
		else {
			gsm = false;
			break;
		}
	}
	if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
	return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

export interface TwilioStandInOptions {
	accountSid: string;
	authToken: string;
	clock?: SandboxClock;
	/** Segments per second one sender number sends; a US long code sends 1. */
	sendRatePerSecond?: number;
	/**
	 * How far ahead one sender's queue may reach before Twilio refuses more. Twilio's error
	 * pages have said 4 hours and, more recently, 10 hours (36,000 s, the longest ValidityPeriod).
	 */
	maxQueueMs?: number;
	/** From the carrier accepting the last segment to the handset reporting delivery. */
	deliveryLatencyMs?: number;
	/** The account's numbers; when given, any other `From` is refused with 21606. */
	phoneNumbers?: string[];
	/** Messaging Service SIDs (MG…) and the sender numbers in each one's pool. */
	messagingServices?: Record<string, string[]>;
}

export type TwilioMessageStatus =
	'accepted' | 'queued' | 'sent' | 'delivered' | 'failed' | 'received';

export interface SentSms {
	sid: string;
	to: string;
	/** The number that sent (or will send) it, chosen from the pool for a Messaging Service. */
	from: string;
	body: string;
	messagingServiceSid?: string;
	direction: 'outbound-api' | 'outbound-reply';
	numSegments: number;
	acceptedAtMs: number;
	/** When the first segment leaves the sender's queue. */
	sentAtMs: number;
	/** When the handset has the whole message; spaced by the sender's rate. */
	deliveredAtMs: number;
	statusCallback?: string;
	/** Set when the message failed after creation (30001 queue overflow on a Messaging Service). */
	errorCode?: number;
}

export interface InboundSms {
	From: string;
	To: string;
	Body: string;
}

export interface InboundResult {
	status: number;
	/** The TwiML (or whatever else) the webhook answered. */
	body: string;
	/** The exact form Twilio posted, for re-signing in tests. */
	params: Record<string, string>;
	signature: string;
	/** Messages from the webhook's `<Message>` replies that Twilio accepted for sending. */
	replies: SentSms[];
	/** Replies Twilio refused, with the error code it would log (21610 after STOP). */
	refusedReplies: Array<{ body: string; code: number }>;
	/** What Twilio's own keyword handling texted back (STOP, START, HELP). */
	autoReply?: string;
}

interface ReceivedSms extends InboundSms {
	sid: string;
	receivedAtMs: number;
}

function twilioError(status: number, code: number, message: string): StandInResponse {
	return {
		status,
		body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
	};
}

function keywordOf(body: string): string {
	return body.trim().toUpperCase();
}

/**
 * Twilio Programmable Messaging on loopback: the Messages resource with Basic auth, the
 * documented validation and error codes, STOP/START handling that blocks sends with 21610
 * as Twilio itself does, a per-sender queue paced in segments per second, and signed
 * inbound webhooks and status callbacks towards the hub.
 */
export class TwilioStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	private readonly sendRatePerSecond: number;
	private readonly maxQueueMs: number;
	private readonly deliveryLatencyMs: number;
	private readonly messages: SentSms[] = [];
	private readonly messagesBySid = new Map<string, SentSms>();
	private readonly receivedMessages: ReceivedSms[] = [];
	/** `${senderNumber} ${recipient}` pairs where the recipient texted an opt-out keyword. */
	private readonly optOuts = new Set<string>();
	/** Per sender number: when its queue is next free to send a segment. */
	private readonly nextFreeMs = new Map<string, number>();
	private readonly postedCallbacks = new Map<string, Set<TwilioMessageStatus>>();

	constructor(private readonly options: TwilioStandInOptions) {
		this.clock = options.clock ?? new SandboxClock();
		this.sendRatePerSecond = options.sendRatePerSecond ?? 1;
		this.maxQueueMs = options.maxQueueMs ?? 10 * 60 * 60 * 1000;
		this.deliveryLatencyMs = options.deliveryLatencyMs ?? 500;
		if (!(this.sendRatePerSecond > 0)) throw new Error('sendRatePerSecond must be above 0');
		this.server = new HttpStandIn('Twilio', (request) => this.handle(request), this.clock);
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	/** The API origin, as `https://api.twilio.com`. */
	get url(): string {
		return this.server.url;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	/** Every message Twilio accepted, in the order it accepted them. */
	sent(): SentSms[] {
		return this.messages.map((message) => ({ ...message }));
	}

	received(): Array<InboundSms & { sid: string; receivedAtMs: number }> {
		return this.receivedMessages.map((message) => ({ ...message }));
	}

	/** A message's status as the clock stands now. */
	statusOf(message: SentSms): TwilioMessageStatus {
		if (message.errorCode !== undefined) return 'failed';
		const nowMs = this.clock.now();
		if (nowMs < message.sentAtMs) return message.messagingServiceSid ? 'accepted' : 'queued';
		if (nowMs < message.deliveredAtMs) return 'sent';
		return 'delivered';
	}

	isOptedOut(sender: string, recipient: string): boolean {
		return this.optOuts.has(`${sender} ${recipient}`);
	}

	/**
	 * A fan texts one of our numbers: applies Twilio's keyword handling (STOP blocks further
	 * sends from that number, START/UNSTOP/YES lifts it), then POSTs the form to the webhook
	 * signed as Twilio signs it, and sends any `<Message>` the TwiML answer asks for.
	 */
	async inbound(webhookUrl: string, message: InboundSms): Promise<InboundResult> {
		const sid = `SM${randomHex(32)}`;
		const keyword = keywordOf(message.Body);
		const pair = `${message.To} ${message.From}`;
		let autoReply: string | undefined;
		if ((TWILIO_OPT_OUT_KEYWORDS as readonly string[]).includes(keyword)) {
			this.optOuts.add(pair);
			autoReply = AUTO_REPLIES.optOut;
		} else if ((TWILIO_OPT_IN_KEYWORDS as readonly string[]).includes(keyword)) {
			autoReply = this.optOuts.delete(pair) ? AUTO_REPLIES.optIn : undefined;
		} else if ((TWILIO_HELP_KEYWORDS as readonly string[]).includes(keyword)) {
			autoReply = AUTO_REPLIES.help;
		}
		this.receivedMessages.push({ ...message, sid, receivedAtMs: this.clock.now() });

		const service = this.serviceOf(message.To);
		const params: Record<string, string> = {
			ToCountry: countryOf(message.To),
			ToState: '',
			SmsMessageSid: sid,
			NumMedia: '0',
			ToCity: '',
			FromZip: '',
			SmsSid: sid,
			FromState: '',
			SmsStatus: 'received',
			FromCity: '',
			Body: message.Body,
			FromCountry: countryOf(message.From),
			To: message.To,
			ToZip: '',
			NumSegments: String(smsSegments(message.Body)),
			MessageSid: sid,
			AccountSid: this.options.accountSid,
			From: message.From,
			ApiVersion: API_VERSION,
			...(service ? { MessagingServiceSid: service } : {}),
		};
		const signature = twilioSignature(this.options.authToken, webhookUrl, params);
		const response = await fetch(webhookUrl, {
			method: 'POST',
			headers: {
				'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
				'x-twilio-signature': signature,
				'user-agent': 'TwilioProxy/1.1',
			},
			body: new URLSearchParams(params).toString(),
			signal: AbortSignal.timeout(15_000),
		});
		const body = await response.text();

		const replies: SentSms[] = [];
		const refusedReplies: Array<{ body: string; code: number }> = [];
		if (response.ok) {
			for (const reply of twimlMessages(body)) {
				const outcome = this.enqueue({
					to: message.From,
					senderNumbers: [message.To],
					body: reply,
					direction: 'outbound-reply',
				});
				if ('code' in outcome) refusedReplies.push({ body: reply, code: outcome.code });
				else replies.push({ ...outcome });
			}
		}
		return {
			status: response.status,
			body,
			params,
			signature,
			replies,
			refusedReplies,
			autoReply,
		};
	}

	/**
	 * POSTs the status callbacks that are due by the sandbox clock (sent, delivered, failed),
	 * each once, signed like every Twilio webhook. Returns how many were posted.
	 */
	async flushStatusCallbacks(): Promise<number> {
		let posted = 0;
		for (const message of this.messages) {
			if (!message.statusCallback) continue;
			const done = this.postedCallbacks.get(message.sid) ?? new Set<TwilioMessageStatus>();
			this.postedCallbacks.set(message.sid, done);
			const status = this.statusOf(message);
			const due: TwilioMessageStatus[] =
				status === 'failed'
					? ['failed']
					: status === 'delivered'
						? ['sent', 'delivered']
						: status === 'sent'
							? ['sent']
							: [];
			for (const next of due) {
				if (done.has(next)) continue;
				done.add(next);
				const params: Record<string, string> = {
					AccountSid: this.options.accountSid,
					ApiVersion: API_VERSION,
					From: message.from,
					MessageSid: message.sid,
					MessageStatus: next,
					SmsSid: message.sid,
					SmsStatus: next,
					To: message.to,
					...(message.messagingServiceSid
						? { MessagingServiceSid: message.messagingServiceSid }
						: {}),
					...(message.errorCode !== undefined ? { ErrorCode: String(message.errorCode) } : {}),
				};
				await fetch(message.statusCallback, {
					method: 'POST',
					headers: {
						'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
						'x-twilio-signature': twilioSignature(
							this.options.authToken,
							message.statusCallback,
							params,
						),
					},
					body: new URLSearchParams(params).toString(),
					signal: AbortSignal.timeout(15_000),
				}).catch(() => undefined);
				posted += 1;
			}
		}
		return posted;
	}

	private handle(request: StandInRequest): StandInResponse {
		const credentials = basicAuth(request);
		if (
			!credentials ||
			credentials.user !== this.options.accountSid ||
			credentials.password !== this.options.authToken
		) {
			return {
				...twilioError(401, 20003, 'Authenticate'),
				headers: { 'www-authenticate': 'Basic realm="Twilio API"' },
			};
		}
		const collection = MESSAGES_PATH.exec(request.path);
		const single = MESSAGE_PATH.exec(request.path);
		const accountSid = collection?.[1] ?? single?.[1];
		if (accountSid !== undefined && accountSid !== this.options.accountSid) {
			return notFound(request.path);
		}
		if (collection && request.method === 'POST') return this.create(request);
		if (collection && request.method === 'GET') return this.list(request);
		if (single && request.method === 'GET') {
			const message = this.messagesBySid.get(single[2]);
			return message ? { status: 200, body: this.resource(message) } : notFound(request.path);
		}
		return notFound(request.path);
	}

	private create(request: StandInRequest): StandInResponse {
		const form = new URLSearchParams(request.rawBody);
		const to = form.get('To') ?? '';
		const from = form.get('From') ?? '';
		const serviceSid = form.get('MessagingServiceSid') ?? '';
		const body = form.get('Body') ?? '';
		const statusCallback = form.get('StatusCallback') ?? undefined;

		if (to === '') return twilioError(400, 21604, "A 'To' phone number is required.");
		if (from === '' && serviceSid === '') {
			return twilioError(400, 21603, "A 'From' phone number is required.");
		}
		if (body === '' && !form.has('MediaUrl')) {
			return twilioError(400, 21602, 'Message body is required.');
		}
		if (body.length > MAX_BODY_CHARS) {
			return twilioError(
				400,
				21617,
				'The concatenated message body exceeds the 1600 character limit.',
			);
		}
		if (!E164.test(to) || to === from) {
			return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
		}

		let senderNumbers: string[];
		if (from !== '') {
			if (!E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
				return twilioError(
					400,
					21212,
					`The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
				);
			}
			if (this.options.phoneNumbers && !this.options.phoneNumbers.includes(from)) {
				return twilioError(
					400,
					21606,
					"The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.",
				);
			}
			senderNumbers = [from];
		} else {
			const pool = this.options.messagingServices?.[serviceSid];
			if (!pool || pool.length === 0) {
				return twilioError(400, 21705, `The Messaging Service Sid ${serviceSid} is invalid.`);
			}
			senderNumbers = pool;
		}

		const outcome = this.enqueue({
			to,
			senderNumbers,
			body,
			direction: 'outbound-api',
			messagingServiceSid: from === '' ? serviceSid : undefined,
			statusCallback,
		});
		if ('code' in outcome) return twilioError(400, outcome.code, outcome.message);
		// The create answer always shows the message as Twilio first stored it.
		const created = this.resource(outcome);
		created.status = outcome.messagingServiceSid ? 'accepted' : 'queued';
		created.date_sent = null;
		if (outcome.messagingServiceSid) {
			created.from = null;
			created.num_segments = '0';
		}
		created.error_code = null;
		created.error_message = null;
		return { status: 201, body: created };
	}

	private list(request: StandInRequest): StandInResponse {
		const to = request.query.get('To');
		const from = request.query.get('From');
		const pageSize = Math.min(Math.max(Number(request.query.get('PageSize') ?? 50) || 50, 1), 1000);
		const matching = this.messages
			.filter((message) => (to ? message.to === to : true))
			.filter((message) => (from ? message.from === from : true))
			.reverse()
			.slice(0, pageSize);
		const uri = `/2010-04-01/Accounts/${this.options.accountSid}/Messages.json?PageSize=${pageSize}&Page=0`;
		return {
			status: 200,
			body: {
				messages: matching.map((message) => this.resource(message)),
				page: 0,
				page_size: pageSize,
				start: 0,
				end: Math.max(matching.length - 1, 0),
				uri,
				first_page_uri: uri,
				next_page_uri: null,
				previous_page_uri: null,
			},
		};
	}

	/**
	 * Puts a message in the least busy sender's queue, or says why Twilio refuses it.
	 * A sender that would have to hold it longer than the queue limit refuses it (21611);
	 * a Messaging Service accepts it and fails it afterwards (30001), as Twilio documents.
	 */
	private enqueue(request: {
		to: string;
		senderNumbers: string[];
		body: string;
		direction: SentSms['direction'];
		messagingServiceSid?: string;
		statusCallback?: string;
	}): SentSms | { code: number; message: string } {
		if (request.senderNumbers.some((sender) => this.isOptedOut(sender, request.to))) {
			return { code: 21610, message: 'Attempt to send to unsubscribed recipient' };
		}
		const nowMs = this.clock.now();
		const sender = request.senderNumbers.reduce((best, candidate) =>
			(this.nextFreeMs.get(candidate) ?? 0) < (this.nextFreeMs.get(best) ?? 0) ? candidate : best,
		);
		const startMs = Math.max(nowMs, this.nextFreeMs.get(sender) ?? 0);
		const segments = smsSegments(request.body);
		const segmentMs = 1000 / this.sendRatePerSecond;
		const overflow = startMs - nowMs > this.maxQueueMs;
		if (overflow && !request.messagingServiceSid) {
			return {
				code: 21611,
				message: "This 'From' number has exceeded the maximum number of queued messages",
			};
		}
		if (!overflow) this.nextFreeMs.set(sender, startMs + segments * segmentMs);
		const message: SentSms = {
			sid: `SM${randomHex(32)}`,
			to: request.to,
			from: sender,
			body: request.body,
			messagingServiceSid: request.messagingServiceSid,
			direction: request.direction,
			numSegments: segments,
			acceptedAtMs: nowMs,
			sentAtMs: overflow ? nowMs : startMs,
			deliveredAtMs: overflow
				? nowMs
				: startMs + (segments - 1) * segmentMs + this.deliveryLatencyMs,
			statusCallback: request.statusCallback,
			errorCode: overflow ? 30001 : undefined,
		};
		this.messages.push(message);
		this.messagesBySid.set(message.sid, message);
		return message;
	}

	private resource(message: SentSms): Record<string, unknown> {
		const status = this.statusOf(message);
		const nowMs = this.clock.now();
		const base = `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${message.sid}`;
		const updatedAtMs =
			status === 'delivered'
				? message.deliveredAtMs
				: status === 'sent'
					? message.sentAtMs
					: message.acceptedAtMs;
		return {
			account_sid: this.options.accountSid,
			api_version: API_VERSION,
			body: message.body,
			date_created: rfc2822(message.acceptedAtMs),
			date_sent: status === 'sent' || status === 'delivered' ? rfc2822(message.sentAtMs) : null,
			date_updated: rfc2822(Math.min(updatedAtMs, nowMs)),
			direction: message.direction,
			error_code: message.errorCode ?? null,
			error_message: message.errorCode === 30001 ? 'Queue overflow' : null,
			from: message.from,
			messaging_service_sid: message.messagingServiceSid ?? null,
			num_media: '0',
			num_segments: String(message.numSegments),
			price: null,
			price_unit: 'USD',
			sid: message.sid,
			status,
			subresource_uris: {
				media: `${base}/Media.json`,
				feedback: `${base}/Feedback.json`,
			},
			to: message.to,
			uri: `${base}.json`,
		};
	}

	private serviceOf(number: string): string | undefined {
		const services = this.options.messagingServices ?? {};
		return Object.keys(services).find((sid) => services[sid].includes(number));
	}
}

function notFound(path: string): StandInResponse {
	return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

/** Twilio geo-locates numbers; the sandbox knows only the North American prefix. */
function countryOf(number: string): string {
	return number.startsWith('+1') ? 'US' : '';
}

const XML_ENTITIES: Record<string, string> = {
	'&lt;': '<',
	'&gt;': '>',
	'&quot;': '"',
	'&apos;': "'",
	'&amp;': '&',
};

/** The text of each `<Message>` verb (bare or in a `<Body>` noun) of a TwiML answer. */
function twimlMessages(twiml: string): string[] {
	const texts: string[] = [];
	for (const match of twiml.matchAll(/<Message\b[^>]*>([\s\S]*?)<\/Message>/g)) {
		const inner = match[1];
		const body =
			/<Body\b[^>]*>([\s\S]*?)<\/Body>/.exec(inner)?.[1] ?? inner.replace(/<[^>]+>/g, '');
		const text = body.replace(/&(lt|gt|quot|apos|amp);/g, (entity) => XML_ENTITIES[entity]).trim();
		if (text !== '') texts.push(text);
	}
	return texts;
}
