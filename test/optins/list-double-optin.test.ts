import { startHub, type RunningHub } from '../../hub/src';
import { configFromEnv } from '../../hub/src/config';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	BrevoStandIn,
	MailchimpStandIn,
	SANDBOX_BREVO,
	SANDBOX_MAILCHIMP,
} from '../../sandbox/src/messaging';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { eventually } from '../support/eventually';

const WORDING = 'Email me about Nia Vale releases.';

async function statusOf(api: HubApi, fanId: string): Promise<string> {
	return (await api.call('GET', `/v1/optins/status?fanId=${fanId}&channel=email`)).body.status;
}

describe('email double opt-in through a list provider', () => {
	const clock = new SandboxClock();
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;

	afterEach(async () => {
		await hub?.close();
		await database?.drop();
	});

	async function start(messaging: Parameters<typeof startHub>[0]['messaging']) {
		database = await createTestDatabase('sqlite');
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			messaging,
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('list test'));
	}

	it('adds the fan to Mailchimp as pending and grants the consent once Mailchimp reports them subscribed', async () => {
		const mailchimp = new MailchimpStandIn({
			apiKey: SANDBOX_MAILCHIMP.apiKey,
			lists: [{ id: SANDBOX_MAILCHIMP.listId, name: 'Fans' }],
			clock,
		});
		await mailchimp.start();
		try {
			await start({
				mailchimp: {
					apiKey: SANDBOX_MAILCHIMP.apiKey,
					listId: SANDBOX_MAILCHIMP.listId,
					apiUrl: mailchimp.url,
				},
			});
			const requested = await api.call('POST', '/v1/optins', {
				channel: 'email',
				address: 'Ana@Example.com',
				wording: WORDING,
			});
			const fanId = requested.body.fan.id;
			await eventually('the pending member', () =>
				mailchimp.member(SANDBOX_MAILCHIMP.listId, 'ana@example.com'),
			);
			expect(mailchimp.member(SANDBOX_MAILCHIMP.listId, 'ana@example.com')?.status).toBe('pending');

			clock.advance(5 * 60_000 + 1000);
			await new Promise((resolve) => setTimeout(resolve, 150));
			expect(await statusOf(api, fanId)).toBe('pending');

			mailchimp.confirm(SANDBOX_MAILCHIMP.listId, 'ana@example.com');
			clock.advance(5 * 60_000 + 1000);
			await eventually('the granted consent', async () =>
				(await statusOf(api, fanId)) === 'granted' ? true : undefined,
			);
			const exported = await api.call('GET', `/v1/fans/${fanId}/export`);
			expect(exported.body.actions).toContainEqual(
				expect.objectContaining({ kind: 'optin_email', status: 'done', verification: 'hard' }),
			);
		} finally {
			await mailchimp.stop();
		}
	});

	it('asks Brevo for its double opt-in and confirms when Brevo sends the fan back to the hub', async () => {
		const brevo = new BrevoStandIn({
			apiKey: SANDBOX_BREVO.apiKey,
			listIds: [SANDBOX_BREVO.listId],
			doiTemplateIds: [SANDBOX_BREVO.doiTemplateId],
			clock,
		});
		await brevo.start();
		try {
			await start({
				brevo: {
					apiKey: SANDBOX_BREVO.apiKey,
					listId: SANDBOX_BREVO.listId,
					templateId: SANDBOX_BREVO.doiTemplateId,
					apiUrl: brevo.url,
				},
			});
			const requested = await api.call('POST', '/v1/optins', {
				channel: 'email',
				address: 'bo@example.com',
				wording: WORDING,
			});
			await eventually('the DOI request', () =>
				brevo.doubleOptInRequests().length > 0 ? true : undefined,
			);

			const redirect = brevo.confirm('bo@example.com');
			expect(redirect).toContain('/optin/confirmed?token=');
			const page = await fetch(redirect);
			expect(await page.text()).toContain('You are subscribed');
			expect(await statusOf(api, requested.body.fan.id)).toBe('granted');
		} finally {
			await brevo.stop();
		}
	});
});

describe('provider configuration', () => {
	const base = { FANLOOP_SEALING_KEY: newSealingKey().toString('base64') };

	it('names the settings a half-configured provider is missing', () => {
		expect(() =>
			configFromEnv({ ...base, FANLOOP_TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` }),
		).toThrow(/Twilio is half configured: also set FANLOOP_TWILIO_AUTH_TOKEN, FANLOOP_TWILIO_FROM/);
	});

	it('refuses a malformed value with the rule it breaks', () => {
		expect(() => configFromEnv({ ...base, FANLOOP_TWILIO_ACCOUNT_SID: 'nope' })).toThrow(
			/AC followed by 32 hex digits/,
		);
	});

	it('reads a complete provider and leaves the others off', () => {
		const config = configFromEnv({
			...base,
			FANLOOP_SMTP_URL: 'smtp://127.0.0.1:2525',
			FANLOOP_EMAIL_FROM: 'hi@example.com',
		});
		expect(config.messaging).toEqual({
			smtp: { url: 'smtp://127.0.0.1:2525', from: 'hi@example.com' },
		});
	});

	it('asks for a sealing key before anything else', () => {
		expect(() => configFromEnv({})).toThrow(/FANLOOP_SEALING_KEY/);
	});
});
