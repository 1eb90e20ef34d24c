import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';
import * as getInsights from './getInsights.operation';
import * as upsert from './upsert.operation';

export { get, getInsights, upsert };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['campaign'] } },
		options: [
			{
				name: 'Create or Update',
				value: 'upsert',
				description: 'Create a new record, or update the current one if it already exists (upsert)',
				action: 'Create or update a campaign',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a campaign and its pre-save page URL by ID or slug',
				action: 'Get a campaign',
			},
			{
				name: 'Get Insights',
				value: 'getInsights',
				description:
					'What layering earned in a campaign: the pre-save funnel, release-day delivery, layers per fan, reachability and the return from the last release',
				action: 'Get insights of a campaign',
			},
		],
		default: 'upsert',
	},
	...upsert.description,
	...get.description,
	...getInsights.description,
];
