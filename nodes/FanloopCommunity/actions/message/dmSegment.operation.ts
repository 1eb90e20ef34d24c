import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { ACTION_KIND_OPTIONS } from '../../../FanloopFan/actions/fan/common';
import { compact, readObject, readRequiredString, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { platformField } from '../common';

const show = { resource: ['message'], operation: ['dmSegment'] };

export const description: INodeProperties[] = [
	platformField(
		show,
		"Fans get the message in their chat with the bot. The hub sends at the platform's pace (Telegram about 30 messages a second, Discord 50 requests a second), so thousands of fans take minutes. The output jobId is the hub job doing it; the Fanloop Streaming node's Get Job shows its progress.",
	),
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'The new single is out now: https://…',
		description: 'The message, up to 2,000 characters (what both Telegram and Discord take)',
		displayOptions: { show },
	},
	{
		displayName: 'Message Key',
		name: 'messageKey',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'nova-single-out-now',
		description:
			'A name for this message: 1–100 letters, digits, ".", "_", ":" or "-". A key starts one broadcast and each fan gets it at most once: running the workflow again answers the same job (fans who opted in since are not added) and a hub restart resumes it without second copies. Use a new key for a new message.',
		displayOptions: { show },
	},
	{
		displayName: 'Segment',
		name: 'segment',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		description:
			'Narrow the fans who opted in to release updates on the platform; without a filter every one of them gets the message',
		displayOptions: { show },
		options: [
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				placeholder: 'cmp_01J… or mia-neon-nights',
				description:
					"Only fans who took part in this campaign; with Has Action or Lacks Action, only this campaign's actions count",
			},
			{
				displayName: 'Has Action',
				name: 'hasAction',
				type: 'options',
				options: ACTION_KIND_OPTIONS,
				default: 'presave',
				description: 'Only fans who took an action of this kind',
			},
			{
				displayName: 'Lacks Action',
				name: 'lacksAction',
				type: 'options',
				options: ACTION_KIND_OPTIONS,
				default: 'save',
				description: 'Only fans who have not taken an action of this kind',
			},
		],
	},
	{
		displayName: 'Campaign ID or Slug',
		name: 'campaignId',
		type: 'string',
		default: '',
		placeholder: 'cmp_01J… or mia-neon-nights',
		description: 'The campaign the messages belong to',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const body: IDataObject = {
		platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
		text: readRequiredString(this, 'text', itemIndex, 'Text'),
		messageKey: readRequiredString(this, 'messageKey', itemIndex, 'Message Key'),
	};
	const campaignId = readString(this, 'campaignId', itemIndex);
	if (campaignId) body.campaignId = campaignId;
	const segment = compact(readObject(this, 'segment', itemIndex));
	if (Object.keys(segment).length > 0) body.segment = segment;
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/community/broadcasts',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
