import type {
	IDataObject,
	IHookFunctions,
	IHttpRequestOptions,
	INode,
	IWebhookFunctions,
} from 'n8n-workflow';
import {
	resolveWebhookDescriptionField,
	webhookDescriptionIsNativelyResolvable,
} from 'n8n-workflow';

import { EVENT_TYPES } from '../../hub/src/core/events';
import { signPayload } from '../../nodes/shared/signature';
import { ANY_EVENT, FanloopTrigger } from '../../nodes/FanloopTrigger/FanloopTrigger.node';
import { API_KEY, FakeHub } from './fake-hub';

const SECRET = 'whsec_test';
const trigger = new FanloopTrigger();
const event = {
	id: 'evt_1',
	type: 'presave.completed',
	createdAt: '2026-05-01T10:00:00Z',
	campaignId: 'cmp_1',
	data: { fan: { id: 'fan_1' }, action: { kind: 'presave' } },
};

interface Delivery {
	status?: number;
	body?: unknown;
}

/** Just enough of IWebhookFunctions for webhook(): headers, raw body, parameters, a response. */
function webhookContext(options: {
	rawBody: Buffer;
	signature?: string;
	parameters?: IDataObject;
	staticData?: IDataObject;
}) {
	const delivery: Delivery = {};
	const response = {
		status(code: number) {
			delivery.status = code;
			return response;
		},
		json(body: unknown) {
			delivery.body = body;
			return response;
		},
	};
	const parameters: IDataObject = { events: ['*'], campaignId: '', ...options.parameters };
	const context = {
		getRequestObject: () => ({ rawBody: options.rawBody }),
		getResponseObject: () => response,
		getHeaderData: () => (options.signature ? { 'fanloop-signature': options.signature } : {}),
		getBodyData: () => JSON.parse(options.rawBody.toString('utf8')) as IDataObject,
		getNodeParameter: (name: string) => parameters[name],
		getWorkflowStaticData: () => options.staticData ?? { webhookId: 'wh_1', webhookSecret: SECRET },
	} as unknown as IWebhookFunctions;
	return { context, delivery };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const rawEvent = Buffer.from(JSON.stringify(event));
const sign = (t: number, body = rawEvent, secret = SECRET) =>
	`t=${t},v1=${signPayload(secret, t, body)}`;

describe('Fanloop Trigger: webhook()', () => {
	it('starts the workflow with the event when the signature is right', async () => {
		const { context, delivery } = webhookContext({
			rawBody: rawEvent,
			signature: sign(nowSeconds()),
		});
		const result = await trigger.webhook.call(context);
		expect(result).toEqual({ workflowData: [[{ json: event }]] });
		expect(delivery.status).toBeUndefined();
	});

	// Each header is made when its test runs: made at collection, "301 s ahead" could be 300 s
	// ahead by the time a busy machine gets to the test.
	it.each<[string, () => string | undefined]>([
		['no header', () => undefined],
		['another secret', () => sign(nowSeconds(), rawEvent, 'whsec_other')],
		['a signature over another body', () => sign(nowSeconds(), Buffer.from('{}'))],
		['a timestamp 301 s old', () => sign(nowSeconds() - 301)],
		['a timestamp 301 s ahead', () => sign(nowSeconds() + 301)],
		['a malformed header', () => 'v1=abc'],
	])('answers 401 and runs nothing for %s', async (_case, signatureNow) => {
		const { context, delivery } = webhookContext({ rawBody: rawEvent, signature: signatureNow() });
		const result = await trigger.webhook.call(context);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(delivery.status).toBe(401);
		expect(delivery.body).toMatchObject({ error: { code: 'invalid_signature' } });
	});

	it('refuses every delivery while no secret is stored', async () => {
		const { context, delivery } = webhookContext({
			rawBody: rawEvent,
			signature: sign(nowSeconds()),
			staticData: {},
		});
		expect(await trigger.webhook.call(context)).toEqual({ noWebhookResponse: true });
		expect(delivery.status).toBe(401);
	});

	it('runs for the campaign named by its slug, which the hub resolved to the id at registration', async () => {
		const { context } = webhookContext({
			rawBody: rawEvent,
			signature: sign(nowSeconds()),
			parameters: { campaignId: 'mia-neon-nights' },
			staticData: { webhookId: 'wh_1', webhookSecret: SECRET, campaignId: 'cmp_1' },
		});
		expect(await trigger.webhook.call(context)).toEqual({ workflowData: [[{ json: event }]] });
	});

	it.each([
		['an unselected event type', { events: ['layer.accepted'] }],
		['another campaign', { campaignId: 'cmp_2' }],
	])('acknowledges but does not run for %s', async (_case, parameters) => {
		const { context, delivery } = webhookContext({
			rawBody: rawEvent,
			signature: sign(nowSeconds()),
			parameters,
		});
		expect(await trigger.webhook.call(context)).toEqual({ noWebhookResponse: true });
		expect(delivery.status).toBe(200);
	});
});

describe('Fanloop Trigger: when it answers the hub', () => {
	const [description] = trigger.description.webhooks ?? [];
	const node = (parameters: INode['parameters']): INode => ({
		id: 'n1',
		name: 'Fanloop Trigger',
		type: 'n8n-nodes-fanloop.fanloopTrigger',
		typeVersion: 2,
		position: [0, 0],
		parameters,
	});

	// n8n skips its expression engine for a webhook's description only when each template has a
	// plain read beside it and the read is the one made for that very template.
	it('is read from the parameter without n8n evaluating an expression per delivery', () => {
		expect(webhookDescriptionIsNativelyResolvable(description)).toBe(true);
		for (const respondWhen of ['onReceived', 'lastNode']) {
			expect(
				resolveWebhookDescriptionField(
					node({ events: ['*'], campaignId: '', respondWhen }),
					description,
					'responseMode',
				),
			).toEqual({ resolved: true, value: respondWhen });
		}
	});

	it('is left to the expression engine when a parameter is an expression', () => {
		expect(
			resolveWebhookDescriptionField(
				node({ events: ['*'], campaignId: '={{ $env.CAMPAIGN }}', respondWhen: 'lastNode' }),
				description,
				'responseMode',
			),
		).toEqual({ resolved: false });
	});
});

describe('Fanloop Trigger: event types', () => {
	it('offers every event type the hub emits, and nothing else besides Any Event', () => {
		const events = trigger.description.properties.find((property) => property.name === 'events');
		const offered = (events?.options ?? []).map((option) =>
			'value' in option ? option.value : '',
		);
		expect(offered.filter((value) => value !== ANY_EVENT).sort()).toEqual([...EVENT_TYPES].sort());
	});

	const consent = { id: 'cns_1', channel: 'sms', purpose: 'marketing', status: 'granted' };
	it.each([
		['optin.requested', { fan: { id: 'fan_1' }, consent: { ...consent, status: 'pending' } }],
		['optin.confirmed', { fan: { id: 'fan_1' }, consent, action: { id: 'act_1' } }],
		['optin.revoked', { fan: { id: 'fan_1' }, consent: { ...consent, status: 'revoked' } }],
		['keyword.received', { fan: { id: 'fan_1' }, keyword: { word: 'PRESAVE', channel: 'sms' } }],
	])(
		'starts the workflow with a selected %s event and ignores it otherwise',
		async (type, data) => {
			const body = Buffer.from(JSON.stringify({ ...event, type, data }));
			const selected = webhookContext({
				rawBody: body,
				signature: sign(nowSeconds(), body),
				parameters: { events: [type] },
			});
			expect(await trigger.webhook.call(selected.context)).toEqual({
				workflowData: [[{ json: { ...event, type, data } }]],
			});

			const other = webhookContext({
				rawBody: body,
				signature: sign(nowSeconds(), body),
				parameters: { events: ['presave.completed'] },
			});
			expect(await trigger.webhook.call(other.context)).toEqual({ noWebhookResponse: true });
			expect(other.delivery.body).toEqual({ received: true, ignored: true });
		},
	);
});

describe('Fanloop Trigger: webhook registration', () => {
	const hub = new FakeHub();
	beforeAll(async () => await hub.start());
	afterAll(async () => await hub.stop());
	beforeEach(() => hub.reset());

	/** IHookFunctions whose HTTP helper behaves like n8n's for the options the transport uses. */
	function hookContext(staticData: IDataObject) {
		const credentials = { baseUrl: hub.baseUrl, apiKey: API_KEY };
		const parameters: IDataObject = { events: ['presave.completed'], campaignId: 'cmp_1' };
		return {
			getNode: () => ({ name: 'Fanloop Trigger', type: 'n8n-nodes-fanloop.fanloopTrigger' }),
			getCredentials: async () => credentials,
			getNodeParameter: (name: string) => parameters[name],
			getNodeWebhookUrl: () => 'http://n8n.test/webhook/abc/webhook',
			getWorkflowStaticData: () => staticData,
			helpers: {
				async httpRequestWithAuthentication(_type: string, options: IHttpRequestOptions) {
					const response = await fetch(options.url, {
						method: options.method,
						headers: {
							authorization: `Bearer ${credentials.apiKey}`,
							'content-type': 'application/json',
						},
						body: options.body === undefined ? undefined : JSON.stringify(options.body),
					});
					const text = await response.text();
					return { statusCode: response.status, body: text ? JSON.parse(text) : undefined };
				},
			},
		} as unknown as IHookFunctions;
	}

	it('creates the subscription, stores id and secret, finds it, and deletes it', async () => {
		hub.on('POST', /^\/v1\/webhooks$/, {
			status: 201,
			body: { webhook: { id: 'wh_9', campaignId: 'cmp_1' }, secret: 'whsec_9' },
		});
		hub.on('GET', /^\/v1\/webhooks\/wh_9$/, { status: 200, body: { webhook: { id: 'wh_9' } } });
		hub.on('DELETE', /^\/v1\/webhooks\/wh_9$/, { status: 204 });
		const staticData: IDataObject = {};
		const context = hookContext(staticData);
		const methods = trigger.webhookMethods.default;

		expect(await methods.checkExists.call(context)).toBe(false);
		expect(await methods.create.call(context)).toBe(true);
		expect(staticData).toEqual({
			webhookId: 'wh_9',
			webhookSecret: 'whsec_9',
			campaignId: 'cmp_1',
		});
		expect(hub.requests.at(-1)?.body).toEqual({
			url: 'http://n8n.test/webhook/abc/webhook',
			events: ['presave.completed'],
			campaignId: 'cmp_1',
		});
		expect(await methods.checkExists.call(context)).toBe(true);
		expect(await methods.delete.call(context)).toBe(true);
		expect(staticData).toEqual({});
	});

	it('treats a subscription the hub no longer knows as absent, and its deletion as done', async () => {
		const staticData: IDataObject = { webhookId: 'wh_gone', webhookSecret: 's' };
		const context = hookContext(staticData);
		expect(await trigger.webhookMethods.default.checkExists.call(context)).toBe(false);
		staticData.webhookId = 'wh_gone';
		expect(await trigger.webhookMethods.default.delete.call(context)).toBe(true);
		expect(staticData).toEqual({});
	});
});
