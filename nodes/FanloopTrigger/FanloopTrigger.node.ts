import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { verifySignature } from '../shared/signature';
import { hubError, hubRequest, hubRequestRaw } from '../shared/transport';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export const ANY_EVENT = '*';

interface StoredSubscription {
	webhookId?: string;
	webhookSecret?: string;
	/** The id of the campaign filter as the hub resolved it: the filter may name a slug, events carry the id. */
	campaignId?: string;
}

/**
 * n8n-workflow's WEBHOOK_RESOLVERS key (n8n 2.35 and later), spelled out rather than imported so
 * that an older n8n, which has no such export, still loads the node: it ignores the key.
 */
const WEBHOOK_RESOLVERS = Symbol.for('n8n.webhookDescriptionResolvers');

/**
 * When to answer the hub, as the webhook description's template for the editor and as a plain
 * read of the parameter for n8n's backend: without the read, n8n evaluates the template in a
 * freshly built expression isolate on every delivery. The template must stay exactly this
 * string: n8n uses the read only while the description still carries it.
 */
const RESPONSE_MODE = {
	template: '={{$parameter["respondWhen"]}}',
	resolve: (parameters: IDataObject) => parameters.respondWhen,
};

function eventMatches(selectedEvents: string[], eventType: unknown): boolean {
	if (selectedEvents.length === 0 || selectedEvents.includes(ANY_EVENT)) return true;
	return typeof eventType === 'string' && selectedEvents.includes(eventType);
}

