import type { INodeProperties } from 'n8n-workflow';

import * as getStatus from './getStatus.operation';

export { getStatus };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['fan'] } },
		options: [
			{
				name: 'Get Status',
				value: 'getStatus',
				description:
					'Which community layers the fan has: their Telegram chat and Discord account, and whether they opted in to release updates on each',
				action: 'Get the community status of a fan',
			},
		],
		default: 'getStatus',
	},
	...getStatus.description,
];
