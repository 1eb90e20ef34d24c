import type { INodeProperties } from 'n8n-workflow';

import * as grant from './grant.operation';
import * as revoke from './revoke.operation';

export { grant, revoke };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['role'] } },
		options: [
			{
				name: 'Grant',
				value: 'grant',
				description:
					"Give the fan the artist's release updates role on Discord, so announcements ping them",
				action: 'Grant the release updates role',
			},
			{
				name: 'Revoke',
				value: 'revoke',
				description: 'Take the release updates role away from the fan on Discord',
				action: 'Revoke the release updates role',
			},
		],
		default: 'grant',
	},
	...grant.description,
	...revoke.description,
];
