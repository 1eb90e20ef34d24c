import type { INodeProperties } from 'n8n-workflow';

import * as send from './send.operation';

export { send };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Send',
				value: 'send',
				description:
					'Send an SMS or email. The hub sends only with a granted consent (else status suppressed), holds a message due in quiet hours (9 pm–8 am recipient time) as scheduled and sends it at 8 am, and applies the frequency cap (status capped).',
				action: 'Send a message',
			},
		],
		default: 'send',
	},
	...send.description,
];
