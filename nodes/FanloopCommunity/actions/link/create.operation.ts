import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { compact, readObject, readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { platformField } from '../common';

const show = { resource: ['link'], operation: ['create'] };

export const description: INodeProperties[] = [
	platformField(
		show,
		'Telegram: a t.me deep link that starts the bot; Discord: a hub link that hands out a single-use server invite. The output holds the URL to send the fan and its signed reference.',
	),
	{
		displayName: 'Attribute To',
		name: 'attributeTo',
		type: 'options',
		options: [
			{
				name: 'Action',
				value: 'action',
				description:
					'The join is recorded as layered on this action (e.g. the pre-save), and its fan is the one who joins',
			},
			{
				name: 'Fan',
				value: 'fan',
				description: 'The chat account that joins through the link is linked to this fan',
			},
		],
		default: 'fan',
		displayOptions: { show },
	},
	fanIdField({ ...show, attributeTo: ['fan'] }, 'the link is made for'),
	{
		displayName: 'Action ID',
		name: 'actionId',
		type: 'string',
		required: true,
		// The action of a Fanloop Trigger event, e.g. the pre-save of presave.completed.
		default: '={{ $json.data?.action?.id }}',
		placeholder: 'act_01J…',
		description:
			'The action the join is layered on. The default reads it from a Fanloop Trigger event (data.action.ID).',
		displayOptions: { show: { ...show, attributeTo: ['action'] } },
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
				displayName: 'Campaign ID',
				name: 'campaignId',
				type: 'string',
				default: '',
				description: 'The campaign the join is recorded under',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'instagram-story',
				description: 'Where the link was shared, kept with the join for the funnel report',
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
	};
	// A reference names exactly one target: the hidden field of the other choice is never sent.
	if (readRequiredString(this, 'attributeTo', itemIndex, 'Attribute To') === 'action') {
		body.actionId = readRequiredString(this, 'actionId', itemIndex, 'Action ID');
	} else {
		body.fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
	}
	Object.assign(body, compact(readObject(this, 'additionalFields', itemIndex)));
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/community/links',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
