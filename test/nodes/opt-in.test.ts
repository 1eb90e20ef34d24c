import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { FanloopOptIn } from '../../nodes/FanloopOptIn/FanloopOptIn.node';
import { API_KEY, FakeHub, type RecordedRequest } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => hub.reset());

const WORDING =
	'Text me about new releases from Nova. Msg & data rates may apply. Reply STOP to opt out.';

function consent(id: string, channel: 'sms' | 'email', status: string) {
	return { id, channel: channel === 'sms' ? 'phone' : 'email', purpose: 'marketing', status };
}

const SMS_NOT_CONFIGURED =
	'SMS is not configured on this hub: set FANLOOP_TWILIO_ACCOUNT_SID, FANLOOP_TWILIO_AUTH_TOKEN and FANLOOP_TWILIO_FROM.';

function bodies(requests: RecordedRequest[]) {
	return requests.map((request) => request.body);
}

describe('Fanloop Opt-In: Request', () => {
	it('posts channel, address, wording and the filled additional fields, and passes the hub answer on', async () => {
		hub.on('POST', /^\/v1\/optins$/, (request) => {
			const body = request.body as { address: string };
			const known = body.address === '+14155550100';
			return {
				status: known ? 200 : 201,
				body: {
					fan: { id: known ? 'fan_known' : 'fan_new' },
					consent: consent(known ? 'cns_1' : 'cns_2', 'sms', 'pending'),
					created: !known,
				},
			};
		});
		const run = await runWorkflow(readFixture('opt-in-request.workflow.json'), credentials(), [
			{ json: { phone: '(415) 555-0123', country: 'US', actionId: 'act_presave' } },
			{ json: { phone: '+14155550100', country: '', actionId: '' } },
		]);

		expect(hub.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
			'POST /v1/optins',
			'POST /v1/optins',
		]);
		expect(bodies(hub.requests)).toEqual([
			{
				channel: 'sms',
				address: '(415) 555-0123',
				wording: WORDING,
				campaignId: 'cmp_1',
				country: 'US',
				parentActionId: 'act_presave',
				source: 'presave_page',
				wordingVersion: '2026-05',
			},
			// Empty mapped fields are left out rather than sent as "".
			{
				channel: 'sms',
				address: '+14155550100',
				wording: WORDING,
				campaignId: 'cmp_1',
				source: 'presave_page',
				wordingVersion: '2026-05',
			},
		]);
		const [items] = outputsOf(run, 'Request SMS Opt-In');
		expect(items).toEqual([
			{
				json: {
					fan: { id: 'fan_new' },
					consent: consent('cns_2', 'sms', 'pending'),
					created: true,
				},
				pairedItem: { item: 0 },
			},
			{
				json: {
					fan: { id: 'fan_known' },
					consent: consent('cns_1', 'sms', 'pending'),
					created: false,
				},
				pairedItem: { item: 1 },
			},
		]);
	});

	it('sends an email opt-in to the address given in the email field', async () => {
		hub.on('POST', /^\/v1\/optins$/, {
			status: 201,
			body: { fan: { id: 'fan_1' }, consent: consent('cns_1', 'email', 'pending'), created: true },
		});
		const fixture = readFixture('opt-in-request.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'optIn',
			operation: 'request',
			channel: 'email',
			address: '={{ $json.email }}',
			wording: 'Email me about Nova releases.',
		};
		await runWorkflow(fixture, credentials(), [{ json: { email: 'fan@example.com' } }]);
		expect(bodies(hub.requests)).toEqual([
			{ channel: 'email', address: 'fan@example.com', wording: 'Email me about Nova releases.' },
		]);
	});

	it('asks the fan of a Trigger event at the number on record, with no mapping, and outputs the action to chain on', async () => {
		const answer = {
			fan: { id: 'fan_7' },
			consent: consent('cns_7', 'sms', 'pending'),
			action: { id: 'act_optin_7', kind: 'optin_sms', status: 'pending' },
			created: true,
		};
		hub.on('POST', /^\/v1\/optins$/, { status: 201, body: answer });
		const fixture = readFixture('opt-in-request.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'optIn',
			operation: 'request',
			channel: 'sms',
			wording: WORDING,
		};
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { data: { fan: { id: 'fan_7' } } } },
		]);
		expect(bodies(hub.requests)).toEqual([{ channel: 'sms', wording: WORDING, fanId: 'fan_7' }]);
		expect(outputsOf(run, fixture.nodes[1].name)[0]?.map((item) => item.json)).toEqual([answer]);
	});

	it('refuses to ask without an address or a fan id, before calling the hub', async () => {
		const fixture = readFixture('opt-in-request.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'optIn',
			operation: 'request',
			channel: 'sms',
			address: '={{ $json.phone }}',
			wording: WORDING,
		};
		const run = await runWorkflow(fixture, credentials(), [{ json: { phone: '' } }]);
		const error = run.data.resultData.runData['Request SMS Opt-In']?.[0]?.error;
		expect(error?.message).toBe('Phone Number is empty');
		expect(hub.requests).toHaveLength(0);
	});

	it('refuses to ask without the consent wording, before calling the hub', async () => {
		const fixture = readFixture('opt-in-request.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			wording: '={{ $json.wording }}',
		};
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { phone: '+14155550123', wording: ' ' } },
		]);
		const error = run.data.resultData.runData['Request SMS Opt-In']?.[0]?.error;
		expect(error?.message).toBe('Consent Wording is empty');
		expect(hub.requests).toHaveLength(0);
	});
});

