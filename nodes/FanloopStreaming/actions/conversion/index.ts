import type { INodeProperties } from 'n8n-workflow';

import * as getJob from './getJob.operation';
import * as start from './start.operation';

export { getJob, start };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['conversion'] } },
		options: [
			{
				name: 'Get Job',
				value: 'getJob',
				description: 'Get the status and progress of a release-day conversion job',
				action: 'Get a conversion job',
			},
			{
				name: 'Start Release-Day Conversion',
				value: 'start',
				description:
					"Turn every pending pre-save of the campaign into a save, as a hub job that waits for the release to appear on each platform and for midnight in each fan's time zone",
				action: 'Start release day conversion',
			},
		],
		default: 'start',
	},
	...start.description,
	...getJob.description,
];
