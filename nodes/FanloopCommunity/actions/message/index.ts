import type { INodeProperties } from 'n8n-workflow';

import * as announce from './announce.operation';
import * as dmSegment from './dmSegment.operation';

export { announce, dmSegment };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Announce',
				value: 'announce',
				description:
					"Post once in the artist's channel: on Discord it pings the release updates role, on Telegram it goes to the channel the bot runs",
				action: 'Announce in the channel',
			},
			{
				name: 'DM Segment',
				value: 'dmSegment',
				description:
					'Send a direct message to every fan of a segment who opted in to release updates, as a hub job paced to the platform limits',
				action: 'Message every fan of a segment who opted in',
			},
		],
		default: 'announce',
	},
	...announce.description,
	...dmSegment.description,
];