describe('Fanloop Opt-In: Confirm', () => {
	it('posts each token, outputs every outcome as an item and fails a forged token with the hub code', async () => {
		const outcomes: Record<string, string> = {
			tok_good_000: 'confirmed',
			tok_again_00: 'already_confirmed',
			tok_old_0000: 'expired',
		};
		const FORGED = 'This confirmation token is not one the hub issued.';
		hub.on('POST', /^\/v1\/optins\/confirm$/, (request) => {
			const outcome = outcomes[(request.body as { token: string }).token];
			return outcome
				? { status: 200, body: { outcome } }
				: { status: 400, body: { error: { code: 'invalid_token', message: FORGED } } };
		});
		const tokens = [...Object.keys(outcomes), 'tok_forged_0'];
		const fixture = readFixture('opt-in-confirm.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(
			fixture,
			credentials(),
			tokens.map((token) => ({ json: { query: { token } } })),
		);
		expect(bodies(hub.requests)).toEqual(tokens.map((token) => ({ token })));
		const [items] = outputsOf(run, 'Confirm Email');
		expect(items).toEqual([
			...Object.values(outcomes).map((outcome, item) => ({
				json: { outcome },
				pairedItem: { item },
			})),
			{
				json: { error: FORGED, details: { code: 'invalid_token', httpStatus: 400 } },
				pairedItem: { item: 3 },
			},
		]);
	});
});

describe('Fanloop Opt-In: Opt Out', () => {
	it('revokes the chosen channels of the fan from a Trigger event, with the method as proof', async () => {
		hub.on('POST', /^\/v1\/optins\/opt-out$/, {
			status: 200,
			body: { revoked: [consent('cns_1', 'sms', 'revoked')] },
		});
		const run = await runWorkflow(readFixture('opt-in-opt-out.workflow.json'), credentials(), [
			{ json: { type: 'layer.accepted', data: { fan: { id: 'fan_1' } } } },
		]);
		expect(hub.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
			'POST /v1/optins/opt-out',
		]);
		expect(bodies(hub.requests)).toEqual([
			{ fanId: 'fan_1', channels: ['sms'], method: 'preference_center' },
		]);
		const [items] = outputsOf(run, 'Opt Out');
		expect(items).toEqual([
			{ json: { revoked: [consent('cns_1', 'sms', 'revoked')] }, pairedItem: { item: 0 } },
		]);
	});

	it('defaults to both channels and lets the hub record its own method', async () => {
		hub.on('POST', /^\/v1\/optins\/opt-out$/, { status: 200, body: { revoked: [] } });
		const fixture = readFixture('opt-in-opt-out.workflow.json');
		fixture.nodes[1].parameters = { resource: 'optIn', operation: 'optOut' };
		await runWorkflow(fixture, credentials(), [{ json: { fan: { id: 'fan_2' } } }]);
		expect(bodies(hub.requests)).toEqual([{ fanId: 'fan_2', channels: ['email', 'sms'] }]);
	});
});

