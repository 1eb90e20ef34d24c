import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { SmtpStandIn } from '../../sandbox/src/messaging/smtp';
import { TwilioStandIn, twilioSignature } from '../../sandbox/src/messaging/twilio';
import { SANDBOX_SMTP, SANDBOX_TWILIO } from '../../sandbox/src/messaging';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';
import { eventually } from '../support/eventually';

const SMS_WORDING =
	'Text me about Nia Vale releases. Up to 4 msgs/month. Reply STOP to stop, HELP for help.';
const EMAIL_WORDING = 'Email me about Nia Vale releases. Unsubscribe any time.';

describe.each(STORE_KINDS)('SMS and email opt-ins on %s', (kind) => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;
	let twilio: TwilioStandIn;
	let smtp: SmtpStandIn;
	const clock = new SandboxClock();
	let inboundUrl: string;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-03T11:00:00Z'));
		twilio = new TwilioStandIn({
			accountSid: SANDBOX_TWILIO.accountSid,
			authToken: SANDBOX_TWILIO.authToken,
			clock,
		});
		await twilio.start();
		smtp = new SmtpStandIn({
			auth: { user: SANDBOX_SMTP.user, password: SANDBOX_SMTP.password },
			clock,
		});
		await smtp.start();
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			program: {
				name: 'Nia Vale',
				helpText: 'Nia Vale updates. Reply STOP to opt out.',
				stopSuppresses: ['sms', 'email'],
			},
			messaging: {
				twilio: { ...SANDBOX_TWILIO, apiUrl: twilio.url },
				smtp: { url: smtp.url, from: SANDBOX_SMTP.from },
			},
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('opt-in test'));
		inboundUrl = `${hub.url}/webhooks/twilio/sms`;
	});

	afterAll(async () => {
		await hub?.close();
		await twilio?.stop();
		await smtp?.stop();
		await database?.drop();
	});

	function smsTo(phone: string) {
		return twilio.sent().filter((message) => message.to === phone);
	}

	async function requestSms(phone: string, extra: Record<string, unknown> = {}) {
		return api.call('POST', '/v1/optins', {
			channel: 'sms',
			address: phone,
			wording: SMS_WORDING,
			source: 'presave-page',
			ip: '203.0.113.9',
			userAgent: 'Mozilla/5.0 (iPhone)',
			timezone: 'Europe/Berlin',
			...extra,
		});
	}

	async function confirmedSmsFan(phone: string): Promise<string> {
		const requested = await requestSms(phone);
		await eventually('the confirmation request', () => smsTo(phone).length === 1 || undefined);
		await twilio.inbound(inboundUrl, { From: phone, To: SANDBOX_TWILIO.from, Body: 'yes' });
		return requested.body.fan.id;
	}

	it('runs SMS double opt-in: request, YES, then a send that goes out', async () => {
		const phone = '+4915123456701';
		const requested = await requestSms(phone);
		expect(requested.status).toBe(201);
		expect(requested.body.consent).toMatchObject({
			status: 'pending',
			channel: 'phone',
			wording: SMS_WORDING,
		});
		const [request] = await eventually('the YES request', () =>
			smsTo(phone).length === 1 ? smsTo(phone) : undefined,
		);
		expect(request.body).toMatch(/reply YES/i);
		expect(request.body).toMatch(/STOP/);

		const reply = await twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: ' Yes ',
		});
		expect(reply.status).toBe(200);
		expect(reply.body).toMatch(/<Message>.*STOP.*<\/Message>/);
		const fanId = requested.body.fan.id;
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${fanId}&channel=sms`)).body.status,
		).toBe('granted');

		const sent = await api.call('POST', '/v1/messages', {
			fanId,
			channel: 'sms',
			text: 'Out now! Reply STOP to opt out.',
		});
		expect(sent.body).toMatchObject({
			status: 'sent',
			providerMessageId: expect.stringMatching(/^SM/),
		});
		expect(smsTo(phone).map((message) => message.body)).toContain(
			'Out now! Reply STOP to opt out.',
		);

		const exported = await api.call('GET', `/v1/fans/${fanId}/export`);
		expect(exported.body.consents[0]).toMatchObject({
			status: 'granted',
			wording: SMS_WORDING,
			wordingHash: expect.stringMatching(/^[0-9a-f]{64}$/),
			source: 'presave-page',
			ip: '203.0.113.9',
			userAgent: 'Mozilla/5.0 (iPhone)',
			requestedAt: expect.any(String),
			confirmedAt: expect.any(String),
		});
		expect(exported.body.actions).toContainEqual(
			expect.objectContaining({ kind: 'optin_sms', status: 'done', verification: 'hard' }),
		);
	});

	it('records a repeated opt-in once and sends one confirmation request', async () => {
		const phone = '+4915123456702';
		const first = await requestSms(phone);
		const second = await requestSms(phone);
		expect(second.body).toMatchObject({ created: false, consent: { id: first.body.consent.id } });
		await eventually('the confirmation request', () => smsTo(phone).length === 1 || undefined);
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(smsTo(phone)).toHaveLength(1);
	});

	it('stops everything on STOP: a later send reaches nobody on any channel', async () => {
		const phone = '+4915123456703';
		const fanId = await confirmedSmsFan(phone);
		await api.call('POST', '/v1/optins', {
			channel: 'email',
			address: 'stop-me@example.com',
			fanId,
			wording: EMAIL_WORDING,
		});

		await twilio.inbound(inboundUrl, { From: phone, To: SANDBOX_TWILIO.from, Body: 'STOP' });

		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${fanId}&channel=sms`)).body.status,
		).toBe('revoked');
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${fanId}&channel=email`)).body.status,
		).toBe('revoked');
		const before = twilio.sent().length;
		const sms = await api.call('POST', '/v1/messages', { fanId, channel: 'sms', text: 'Out now!' });
		const email = await api.call('POST', '/v1/messages', {
			fanId,
			channel: 'email',
			subject: 'Out now',
			text: 'Out now!',
		});
		expect(sms.body.status).toBe('suppressed');
		expect(email.body.status).toBe('suppressed');
		expect(twilio.sent().length).toBe(before);
	});

	it('holds a message due at 11pm in the fan’s zone until 8am there, and sends it once', async () => {
		const phone = '+4915123456704';
		const fanId = await confirmedSmsFan(phone);
		// The clock only moves forward: the stand-ins, like real providers, keep queues in time.
		clock.set(Date.parse('2026-12-03T22:00:00Z'));
		const due = await api.call('POST', '/v1/messages', {
			fanId,
			channel: 'sms',
			text: 'Midnight City is out at midnight.',
			idempotencyKey: 'late-night',
		});
		expect(due.body).toMatchObject({ status: 'scheduled', sendAt: '2026-12-04T07:00:00.000Z' });
		await new Promise((resolve) => setTimeout(resolve, 150));
		expect(smsTo(phone).some((message) => message.body.startsWith('Midnight City'))).toBe(false);

		clock.set(Date.parse('2026-12-04T07:00:30Z'));
		await eventually('the morning send', () =>
			smsTo(phone).find((message) => message.body.startsWith('Midnight City')),
		);
		const message = await api.call('GET', `/v1/messages/${due.body.id}`);
		expect(message.body.status).toBe('sent');
		await new Promise((resolve) => setTimeout(resolve, 150));
		expect(smsTo(phone).filter((sms) => sms.body.startsWith('Midnight City'))).toHaveLength(1);
	});

	it('keeps to the marketer’s frequency cap', async () => {
		const fanId = await confirmedSmsFan('+4915123456705');
		const cap = { count: 1, windowHours: 24 };
		const first = await api.call('POST', '/v1/messages', {
			fanId,
			channel: 'sms',
			text: 'One',
			frequencyCap: cap,
		});
		const second = await api.call('POST', '/v1/messages', {
			fanId,
			channel: 'sms',
			text: 'Two',
			frequencyCap: cap,
		});
		expect([first.body.status, second.body.status]).toEqual(['sent', 'capped']);
	});

	it('answers HELP and turns custom keywords into events', async () => {
		const phone = '+4915123456706';
		await confirmedSmsFan(phone);
		const help = await twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: 'help',
		});
		expect(help.body).toContain('Nia Vale updates. Reply STOP to opt out.');
		const outboxBefore = await hub.ledger.store.get<{ n: number }>(
			`SELECT COUNT(*) AS n FROM outbox WHERE type = 'keyword.received'`,
		);
		await twilio.inbound(inboundUrl, { From: phone, To: SANDBOX_TWILIO.from, Body: 'presave' });
		const event = await hub.ledger.store.get<{ payload: string }>(
			`SELECT payload FROM outbox WHERE type = 'keyword.received' ORDER BY id DESC LIMIT 1`,
		);
		expect(JSON.parse(event!.payload).data.keyword).toEqual({ word: 'PRESAVE', channel: 'sms' });
		expect(Number(outboxBefore?.n)).toBeLessThan(
			Number(
				(
					await hub.ledger.store.get<{ n: number }>(
						`SELECT COUNT(*) AS n FROM outbox WHERE type = 'keyword.received'`,
					)
				)?.n,
			),
		);
	});

	it('refuses a forged Twilio webhook with 403 and records nothing', async () => {
		const phone = '+4915123456707';
		const fanId = await confirmedSmsFan(phone);
		const params = {
			AccountSid: SANDBOX_TWILIO.accountSid,
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: 'STOP',
			MessageSid: 'SMforged',
		};
		for (const signature of [undefined, twilioSignature('wrong-token', inboundUrl, params)]) {
			const response = await fetch(inboundUrl, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					...(signature ? { 'x-twilio-signature': signature } : {}),
				},
				body: new URLSearchParams(params).toString(),
			});
			expect(response.status).toBe(403);
		}
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${fanId}&channel=sms`)).body.status,
		).toBe('granted');
	});

	it('runs email double opt-in through the link, once, and refuses an expired link', async () => {
		const address = `nia.fan.${kind}@example.com`;
		const requested = await api.call('POST', '/v1/optins', {
			channel: 'email',
			address,
			wording: EMAIL_WORDING,
			timezone: 'Europe/Berlin',
		});
		const mail = await smtp.waitFor((email) => email.to.includes(address));
		const link = mail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)?.[0];
		expect(link).toBeDefined();

		const page = await fetch(link!);
		expect(page.status).toBe(200);
		expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
		expect(await page.text()).toContain('<form method="post" action="/optin/confirm">');
		// Opening the link alone (as a mail scanner does) confirms nothing.
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${requested.body.fan.id}&channel=email`)).body
				.status,
		).toBe('pending');

		const token = new URL(link!).searchParams.get('token')!;
		const post = () =>
			fetch(`${hub.url}/optin/confirm`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ token }).toString(),
			});
		const confirmed = await post();
		expect(await confirmed.text()).toContain('You are subscribed');
		const replayed = await post();
		expect(await replayed.text()).toContain('Already confirmed');
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${requested.body.fan.id}&channel=email`)).body
				.status,
		).toBe('granted');

		const welcome = await smtp.waitFor(
			(email) => email.to.includes(address) && email.subject.startsWith("You're subscribed"),
		);
		expect(welcome.headers['list-unsubscribe']).toMatch(/\/unsubscribe\?token=/);
		expect(welcome.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');

		const late = `late.${kind}@example.com`;
		await api.call('POST', '/v1/optins', {
			channel: 'email',
			address: late,
			wording: EMAIL_WORDING,
		});
		const lateMail = await smtp.waitFor((email) => email.to.includes(late));
		const lateToken = new URL(
			lateMail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)![0],
		).searchParams.get('token')!;
		clock.advance(49 * 3_600_000);
		const expired = await api.call('POST', '/v1/optins/confirm', { token: lateToken });
		expect(expired.body.outcome).toBe('expired');
	});

	it('unsubscribes in one click from the link in every email', async () => {
		const address = `one-click.${kind}@example.com`;
		const requested = await api.call('POST', '/v1/optins', {
			channel: 'email',
			address,
			wording: EMAIL_WORDING,
		});
		const mail = await smtp.waitFor((email) => email.to.includes(address));
		const token = new URL(
			mail.text.match(/https?:\/\/\S+\/optin\/confirm\?token=\S+/)![0],
		).searchParams.get('token')!;
		await api.call('POST', '/v1/optins/confirm', { token });
		const welcome = await smtp.waitFor(
			(email) => email.to.includes(address) && email.headers['list-unsubscribe'] !== undefined,
		);
		const unsubscribeUrl = String(welcome.headers['list-unsubscribe']).replace(/^<|>$/g, '');

		const oneClick = await fetch(unsubscribeUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'List-Unsubscribe=One-Click',
		});
		expect(await oneClick.text()).toContain('You are unsubscribed');
		expect(
			(await api.call('GET', `/v1/optins/status?fanId=${requested.body.fan.id}&channel=email`)).body
				.status,
		).toBe('revoked');
	});

	it('asks a known fan on the number already on record', async () => {
		const phone = '+4915123456709';
		const fanId = (
			await api.call('POST', '/v1/fans', { identities: [{ channel: 'phone', value: phone }] })
		).body.fan.id;
		const requested = await api.call('POST', '/v1/optins', {
			channel: 'sms',
			fanId,
			wording: 'Texted JOIN to subscribe',
		});
		expect(requested).toMatchObject({
			status: 201,
			body: { fan: { id: fanId }, consent: { status: 'pending' } },
		});
		await eventually('the confirmation request', () => smsTo(phone).length === 1 || undefined);
		const noEmail = await api.call('POST', '/v1/optins', {
			channel: 'email',
			fanId,
			wording: EMAIL_WORDING,
		});
		expect(noEmail.status).toBe(400);
		expect(noEmail.body.error.message).toContain('no email address on record');
	});

	it('refuses malformed addresses and opt-ins for erased fans', async () => {
		for (const [channel, address] of [
			['sms', '12345'],
			['email', 'not-an-address'],
		]) {
			const response = await api.call('POST', '/v1/optins', {
				channel,
				address,
				wording: SMS_WORDING,
			});
			expect(response.status).toBe(400);
			expect(response.body.error.message).toContain(address);
		}
		const phone = '+4915123456708';
		const fanId = (await requestSms(phone)).body.fan.id;
		await api.call('DELETE', `/v1/fans/${fanId}`);
		const again = await requestSms(phone);
		expect(again).toMatchObject({ status: 409, body: { error: { code: 'identity_suppressed' } } });
	});
});
