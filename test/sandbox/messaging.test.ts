import { createServer, type Server } from 'node:http';
import nodemailer from 'nodemailer';
import { verifyTwilioSignature } from '../../hub/src/providers/twilio';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	BrevoStandIn,
	MailchimpStandIn,
	SANDBOX_BREVO,
	SANDBOX_MAILCHIMP,
	SANDBOX_SMTP,
	SANDBOX_TWILIO,
	SmtpStandIn,
	TwilioStandIn,
	startMessagingSandbox,
	subscriberHash,
	twilioSignature,
} from '../../sandbox/src/messaging';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const FROM = '+15005550006';
const OTHER_FROM = '+15005550007';
const FAN = '+14155550123';
const OTHER_FAN = '+14155550199';

interface TwilioAnswer {
	sid?: string;
	status?: string | number;
	code?: number;
	message?: string;
	more_info?: string;
	[field: string]: unknown;
}

/** A stand-in for the hub's inbound SMS route: checks the signature as the hub must, answers TwiML. */
class SmsWebhook {
	readonly seen: Array<{ params: Record<string, string>; signature: string; url: string }> = [];
	private server: Server | undefined;
	private port = 0;

	constructor(private readonly authToken: string) {}

	/** With a query string, because Twilio signs the URL exactly as configured. */
	get url(): string {
		return `http://127.0.0.1:${this.port}/webhooks/twilio/sms?campaign=spring`;
	}

	async start(): Promise<void> {
		this.server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
				const signature = String(request.headers['x-twilio-signature'] ?? '');
				const url = `http://127.0.0.1:${this.port}${request.url}`;
				this.seen.push({ params, signature, url });
				if (twilioSignature(this.authToken, url, params) !== signature) {
					response.writeHead(403).end();
					return;
				}
				const keyword = (params.Body ?? '').trim().toUpperCase();
				const reply =
					keyword === 'HELP'
						? '<Message>Fanloop alerts: reply STOP to stop &amp; START to come back.</Message>'
						: keyword === 'STOP'
							? '<Message>Sorry to see you go.</Message>'
							: '';
				response
					.writeHead(200, { 'content-type': 'text/xml' })
					.end(`<?xml version="1.0" encoding="UTF-8"?><Response>${reply}</Response>`);
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.port = (this.server.address() as { port: number }).port;
	}

	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	}
}

