import type { INodeProperties } from 'n8n-workflow';

import * as findExpiring from './findExpiring.operation';

export { findExpiring };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['connection'] } },
		options: [
			{
				name: 'Find Expiring Connections',
				value: 'findExpiring',
				description:
					'Find fans whose platform authorization expires soon, one item each, to ask them to reconnect before saves start answering reconsent',
				action: 'Find expiring connections',
			},
		],
		default: 'findExpiring',
	},
	...findExpiring.description,
];
