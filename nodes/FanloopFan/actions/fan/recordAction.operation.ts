import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import {
	compact,
	readJsonObject,
	readObject,
	readRequiredString,
	readString,
} from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField } from '../../../shared/fan-id';
import { ACTION_KIND_OPTIONS } from './common';

const show = { resource: ['fan'], operation: ['recordAction'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'who took the action'),
	{
		displayName: 'Kind',
		name: 'kind',
		type: 'options',
		required: true,
		options: ACTION_KIND_OPTIONS,
		default: 'click',
		description: 'What the fan did',
		displayOptions: { show },
	},
	{
		displayName: 'Status',
		name: 'status',
		type: 'options',
		default: 'done',
		displayOptions: { show },
		options: [
			{ name: 'Done', value: 'done' },
			{ name: 'Failed', value: 'failed' },
			{ name: 'Intended', value: 'intended' },
			{ name: 'Pending', value: 'pending' },
			{ name: 'Skipped', value: 'skipped' },
		],
	},
	{
		displayName: 'Verification',
		name: 'verification',
		type: 'options',
		default: 'soft',
		displayOptions: { show },
		options: [
			{
				name: 'Hard',
				value: 'hard',
				description:
					'Confirmed: the hub or the platform saw it happen, e.g. a save read back from Spotify or a Telegram join',
			},
			{
				name: 'Soft',
				value: 'soft',
				description:
					'Reported only: you know it happened but nothing can check it, e.g. a click on a link',
			},
		],
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
			},
			{
				displayName: 'Data (JSON)',
				name: 'data',
				type: 'json',
				default: '{}',
				description: 'Extra facts about the action, stored with it',
			},
			{
				displayName: 'Idempotency Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description:
					'A unique text you choose for this action, e.g. the order number. The hub records an action with the same key only once, so a workflow run again does not count it twice.',
			},
			{
				displayName: 'Parent Action ID',
				name: 'parentActionId',
				type: 'string',
				default: '',
				description: 'The earlier action this one is layered on',
			},
			{
				displayName: 'Platform',
				name: 'platform',
				type: 'string',
				default: '',
				placeholder: 'spotify',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'n8n',
				description: 'Where the action was captured',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { data, ...fields } = readObject(this, 'additionalFields', itemIndex);
	const body: IDataObject = {
		fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
		kind: readRequiredString(this, 'kind', itemIndex, 'Kind'),
		status: readString(this, 'status', itemIndex, 'done'),
		verification: readString(this, 'verification', itemIndex, 'soft'),
		...compact(fields),
	};
	const parsedData = readJsonObject(this, data, itemIndex, 'Data (JSON)');
	if (parsedData && Object.keys(parsedData).length > 0) body.data = parsedData;
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/actions',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