describe('Twilio stand-in', () => {
	let clock: SandboxClock;
	let twilio: TwilioStandIn;
	let webhook: SmsWebhook;

	beforeEach(async () => {
		clock = new SandboxClock();
		twilio = new TwilioStandIn({
			accountSid: ACCOUNT_SID,
			authToken: AUTH_TOKEN,
			clock,
			sendRatePerSecond: 1,
		});
		await twilio.start();
		webhook = new SmsWebhook(AUTH_TOKEN);
		await webhook.start();
	});

	afterEach(async () => {
		await twilio.stop();
		await webhook.stop();
	});

	function basic(sid = ACCOUNT_SID, token = AUTH_TOKEN): string {
		return `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
	}

	async function send(
		form: Record<string, string>,
		authorization = basic(),
	): Promise<{ status: number; body: TwilioAnswer; headers: Headers }> {
		const response = await fetch(`${twilio.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
			method: 'POST',
			headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams(form),
		});
		return {
			status: response.status,
			body: (await response.json()) as TwilioAnswer,
			headers: response.headers,
		};
	}

	async function fetchMessage(sid: string): Promise<TwilioAnswer> {
		const response = await fetch(
			`${twilio.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
			{
				headers: { authorization: basic() },
			},
		);
		expect(response.status).toBe(200);
		return (await response.json()) as TwilioAnswer;
	}

	it('refuses a wrong auth token or no credentials with 401 and code 20003', async () => {
		for (const authorization of [basic(ACCOUNT_SID, 'not-the-token'), '']) {
			const answer = await send({ To: FAN, From: FROM, Body: 'hi' }, authorization);
			expect(answer.status).toBe(401);
			expect(answer.body).toMatchObject({
				code: 20003,
				status: 401,
				more_info: 'https://www.twilio.com/docs/errors/20003',
			});
		}
		expect(twilio.sent()).toHaveLength(0);
	});

	it('creates a queued message resource with a 34-character SM sid and an RFC 2822 date', async () => {
		const answer = await send({ To: FAN, From: FROM, Body: 'Pre-save is live' });
		expect(answer.status).toBe(201);
		expect(answer.body).toMatchObject({
			account_sid: ACCOUNT_SID,
			api_version: '2010-04-01',
			to: FAN,
			from: FROM,
			body: 'Pre-save is live',
			status: 'queued',
			num_segments: '1',
			direction: 'outbound-api',
			error_code: null,
		});
		expect(answer.body.sid).toMatch(/^SM[0-9a-f]{32}$/);
		expect(answer.body.date_created).toMatch(
			/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
		);
		expect(answer.body.uri).toBe(
			`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${answer.body.sid}.json`,
		);
	});

	it('answers 21211 for a To that is not E.164 (or is the sender itself), and 21604/21602 for missing fields', async () => {
		for (const to of ['4155550123', '+1 415 555 0123', '(415) 555-0123', FROM]) {
			const answer = await send({ To: to, From: FROM, Body: 'hi' });
			expect(answer.status).toBe(400);
			expect(answer.body.code).toBe(21211);
		}
		expect((await send({ From: FROM, Body: 'hi' })).body.code).toBe(21604);
		expect((await send({ To: FAN, From: FROM })).body.code).toBe(21602);
		expect(twilio.sent()).toHaveLength(0);
	});

	it('moves a message from queued to sent to delivered as the sandbox clock moves', async () => {
		await send({ To: FAN, From: FROM, Body: 'first' });
		const second = await send({ To: OTHER_FAN, From: FROM, Body: 'second' });
		expect((await fetchMessage(second.body.sid!)).status).toBe('queued');
		clock.advance(1000);
		const sent = await fetchMessage(second.body.sid!);
		expect(sent.status).toBe('sent');
		expect(sent.date_sent).not.toBeNull();
		clock.advance(1000);
		expect((await fetchMessage(second.body.sid!)).status).toBe('delivered');
	});

	it('paces one sender to its rate: five messages at 1/s are delivered at least 1000 ms apart', async () => {
		for (let index = 0; index < 5; index += 1) {
			expect((await send({ To: FAN, From: FROM, Body: `drop ${index}` })).status).toBe(201);
		}
		expect((await send({ To: FAN, From: OTHER_FROM, Body: 'other sender' })).status).toBe(201);
		const fromOne = twilio.sent().filter((message) => message.from === FROM);
		const gapsMs = fromOne
			.slice(1)
			.map((message, index) => message.deliveredAtMs - fromOne[index].deliveredAtMs);
		expect(gapsMs).toHaveLength(4);
		for (const gap of gapsMs) expect(gap).toBeGreaterThanOrEqual(1000);
		const achievedPerSecond =
			(fromOne.length - 1) / ((fromOne[4].deliveredAtMs - fromOne[0].deliveredAtMs) / 1000);
		expect(achievedPerSecond).toBeLessThanOrEqual(1);
		// Another number has its own queue: it is not held behind the first one's backlog.
		const other = twilio.sent().find((message) => message.from === OTHER_FROM)!;
		expect(other.deliveredAtMs).toBeLessThan(fromOne[1].deliveredAtMs);
	});

	it('counts segments, so a two-segment body holds the sender for two seconds', async () => {
		const long = await send({ To: FAN, From: FROM, Body: 'x'.repeat(200) });
		expect(long.body.num_segments).toBe('2');
		await send({ To: FAN, From: FROM, Body: 'after the long one' });
		const [first, second] = twilio.sent();
		expect(second.sentAtMs - first.sentAtMs).toBe(2000);
	});

	it("refuses with 21611 once one sender's queue would reach past its limit", async () => {
		const small = new TwilioStandIn({
			accountSid: ACCOUNT_SID,
			authToken: AUTH_TOKEN,
			clock,
			maxQueueMs: 3000,
		});
		await small.start();
		try {
			const statuses: number[] = [];
			let lastCode: number | undefined;
			for (let index = 0; index < 6; index += 1) {
				const response = await fetch(
					`${small.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
					{
						method: 'POST',
						headers: {
							authorization: basic(),
							'content-type': 'application/x-www-form-urlencoded',
						},
						body: new URLSearchParams({ To: FAN, From: FROM, Body: `m${index}` }),
					},
				);
				statuses.push(response.status);
				lastCode = ((await response.json()) as TwilioAnswer).code;
			}
			expect(statuses).toEqual([201, 201, 201, 201, 400, 400]);
			expect(lastCode).toBe(21611);
		} finally {
			await small.stop();
		}
	});

	it('accepts through a Messaging Service, opts out service-wide, and fails an overflow later with 30001', async () => {
		const SERVICE = 'MG0123456789abcdef0123456789abcdef';
		const pooled = new TwilioStandIn({
			accountSid: ACCOUNT_SID,
			authToken: AUTH_TOKEN,
			clock,
			maxQueueMs: 1000,
			messagingServices: { [SERVICE]: [FROM, OTHER_FROM] },
		});
		await pooled.start();
		try {
			const create = async (
				to: string,
				body: string,
			): Promise<{ status: number; body: TwilioAnswer }> => {
				const response = await fetch(
					`${pooled.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
					{
						method: 'POST',
						headers: {
							authorization: basic(),
							'content-type': 'application/x-www-form-urlencoded',
						},
						body: new URLSearchParams({ To: to, MessagingServiceSid: SERVICE, Body: body }),
					},
				);
				return { status: response.status, body: (await response.json()) as TwilioAnswer };
			};
			const first = await create(FAN, 'one');
			expect(first.status).toBe(201);
			expect(first.body).toMatchObject({
				status: 'accepted',
				from: null,
				messaging_service_sid: SERVICE,
				num_segments: '0',
			});
			// The pool spreads the load: the second message goes from the idle number.
			await create(FAN, 'two');
			expect(new Set(pooled.sent().map((message) => message.from))).toEqual(
				new Set([FROM, OTHER_FROM]),
			);

			// Both numbers now have a second of backlog; more waits than the 1 s limit allows.
			for (let index = 0; index < 4; index += 1)
				expect((await create(OTHER_FAN, `more ${index}`)).status).toBe(201);
			const overflowed = pooled.sent().filter((message) => message.errorCode === 30001);
			expect(overflowed.length).toBeGreaterThan(0);
			expect(pooled.statusOf(overflowed[0])).toBe('failed');

			await pooled.inbound(webhook.url, { From: FAN, To: OTHER_FROM, Body: 'STOP' });
			expect((await create(FAN, 'after stop')).body.code).toBe(21610);
		} finally {
			await pooled.stop();
		}
	});

	it('blocks sends with 21610 after the fan texts STOP to that number, and START lifts it', async () => {
		const stop = await twilio.inbound(webhook.url, { From: FAN, To: FROM, Body: ' stop ' });
		expect(stop.status).toBe(200);
		expect(stop.autoReply).toMatch(/unsubscribed/);
		// The hub's own STOP reply is blocked too: the fan has opted out.
		expect(stop.refusedReplies).toEqual([{ body: 'Sorry to see you go.', code: 21610 }]);

		const blocked = await send({ To: FAN, From: FROM, Body: 'New single out now' });
		expect(blocked.status).toBe(400);
		expect(blocked.body).toMatchObject({
			code: 21610,
			message: 'Attempt to send to unsubscribed recipient',
		});
		// Only that sender/recipient pair is blocked.
		expect((await send({ To: OTHER_FAN, From: FROM, Body: 'hi' })).status).toBe(201);
		expect((await send({ To: FAN, From: OTHER_FROM, Body: 'hi' })).status).toBe(201);

		const start = await twilio.inbound(webhook.url, { From: FAN, To: FROM, Body: 'START' });
		expect(start.autoReply).toMatch(/re-subscribed/);
		expect((await send({ To: FAN, From: FROM, Body: 'Welcome back' })).status).toBe(201);
	});

	it('signs the inbound webhook over the called URL and sorted params, and sends the TwiML reply', async () => {
		const result = await twilio.inbound(webhook.url, { From: FAN, To: FROM, Body: 'HELP' });
		expect(result.status).toBe(200);
		const [seen] = webhook.seen;
		expect(seen.url).toBe(webhook.url);
		expect(seen.params).toMatchObject({
			AccountSid: ACCOUNT_SID,
			From: FAN,
			To: FROM,
			Body: 'HELP',
			NumMedia: '0',
			SmsStatus: 'received',
			ApiVersion: '2010-04-01',
		});
		expect(seen.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
		expect(seen.params.SmsSid).toBe(seen.params.MessageSid);
		expect(seen.signature).toBe(twilioSignature(AUTH_TOKEN, webhook.url, seen.params));
		// The hub's verifier accepts exactly what the stand-in sends.
		expect(verifyTwilioSignature(AUTH_TOKEN, webhook.url, seen.params, seen.signature)).toBe(true);

		const tampered = { ...seen.params, Body: 'STOP' };
		expect(twilioSignature(AUTH_TOKEN, webhook.url, tampered)).not.toBe(seen.signature);
		expect(
			twilioSignature(AUTH_TOKEN, webhook.url.replace('spring', 'fall'), seen.params),
		).not.toBe(seen.signature);
		expect(twilioSignature('another-token-entirely-000000000', webhook.url, seen.params)).not.toBe(
			seen.signature,
		);

		expect(result.replies).toHaveLength(1);
		expect(result.replies[0]).toMatchObject({
			to: FAN,
			from: FROM,
			direction: 'outbound-reply',
			body: 'Fanloop alerts: reply STOP to stop & START to come back.',
		});
		expect(twilio.sent().map((message) => message.body)).toContain(result.replies[0].body);
	});

	it('a webhook signed with another token is refused by a verifying receiver', async () => {
		const impostor = new TwilioStandIn({
			accountSid: ACCOUNT_SID,
			authToken: 'ffffffffffffffffffffffffffffffff',
			clock,
		});
		const result = await impostor.inbound(webhook.url, { From: FAN, To: FROM, Body: 'hello' });
		expect(result.status).toBe(403);
	});

	it('matches the signature example in Twilio’s security documentation', () => {
		// The worked example from Twilio's webhook security page.
		// Deliberately out of order: the signature sorts the names itself.
		const params = {
			To: '+18005551212',
			Digits: '1234',
			CallSid: 'CA1234567890ABCDE',
			From: '+12349013030',
			Caller: '+12349013030',
		};
		expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
			'0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
		);
	});

	it('posts signed status callbacks as messages reach sent and delivered', async () => {
		await send({ To: FAN, From: FROM, Body: 'track me', StatusCallback: webhook.url });
		clock.advance(5000);
		expect(await twilio.flushStatusCallbacks()).toBe(2);
		expect(webhook.seen.map((entry) => entry.params.MessageStatus)).toEqual(['sent', 'delivered']);
		for (const entry of webhook.seen) {
			expect(entry.signature).toBe(twilioSignature(AUTH_TOKEN, webhook.url, entry.params));
		}
		expect(await twilio.flushStatusCallbacks()).toBe(0);
	});

	it('answers a 429 storm with Retry-After and records nothing, then recovers', async () => {
		twilio.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
		for (let index = 0; index < 3; index += 1) {
			const answer = await send({ To: FAN, From: FROM, Body: 'storm' });
			expect(answer.status).toBe(429);
			expect(answer.headers.get('retry-after')).toBe('7');
		}
		expect(twilio.sent()).toHaveLength(0);
		twilio.faults.clear();
		expect((await send({ To: FAN, From: FROM, Body: 'calm' })).status).toBe(201);
	});
});

describe('SMTP stand-in', () => {
	const USER = 'mailer';
	const PASSWORD = 'correct horse battery staple';
	let smtp: SmtpStandIn;

	beforeEach(async () => {
		smtp = new SmtpStandIn({ auth: { user: USER, password: PASSWORD }, sizeLimitBytes: 64 * 1024 });
		await smtp.start();
	});

	afterEach(async () => {
		await smtp.stop();
	});

	function transport(auth: { user: string; pass: string } | null = { user: USER, pass: PASSWORD }) {
		return nodemailer.createTransport({
			host: '127.0.0.1',
			port: smtp.listeningPort,
			secure: false,
			ignoreTLS: true,
			...(auth ? { auth } : {}),
		});
	}

	const confirmation = {
		from: 'Fanloop <hello@fanloop.test>',
		to: 'fan@example.com',
		bcc: 'audit@fanloop.test',
		subject: 'Confirm your subscription',
		text: 'Tap to confirm: https://hub.example/confirm/abc',
		html: '<p>Tap to <a href="https://hub.example/confirm/abc">confirm</a></p>',
		headers: {
			'List-Unsubscribe':
				'<https://hub.example/unsubscribe/abc>, <mailto:unsubscribe@fanloop.test>',
			'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
		},
	};

	it('captures a message with its one-click List-Unsubscribe headers, text, html and every recipient', async () => {
		const arrival = smtp.waitFor((email) => email.subject === 'Confirm your subscription');
		await transport().sendMail(confirmation);
		const email = await arrival;
		expect(email.from).toBe('hello@fanloop.test');
		expect(email.to).toEqual(['fan@example.com', 'audit@fanloop.test']);
		expect(email.text.trim()).toBe('Tap to confirm: https://hub.example/confirm/abc');
		expect(email.html).toContain('href="https://hub.example/confirm/abc"');
		expect(email.headers['list-unsubscribe']).toBe(
			'<https://hub.example/unsubscribe/abc>, <mailto:unsubscribe@fanloop.test>',
		);
		expect(email.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
		expect(email.authUser).toBe(USER);
		expect(smtp.messages()).toHaveLength(1);
		smtp.clear();
		expect(smtp.messages()).toHaveLength(0);
	});

	it('refuses a wrong password with 535 and mail without AUTH with 530', async () => {
		await expect(
			transport({ user: USER, pass: 'wrong' }).sendMail(confirmation),
		).rejects.toMatchObject({
			responseCode: 535,
		});
		await expect(transport(null).sendMail(confirmation)).rejects.toMatchObject({
			responseCode: 530,
		});
		expect(smtp.messages()).toHaveLength(0);
	});

	it('rejects the next N messages with the injected reply, then accepts again', async () => {
		smtp.rejectNext(2, { code: 451, message: '4.7.1 Try again later' });
		await expect(transport().sendMail(confirmation)).rejects.toMatchObject({ responseCode: 451 });
		await expect(transport().sendMail(confirmation)).rejects.toMatchObject({ responseCode: 451 });
		await transport().sendMail(confirmation);
		expect(smtp.rejected).toBe(2);
		expect(smtp.messages()).toHaveLength(1);

		smtp.rejectNext(1, { code: 550 });
		await expect(transport().sendMail(confirmation)).rejects.toMatchObject({ responseCode: 550 });
	});

	it('answers 552 for a message over the size limit', async () => {
		await expect(
			transport().sendMail({ ...confirmation, text: 'x'.repeat(128 * 1024) }),
		).rejects.toMatchObject({ responseCode: 552 });
		expect(smtp.messages()).toHaveLength(0);
	});

	it('waitFor gives up after its timeout when nothing matches', async () => {
		await expect(smtp.waitFor((email) => email.subject === 'never', 100)).rejects.toThrow(/100 ms/);
	});
});

describe('Mailchimp stand-in', () => {
	const API_KEY = '0123456789abcdef0123456789abcdef-us21';
	const LIST_ID = 'a1b2c3d4e5';
	let clock: SandboxClock;
	let mailchimp: MailchimpStandIn;

	beforeEach(async () => {
		clock = new SandboxClock();
		mailchimp = new MailchimpStandIn({ apiKey: API_KEY, lists: [LIST_ID], clock });
		await mailchimp.start();
	});

	afterEach(async () => {
		await mailchimp.stop();
	});

	async function call(
		method: string,
		path: string,
		body?: unknown,
		key = API_KEY,
	): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
		const response = await fetch(`${mailchimp.url}${path}`, {
			method,
			headers: {
				authorization: `Basic ${Buffer.from(`anystring:${key}`).toString('base64')}`,
				'content-type': 'application/json',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		return {
			status: response.status,
			body: (await response.json()) as Record<string, unknown>,
			contentType: response.headers.get('content-type'),
		};
	}

	const memberPath = (email: string, list = LIST_ID): string =>
		`/lists/${list}/members/${subscriberHash(email)}`;

	it('refuses a wrong API key with a 401 problem detail', async () => {
		const answer = await call('GET', '/ping', undefined, 'ffffffffffffffffffffffffffffffff-us21');
		expect(answer.status).toBe(401);
		expect(answer.contentType).toMatch(/^application\/problem\+json/);
		expect(answer.body).toMatchObject({ title: 'API Key Invalid', status: 401 });
		expect(Object.keys(answer.body).sort()).toEqual([
			'detail',
			'instance',
			'status',
			'title',
			'type',
		]);
		expect((await call('GET', '/ping')).body).toEqual({ health_status: "Everything's Chimpy!" });
	});

	it('adds a new fan as pending with a confirmation email, and the click makes them subscribed', async () => {
		const email = 'Fan.One@Example.com';
		const put = await call('PUT', memberPath(email), {
			email_address: email,
			status_if_new: 'pending',
			merge_fields: { FNAME: 'Fan' },
		});
		expect(put.status).toBe(200);
		expect(put.body).toMatchObject({
			id: subscriberHash('fan.one@example.com'),
			email_address: email,
			status: 'pending',
			list_id: LIST_ID,
			merge_fields: { FNAME: 'Fan' },
		});
		expect(mailchimp.confirmations()).toEqual([
			expect.objectContaining({ listId: LIST_ID, email }),
		]);
		expect((await call('GET', memberPath(email))).body.status).toBe('pending');

		clock.advance(60_000);
		mailchimp.confirm(LIST_ID, email);
		const confirmed = await call('GET', memberPath(email));
		expect(confirmed.body.status).toBe('subscribed');
		expect(confirmed.body.timestamp_opt).not.toBe('');

		// An existing subscriber stays subscribed: status_if_new applies to new members only.
		const again = await call('PUT', memberPath(email), {
			email_address: email,
			status_if_new: 'pending',
		});
		expect(again.body.status).toBe('subscribed');
		expect(mailchimp.confirmations()).toHaveLength(1);
	});

	it('answers 400 Invalid Resource when the hash is not the md5 of the lower-cased address', async () => {
		const answer = await call(
			'PUT',
			`/lists/${LIST_ID}/members/${subscriberHash('someone.else@example.com')}`,
			{
				email_address: 'fan@example.com',
				status_if_new: 'pending',
			},
		);
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ title: 'Invalid Resource', status: 400 });
		expect(mailchimp.member(LIST_ID, 'fan@example.com')).toBeUndefined();
	});

	it('answers 404 for a list that does not exist and for an unknown member', async () => {
		const unknownList = await call('PUT', memberPath('fan@example.com', 'nolist0000'), {
			email_address: 'fan@example.com',
			status_if_new: 'pending',
		});
		expect(unknownList.status).toBe(404);
		expect(unknownList.body.title).toBe('Resource Not Found');
		expect((await call('GET', memberPath('nobody@example.com'))).status).toBe(404);
	});

	it('will not re-subscribe someone who unsubscribed, but may ask them again with pending', async () => {
		const email = 'leaver@example.com';
		await call('PUT', memberPath(email), { email_address: email, status_if_new: 'subscribed' });
		mailchimp.unsubscribe(LIST_ID, email);
		const forced = await call('PUT', memberPath(email), {
			email_address: email,
			status: 'subscribed',
		});
		expect(forced.status).toBe(400);
		expect(forced.body.title).toBe('Member In Compliance State');
		const asked = await call('PUT', memberPath(email), { email_address: email, status: 'pending' });
		expect(asked.body.status).toBe('pending');
		expect(mailchimp.confirmations().map((entry) => entry.email)).toEqual([email]);
	});
	it('archives a member on DELETE, never takes "archived" as a written status, and takes them back as new', async () => {
		const email = 'archived@example.com';
		await call('PUT', memberPath(email), { email_address: email, status_if_new: 'subscribed' });
		const archive = await fetch(`${mailchimp.url}${memberPath(email)}`, {
			method: 'DELETE',
			headers: { authorization: `Basic ${Buffer.from(`anystring:${API_KEY}`).toString('base64')}` },
		});
		expect(archive.status).toBe(204);
		expect((await call('GET', memberPath(email))).body.status).toBe('archived');
		const written = await call('PUT', memberPath(email), {
			email_address: email,
			status: 'archived',
		});
		expect(written.status).toBe(400);
		const back = await call('PUT', memberPath(email), {
			email_address: email,
			status_if_new: 'pending',
		});
		expect(back.body.status).toBe('pending');
		expect(mailchimp.confirmations().map((entry) => entry.email)).toEqual([email]);
	});
});

describe('Brevo stand-in', () => {
	const API_KEY = 'xkeysib-test-key';
	let brevo: BrevoStandIn;

	beforeEach(async () => {
		brevo = new BrevoStandIn({ apiKey: API_KEY, listIds: [2, 7], doiTemplateIds: [11] });
		await brevo.start();
	});

	afterEach(async () => {
		await brevo.stop();
	});

	async function call(
		method: string,
		path: string,
		body?: unknown,
		key: string | null = API_KEY,
	): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
		const response = await fetch(`${brevo.url}${path}`, {
			method,
			headers: {
				...(key ? { 'api-key': key } : {}),
				'content-type': 'application/json',
				accept: 'application/json',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		return {
			status: response.status,
			body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
		};
	}

	const doi = {
		email: 'fan@example.com',
		includeListIds: [2],
		templateId: 11,
		redirectionUrl: 'https://hub.example/optin/confirmed',
		attributes: { FIRSTNAME: 'Fan', RELEASE: 'Loop Back Home' },
	};

	it('answers 401 unauthorized without the right api-key header', async () => {
		for (const key of [null, 'xkeysib-wrong']) {
			const answer = await call('POST', '/contacts/doubleOptinConfirmation', doi, key);
			expect(answer.status).toBe(401);
			expect(answer.body).toEqual({ code: 'unauthorized', message: expect.any(String) });
		}
		expect(brevo.doubleOptInRequests()).toHaveLength(0);
	});

	it('names a missing or invalid parameter', async () => {
		const { templateId: _templateId, ...withoutTemplate } = doi;
		const missing = await call('POST', '/contacts/doubleOptinConfirmation', withoutTemplate);
		expect(missing.status).toBe(400);
		expect(missing.body).toMatchObject({ code: 'missing_parameter' });
		expect(String(missing.body?.message)).toMatch(/templateId/);

		for (const bad of [
			{ email: 'not-an-email' },
			{ includeListIds: [99] },
			{ templateId: 12 },
			{ redirectionUrl: 'nope' },
		]) {
			const answer = await call('POST', '/contacts/doubleOptinConfirmation', { ...doi, ...bad });
			expect(answer.status).toBe(400);
			expect(answer.body?.code).toBe('invalid_parameter');
		}
		expect(brevo.doubleOptInRequests()).toHaveLength(0);
	});

	it('creates the contact with 201, updates with 204, and lists them only after the fan confirms', async () => {
		const created = await call('POST', '/contacts/doubleOptinConfirmation', doi);
		expect(created.status).toBe(201);
		const before = await call('GET', `/contacts/${encodeURIComponent(doi.email)}`);
		expect(before.status).toBe(200);
		expect(before.body).toMatchObject({ email: doi.email, listIds: [] });

		const again = await call('POST', '/contacts/doubleOptinConfirmation', {
			...doi,
			includeListIds: [2, 7],
		});
		expect(again.status).toBe(204);
		expect(again.body).toBeUndefined();
		expect(brevo.doubleOptInRequests()).toHaveLength(2);

		expect(brevo.confirm(doi.email)).toBe(doi.redirectionUrl);
		const after = await call('GET', `/contacts/${encodeURIComponent(doi.email)}`);
		expect(after.body).toMatchObject({
			email: doi.email,
			listIds: [2, 7],
			attributes: { FIRSTNAME: 'Fan', RELEASE: 'Loop Back Home' },
			emailBlacklisted: false,
		});
	});

	it('answers 404 document_not_found for an unknown contact', async () => {
		const answer = await call('GET', '/contacts/nobody%40example.com');
		expect(answer.status).toBe(404);
		expect(answer.body).toMatchObject({ code: 'document_not_found' });
	});
});

describe('startMessagingSandbox', () => {
	it('starts all four stand-ins with the sandbox credentials on loopback and stops them', async () => {
		const sandbox = await startMessagingSandbox();
		try {
			for (const url of Object.values(sandbox.urls)) expect(url).toMatch(/127\.0\.0\.1:\d+/);
			expect(SANDBOX_TWILIO.accountSid).toMatch(/^AC[0-9a-f]{32}$/);

			const sms = await fetch(
				`${sandbox.urls.twilio}/2010-04-01/Accounts/${SANDBOX_TWILIO.accountSid}/Messages.json`,
				{
					method: 'POST',
					headers: {
						authorization: `Basic ${Buffer.from(`${SANDBOX_TWILIO.accountSid}:${SANDBOX_TWILIO.authToken}`).toString('base64')}`,
						'content-type': 'application/x-www-form-urlencoded',
					},
					body: new URLSearchParams({ To: FAN, From: SANDBOX_TWILIO.from, Body: 'sandbox' }),
				},
			);
			expect(sms.status).toBe(201);

			await nodemailer.createTransport(sandbox.urls.smtp).sendMail({
				from: SANDBOX_SMTP.from,
				to: 'fan@example.com',
				subject: 'sandbox',
				text: 'hello',
			});
			expect((await sandbox.smtp.waitFor()).subject).toBe('sandbox');

			const email = 'fan@example.com';
			const mailchimp = await fetch(
				`${sandbox.urls.mailchimp}/lists/${SANDBOX_MAILCHIMP.listId}/members/${subscriberHash(email)}`,
				{
					method: 'PUT',
					headers: {
						authorization: `Basic ${Buffer.from(`fanloop:${SANDBOX_MAILCHIMP.apiKey}`).toString('base64')}`,
					},
					body: JSON.stringify({ email_address: email, status_if_new: 'pending' }),
				},
			);
			expect(mailchimp.status).toBe(200);

			const brevo = await fetch(`${sandbox.urls.brevo}/contacts/doubleOptinConfirmation`, {
				method: 'POST',
				headers: { 'api-key': SANDBOX_BREVO.apiKey, 'content-type': 'application/json' },
				body: JSON.stringify({
					email,
					includeListIds: [SANDBOX_BREVO.listId],
					templateId: SANDBOX_BREVO.doiTemplateId,
					redirectionUrl: 'http://127.0.0.1:8790/optin/confirmed',
				}),
			});
			expect(brevo.status).toBe(201);
		} finally {
			await sandbox.stop();
		}
		await expect(fetch(`${sandbox.urls.brevo}/contacts/x`)).rejects.toThrow();
	});
});
