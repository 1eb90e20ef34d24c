import type { INodeProperties } from 'n8n-workflow';

import * as getInsights from './getInsights.operation';

export { getInsights };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['artist'] } },
		options: [
			{
				name: 'Get Insights',
				value: 'getInsights',
				description:
					"What layering earned across all of an artist's campaigns, and how many fans came back for the next release",
				action: 'Get insights of an artist',
			},
		],
		default: 'getInsights',
	},
	...getInsights.description,
];
