import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { insightsOptions, readInsights } from '../insights';

const show = { resource: ['artist'], operation: ['getInsights'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Artist ID or Name',
		name: 'artistId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'art_01J… or Nia Vale',
		description:
			'The artist to report on, across all their campaigns. The output is one item with the same figures as the dashboard: funnel (page views, platform buttons, consent screens, pre-saves; per platform and per source), delivery (per platform on release day: delivered, waiting, needs_reconnect, refused), layering (actionsPerEntryFan and the share of fans who took each further layer), reachability (fans reachable on 0, 1, 2 or 3+ channels), nextRelease (how many fans came back for the next release) and daily.',
		displayOptions: { show },
	},
	insightsOptions(show),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const artistId = readRequiredString(this, 'artistId', itemIndex, 'Artist ID or Name');
	return await readInsights(
		this,
		`/v1/artists/${encodeURIComponent(artistId)}/insights`,
		itemIndex,
	);
}