export class FanloopTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Trigger',
		name: 'fanloopTrigger',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['trigger'],
		// Version 2 behaves as version 1. It exists because n8n reads a version-1 start node's request
		// body only after evaluating an options.binaryData expression (webhook-helpers'
		// parseRequestBody, kept for its own Webhook v1): on every delivery, in an expression isolate.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow when the Fanloop hub reports a fan event',
		defaults: {
			name: 'Fanloop Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'fanloopHubApi',
				required: true,
				testedBy: 'fanloopHubApiTest',
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// n8n reads both per request (webhook-helpers' evaluateResponseOptions). Answering when
				// the run has finished turns a run that failed or was lost with its queue-mode worker
				// (n8n fails, never retries, a stalled job) into a 500, so the hub delivers it again.
				responseMode: RESPONSE_MODE.template,
				responseData: 'noData',
				path: 'webhook',
				[WEBHOOK_RESOLVERS]: { responseMode: RESPONSE_MODE },
			},
		],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: [ANY_EVENT],
				description: 'The hub events that start the workflow',
				options: [
					{
						name: 'Action Failed',
						value: 'action.failed',
						description: 'A recorded fan action failed (e.g. a save the platform refused)',
					},
					{
						name: 'Any Event',
						value: ANY_EVENT,
						description: 'Every event the hub emits',
					},
					{
						name: 'Community Joined',
						value: 'community.joined',
						description:
							"A fan joined the artist's Telegram or Discord, or opted in to its release updates",
					},
					{
						name: 'Community Left',
						value: 'community.left',
						description:
							"A fan stopped the bot's release updates, blocked the bot or left the community",
					},
					{
						name: 'Keyword Received',
						value: 'keyword.received',
						description: "A fan texted a keyword such as PRESAVE to the hub's SMS number",
					},
					{
						name: 'Layer Accepted',
						value: 'layer.accepted',
						description: 'A fan took a further layer (SMS, email, Telegram, Discord, follow, save)',
					},
					{
						name: 'Opt-In Confirmed',
						value: 'optin.confirmed',
						description:
							'A fan confirmed an SMS or email opt-in (replied YES, clicked the link, or texted START)',
					},
					{
						name: 'Opt-In Requested',
						value: 'optin.requested',
						description: 'A fan was asked to confirm an SMS or email opt-in',
					},
					{
						name: 'Opt-In Revoked',
						value: 'optin.revoked',
						description: 'A fan withdrew consent (texted STOP, unsubscribed, or was opted out)',
					},
					{
						name: 'Pre-Save Completed',
						value: 'presave.completed',
						description: 'A fan completed a pre-save on a campaign page',
					},
					{
						name: 'Pre-Save Converted',
						value: 'presave.converted',
						description: 'On release day, the pre-saved release was saved to a fan library',
					},
				],
			},
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				placeholder: 'cmp_01J… or mia-neon-nights',
				description:
					'Only events of this campaign start the workflow: its ID or its slug. Leave empty for every campaign.',
			},
			{
				displayName: 'Answer the Hub',
				name: 'respondWhen',
				type: 'options',
				default: 'onReceived',
				description:
					'When the hub hears that the event arrived. It keeps the event until then and delivers again what was not answered with success.',
				options: [
					{
						name: 'On Receipt',
						value: 'onReceived',
						description:
							'The hub moves on at once, as with n8n’s own Webhook. An event whose run fails, or dies with its worker in queue mode, is not delivered again.',
					},
					{
						name: 'When the Workflow Has Finished',
						value: 'lastNode',
						description:
							"No event is lost, for queue mode and short workflows: a run that fails or dies with its worker is delivered again. So is a run that outlasts the hub's delivery timeout (10 s by default); a Wait of more than 65 seconds counts as finished.",
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node') as StoredSubscription;
				if (!staticData.webhookId) return false;
				const response = await hubRequestRaw.call(this, {
					method: 'GET',
					path: `/v1/webhooks/${encodeURIComponent(staticData.webhookId)}`,
				});
				if (response.statusCode === 404) {
					delete staticData.webhookId;
					delete staticData.webhookSecret;
					delete staticData.campaignId;
					return false;
				}
				if (response.statusCode < 200 || response.statusCode >= 300) {
					throw hubError(this, response);
				}
				return true;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const webhookUrl = this.getNodeWebhookUrl('default');
				const events = this.getNodeParameter('events', []) as string[];
				const campaignId = (this.getNodeParameter('campaignId', '') as string).trim();
				const body: IDataObject = { url: webhookUrl, events };
				if (campaignId) body.campaignId = campaignId;
				const created = await hubRequest.call(this, {
					method: 'POST',
					path: '/v1/webhooks',
					body,
				});
				const webhook = created.webhook as IDataObject | undefined;
				const staticData = this.getWorkflowStaticData('node') as StoredSubscription;
				staticData.webhookId = String(webhook?.id ?? '');
				staticData.webhookSecret = String(created.secret ?? '');
				if (typeof webhook?.campaignId === 'string') staticData.campaignId = webhook.campaignId;
				return staticData.webhookId !== '' && staticData.webhookSecret !== '';
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node') as StoredSubscription;
				if (staticData.webhookId) {
					const response = await hubRequestRaw.call(this, {
						method: 'DELETE',
						path: `/v1/webhooks/${encodeURIComponent(staticData.webhookId)}`,
					});
					// 404: the hub no longer knows the subscription, which is what delete wants.
					const gone =
						response.statusCode === 404 ||
						(response.statusCode >= 200 && response.statusCode < 300);
					if (!gone) throw hubError(this, response);
				}
				delete staticData.webhookId;
				delete staticData.webhookSecret;
				delete staticData.campaignId;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		const staticData = this.getWorkflowStaticData('node') as StoredSubscription;

		const signatureHeader = this.getHeaderData()['fanloop-signature'];
		const rawBody: Buffer | undefined = request.rawBody;
		const check =
			staticData.webhookSecret && rawBody
				? verifySignature(
						Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader,
						rawBody,
						staticData.webhookSecret,
						Math.floor(Date.now() / 1000),
					)
				: ({ valid: false, reason: 'no_secret_or_body' } as const);
		if (!check.valid) {
			response.status(401).json({
				error: { code: 'invalid_signature', message: `Signature rejected: ${check.reason}` },
			});
			return { noWebhookResponse: true };
		}

		const event = this.getBodyData();
		const events = this.getNodeParameter('events', []) as string[];
		const campaignId = (this.getNodeParameter('campaignId', '') as string).trim();
		const campaignMatches =
			!campaignId ||
			event.campaignId === campaignId ||
			(staticData.campaignId !== undefined && event.campaignId === staticData.campaignId);
		const wanted = eventMatches(events, event.type) && campaignMatches;
		if (!wanted) {
			// Acknowledged so the hub does not retry an event this workflow does not want.
			response.status(200).json({ received: true, ignored: true });
			return { noWebhookResponse: true };
		}

		return { workflowData: [[{ json: event }]] };
	}
}
