import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign ID or Slug',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'cmp_01J… or midnight-city',
		description:
			'The campaign to get. The output is the campaign as the hub holds it, with pageUrl, the address of its pre-save page.',
		displayOptions: { show: { resource: ['campaign'], operation: ['get'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const campaignId = readRequiredString(this, 'campaignId', itemIndex, 'Campaign ID or Slug');
	const campaign = await hubRequest.call(this, {
		method: 'GET',
		path: `/v1/campaigns/${encodeURIComponent(campaignId)}`,
		itemIndex,
	});
	return [{ json: campaign }];
}
