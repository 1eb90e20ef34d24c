import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { compact, readObject, readRequiredString, readStrings } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { OPT_IN_CHANNEL_OPTIONS } from '../common';

const show = { resource: ['optIn'], operation: ['optOut'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'who opts out'),
	{
		displayName: 'Channels',
		name: 'channels',
		type: 'multiOptions',
		required: true,
		options: OPT_IN_CHANNEL_OPTIONS,
		default: ['email', 'sms'],
		description:
			'Channels whose consents are revoked. The hub also revokes the channels its STOP setting covers.',
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
				displayName: 'Method',
				name: 'method',
				type: 'string',
				default: '',
				placeholder: 'preference_center',
				description:
					'How the fan opted out, stored with the revocation as proof. The hub records "api" when empty.',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const channels = readStrings(this, 'channels', itemIndex);
	if (channels.length === 0) {
		throw new NodeOperationError(this.getNode(), 'Choose at least one channel', {
			itemIndex,
			description: 'Opt Out revokes the consents on the chosen channels, e.g. SMS.',
		});
	}
	const body: IDataObject = {
		fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
		channels,
		...compact(readObject(this, 'additionalFields', itemIndex)),
	};
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/optins/opt-out',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
