import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { platformField } from '../common';

const show = { resource: ['link'], operation: ['create'] };

// A constant: the community lint upper-cases "id" in description literals, paths included.
const ACTION_ID_HELP =
	'The action the join is layered on. The default reads it from a Fanloop Trigger event (data.action.id).';

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
					'The join is layered on this action (e.g. the pre-save), and the chat is linked to its fan',
			},
			{
				name: 'Fan',
				value: 'fan',
				description: 'The chat account that joins through the link is linked to this fan',
			},
			{
				name: 'Source',
				value: 'source',
				description:
					'Telegram only: one link to share anywhere (a bio, a post); each fan who starts the bot through it is tagged with the source',
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
		description: ACTION_ID_HELP,
		displayOptions: { show: { ...show, attributeTo: ['action'] } },
	},
	{
		displayName: 'Source',
		name: 'source',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'instagram-bio',
		description:
			'Where the link is shared, kept on every fan it brings in for the funnel report: up to 64 letters, digits, "_" or "-"',
		displayOptions: { show: { ...show, attributeTo: ['source'] } },
	},
];

/** A link names exactly one target: only the field of the chosen attribution is sent. */
const TARGET_FIELD: Record<string, { name: string; label: string }> = {
	action: { name: 'actionId', label: 'Action ID' },
	fan: { name: 'fanId', label: 'Fan ID' },
	source: { name: 'source', label: 'Source' },
};

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const attributeTo = readRequiredString(this, 'attributeTo', itemIndex, 'Attribute To');
	const target = TARGET_FIELD[attributeTo];
	if (!target) {
		throw new NodeOperationError(
			this.getNode(),
			`"${attributeTo}" is not a way to attribute a link`,
			{
				itemIndex,
				description: 'Attribute To is action, fan or source.',
			},
		);
	}
	const body: IDataObject = {
		platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
		[target.name]: readRequiredString(this, target.name, itemIndex, target.label),
	};
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/community/links',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
