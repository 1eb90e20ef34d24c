import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { compact, readObject, readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { platformField } from '../common';

const show = { resource: ['message'], operation: ['announce'] };

export const description: INodeProperties[] = [
	platformField(
		show,
		'Where the post goes. The output messageId is the post on the platform. One post reaches every member at once, so it is the way to tell everyone on release day without hitting rate limits.',
	),
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'The new single is out now: https://…',
		description: 'The post, up to 2,000 characters (what both Telegram and Discord take)',
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
				description: 'The campaign the announcement belongs to',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const body: IDataObject = {
		platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
		text: readRequiredString(this, 'text', itemIndex, 'Text'),
		...compact(readObject(this, 'additionalFields', itemIndex)),
	};
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/community/announcements',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