describe('Fanloop Opt-In: Check Consent', () => {
	it("asks for the fan's consent on the channel and outputs its status", async () => {
		hub.on('GET', /^\/v1\/optins\/status$/, (request) =>
			request.query.fanId === 'fan_1'
				? {
						status: 200,
						body: { status: 'granted', consent: consent('cns_1', 'email', 'granted') },
					}
				: { status: 200, body: { status: 'none', consent: null } },
		);
		const run = await runWorkflow(
			readFixture('opt-in-check-consent.workflow.json'),
			credentials(),
			[{ json: { id: 'fan_1' } }, { json: { id: 'fan_2' } }],
		);
		expect(hub.requests.map((request) => [request.method, request.path, request.query])).toEqual([
			['GET', '/v1/optins/status', { fanId: 'fan_1', channel: 'email' }],
			['GET', '/v1/optins/status', { fanId: 'fan_2', channel: 'email' }],
		]);
		const [items] = outputsOf(run, 'Check Consent');
		expect(items).toEqual([
			{
				json: { status: 'granted', consent: consent('cns_1', 'email', 'granted') },
				pairedItem: { item: 0 },
			},
			{ json: { status: 'none', consent: null }, pairedItem: { item: 1 } },
		]);
	});
});

describe('Fanloop Opt-In: Send', () => {
	const statusByFan: Record<string, string> = {
		fan_sent: 'sent',
		fan_night: 'scheduled',
		fan_nocons: 'suppressed',
		fan_capped: 'capped',
	};

	function answerSends() {
		hub.on('POST', /^\/v1\/messages$/, (request) => {
			const { fanId, channel } = request.body as { fanId: string; channel: string };
			const status = statusByFan[fanId];
			if (!status) {
				return {
					status: 404,
					body: { error: { code: 'fan_not_found', message: `No fan with id ${fanId}` } },
				};
			}
			return {
				status: 200,
				body: {
					id: `msg_${fanId}`,
					fanId,
					channel,
					status,
					sendAt: '2026-05-01T12:00:00.000Z',
					providerMessageId: status === 'sent' ? 'smtp_1' : null,
					error: null,
				},
			};
		});
	}

	it('posts text, subject, cap and idempotency key, and outputs suppressed and capped sends as items', async () => {
		answerSends();
		const fanIds = Object.keys(statusByFan);
		const run = await runWorkflow(
			readFixture('message-send.workflow.json'),
			credentials(),
			fanIds.map((fanId) => ({ json: { fanId } })),
		);
		expect(bodies(hub.requests)).toEqual(
			fanIds.map((fanId) => ({
				fanId,
				channel: 'email',
				subject: 'Nova: the single is out',
				text: 'Listen now: https://example.com/nova',
				campaignId: 'cmp_1',
				idempotencyKey: `${fanId}-release`,
				frequencyCap: { count: 2, windowHours: 168 },
			})),
		);
		const [items] = outputsOf(run, 'Send Email');
		expect(items?.map((item) => [item.json.fanId, item.json.status, item.pairedItem])).toEqual([
			['fan_sent', 'sent', { item: 0 }],
			['fan_night', 'scheduled', { item: 1 }],
			['fan_nocons', 'suppressed', { item: 2 }],
			['fan_capped', 'capped', { item: 3 }],
		]);
	});

	it('sends no subject and no cap for an SMS without them', async () => {
		answerSends();
		const fixture = readFixture('message-send.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'message',
			operation: 'send',
			channel: 'sms',
			// Hidden for SMS: a subject left over from email is not sent.
			subject: 'left over',
			text: 'Nova: the single is out. Reply STOP to opt out.',
		};
		await runWorkflow(fixture, credentials(), [{ json: { fan: { id: 'fan_sent' } } }]);
		expect(bodies(hub.requests)).toEqual([
			{
				fanId: 'fan_sent',
				channel: 'sms',
				text: 'Nova: the single is out. Reply STOP to opt out.',
			},
		]);
	});

	it('with Continue On Fail, outputs one error item per failed input, each paired with it', async () => {
		answerSends();
		const fixture = readFixture('message-send.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { fanId: 'fan_gone_1' } },
			{ json: { fanId: 'fan_sent' } },
			{ json: { fanId: 'fan_gone_2' } },
			{ json: { fanId: 'fan_nocons' } },
		]);
		const [items] = outputsOf(run, 'Send Email');
		expect(items?.map((item) => [item.json.error ?? item.json.status, item.pairedItem])).toEqual([
			['No fan with id fan_gone_1', { item: 0 }],
			['sent', { item: 1 }],
			['No fan with id fan_gone_2', { item: 2 }],
			['suppressed', { item: 3 }],
		]);
		expect(hub.requests).toHaveLength(4);
	});

	describe('when the hub has no SMS provider (503 provider_not_configured)', () => {
		beforeEach(() =>
			hub.on('POST', /^\/v1\/messages$/, {
				status: 503,
				body: { error: { code: 'provider_not_configured', message: SMS_NOT_CONFIGURED } },
			}),
		);
		const smsFixture = () => {
			const fixture = readFixture('message-send.workflow.json');
			fixture.nodes[1].parameters = {
				resource: 'message',
				operation: 'send',
				fanId: '={{ $json.fanId }}',
				channel: 'sms',
				text: 'Out now',
			};
			return fixture;
		};

		it('fails the run with the hub message naming the settings to set', async () => {
			const run = await runWorkflow(smsFixture(), credentials(), [{ json: { fanId: 'fan_1' } }]);
			const error = run.data.resultData.runData['Send Email']?.[0]?.error;
			expect(error?.message).toBe(SMS_NOT_CONFIGURED);
			expect(error?.description).toContain('provider_not_configured');
		});

		it('with Continue On Fail, puts that message in the error item', async () => {
			const fixture = smsFixture();
			fixture.nodes[1].onError = 'continueRegularOutput';
			const run = await runWorkflow(fixture, credentials(), [{ json: { fanId: 'fan_1' } }]);
			const [items] = outputsOf(run, 'Send Email');
			expect(items).toEqual([
				{
					json: {
						error: SMS_NOT_CONFIGURED,
						details: { code: 'provider_not_configured', httpStatus: 503 },
					},
					pairedItem: { item: 0 },
				},
			]);
		});
	});
});

