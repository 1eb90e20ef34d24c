import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';

export { create };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['link'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description:
					'Create a Telegram deep link or a Discord invite that records who joined through it, linked to a fan or to the action the fan came from',
				action: 'Create an attributed invite link',
			},
		],
		default: 'create',
	},
	...create.description,
];
