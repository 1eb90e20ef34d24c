import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString, readStrings } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { STREAMING_PLATFORM_OPTIONS } from '../common';

const show = { resource: ['conversion'], operation: ['start'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign ID or Slug',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'cmp_01J… or nova-single',
		description:
			'The campaign whose pending pre-saves become saves. The output jobId is the hub job doing it; follow it with Get Job, and each converted fan arrives as a presave.converted event on a Fanloop Trigger.',
		displayOptions: { show },
	},
	{
		displayName: 'Platforms',
		name: 'platforms',
		type: 'multiOptions',
		options: STREAMING_PLATFORM_OPTIONS,
		default: [],
		description:
			'Convert only the pre-saves on these platforms. Leave empty for every platform set up on the hub.',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const campaignId = readRequiredString(this, 'campaignId', itemIndex, 'Campaign ID or Slug');
	const platforms = readStrings(this, 'platforms', itemIndex);
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: `/v1/campaigns/${encodeURIComponent(campaignId)}/conversions`,
		// Without platforms the hub converts on every platform it has set up.
		body: platforms.length > 0 ? { platforms } : undefined,
		itemIndex,
	});
	return [{ json: result }];
}
