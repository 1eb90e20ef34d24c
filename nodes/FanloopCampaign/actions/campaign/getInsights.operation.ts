import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { insightsOptions, readInsights } from '../insights';

const show = { resource: ['campaign'], operation: ['getInsights'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign ID or Slug',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'cmp_01J… or midnight-city',
		description:
			'The campaign to report on. The output is one item with the same figures as the dashboard: funnel (page views, platform buttons, consent screens, pre-saves; per platform and per source), delivery (per platform on release day: delivered, waiting, needs_reconnect, refused), layering (actionsPerEntryFan and the share of fans who took each further layer), reachability (fans reachable on 0, 1, 2 or 3+ channels), nextRelease and daily.',
		displayOptions: { show },
	},
	insightsOptions(show),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const campaignId = readRequiredString(this, 'campaignId', itemIndex, 'Campaign ID or Slug');
	return await readInsights(
		this,
		`/v1/campaigns/${encodeURIComponent(campaignId)}/insights`,
		itemIndex,
	);
}
