import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { OPT_IN_CHANNEL_OPTIONS } from '../common';

const show = { resource: ['optIn'], operation: ['checkConsent'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'whose consent is checked'),
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		options: OPT_IN_CHANNEL_OPTIONS,
		default: 'sms',
		description:
			'The channel to check. The output status is pending, granted, revoked or none, with the consent and its proof.',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: '/v1/optins/status',
		qs: {
			fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
			channel: readRequiredString(this, 'channel', itemIndex, 'Channel'),
		},
		itemIndex,
	});
	return [{ json: result }];
}