describe('Fanloop Opt-In: pairing', () => {
	/**
	 * WorkflowExecute fills in a missing pairedItem by position when input and output counts
	 * match, which hides a node that forgets it; so the node's own output is checked here.
	 */
	function executeContext(fanIds: string[]) {
		const parameters: Record<string, (itemIndex: number) => unknown> = {
			resource: () => 'message',
			operation: () => 'send',
			fanId: (itemIndex) => fanIds[itemIndex],
			channel: () => 'sms',
			text: () => 'Out now',
			additionalFields: () => ({}),
		};
		return {
			getInputData: () => fanIds.map((fanId) => ({ json: { fanId } })),
			getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) =>
				parameters[name]?.(itemIndex) ?? fallback,
			getNode: () => ({ name: 'Send', type: 'n8n-nodes-fanloop.fanloopOptIn', typeVersion: 1 }),
			continueOnFail: () => true,
			getCredentials: async () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY }),
			helpers: {
				async httpRequestWithAuthentication(_type: string, options: IHttpRequestOptions) {
					const response = await fetch(options.url, {
						method: options.method,
						headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
						body: JSON.stringify(options.body),
					});
					return { statusCode: response.status, body: (await response.json()) as IDataObject };
				},
			},
		} as unknown as IExecuteFunctions;
	}

	it('pairs every result and every error item with its own input', async () => {
		hub.on('POST', /^\/v1\/messages$/, (request) => {
			const { fanId } = request.body as { fanId: string };
			return fanId === 'fan_ok'
				? { status: 200, body: { id: 'msg_1', fanId, channel: 'sms', status: 'sent' } }
				: { status: 404, body: { error: { code: 'fan_not_found', message: `No fan ${fanId}` } } };
		});
		const [items] = await new FanloopOptIn().execute.call(
			executeContext(['fan_gone', 'fan_ok', 'fan_lost']),
		);
		expect(items.map((item) => [item.json.error ?? item.json.status, item.pairedItem])).toEqual([
			['No fan fan_gone', { item: 0 }],
			['sent', { item: 1 }],
			['No fan fan_lost', { item: 2 }],
		]);
	});
});
