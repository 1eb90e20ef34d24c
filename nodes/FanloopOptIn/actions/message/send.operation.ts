import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { compact, readObject, readRequiredString, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { OPT_IN_CHANNEL_OPTIONS } from '../common';

const show = { resource: ['message'], operation: ['send'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'to send to'),
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		options: OPT_IN_CHANNEL_OPTIONS,
		default: 'sms',
		description: "Sent to the fan's phone number or email address on record with the hub",
		displayOptions: { show },
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
		placeholder: 'The new single is out',
		description: 'Subject line of the email',
		displayOptions: { show: { ...show, channel: ['email'] } },
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'The new single is out now: https://…',
		description:
			'The message. An email gets an unsubscribe link and header from the hub; an SMS is sent as written, so include opt-out wording such as "Reply STOP to opt out".',
		displayOptions: { show },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				description: 'The campaign the message belongs to',
			},
			{
				displayName: 'Frequency Cap',
				name: 'frequencyCap',
				type: 'fixedCollection',
				default: {},
				placeholder: 'Add Frequency Cap',
				description:
					'At most this many messages on this channel per fan within the window; over the cap the output status is capped and nothing is sent',
				options: [
					{
						displayName: 'Cap',
						name: 'cap',
						values: [
							{
								displayName: 'Count',
								name: 'count',
								type: 'number',
								typeOptions: { minValue: 1 },
								default: 1,
								description: 'Messages allowed within the window',
							},
							{
								displayName: 'Window (Hours)',
								name: 'windowHours',
								type: 'number',
								typeOptions: { minValue: 1, maxValue: 744 },
								default: 24,
								description: 'Length of the window in hours (up to 31 days)',
							},
						],
					},
				],
			},
			{
				displayName: 'Idempotency Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description:
					'A unique text you choose for this message, e.g. "release-day-" plus the fan ID. The hub sends a message with the same key only once and answers the first result again, so a workflow run again does not text the fan twice.',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const channel = readRequiredString(this, 'channel', itemIndex, 'Channel');
	const { frequencyCap, ...fields } = readObject(this, 'additionalFields', itemIndex);
	const body: IDataObject = {
		fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
		channel,
		text: readRequiredString(this, 'text', itemIndex, 'Text'),
		...compact(fields),
	};
	if (channel === 'email') {
		const subject = readString(this, 'subject', itemIndex);
		if (subject) body.subject = subject;
	}
	const cap = readFrequencyCap(frequencyCap);
	if (cap) body.frequencyCap = cap;
	// suppressed (no consent), capped and scheduled (quiet hours) are answers, not failures:
	// they come out as ordinary items so the workflow can branch on status.
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/messages',
		body,
		itemIndex,
	});
	return [{ json: result }];
}

function readFrequencyCap(value: unknown): { count: number; windowHours: number } | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const cap = (value as IDataObject).cap;
	if (typeof cap !== 'object' || cap === null || Array.isArray(cap)) return undefined;
	const { count, windowHours } = cap as IDataObject;
	return { count: Number(count ?? 1), windowHours: Number(windowHours ?? 24) };
}
