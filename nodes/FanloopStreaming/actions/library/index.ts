import type { INodeProperties } from 'n8n-workflow';

import * as checkSaved from './checkSaved.operation';
import * as follow from './follow.operation';
import * as saveRelease from './saveRelease.operation';

export { checkSaved, follow, saveRelease };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['library'] } },
		options: [
			{
				name: 'Check Saved',
				value: 'checkSaved',
				description:
					"Whether the campaign's release is in the fan's library: true, false, or null while the platform does not show it yet",
				action: 'Check whether a fan saved the release',
			},
			{
				name: 'Follow',
				value: 'follow',
				description:
					"Follow an artist or a playlist on the fan's behalf, once per fan and target. Playlists only on Spotify; Apple Music cannot follow; YouTube follows only channels and spends API quota.",
				action: 'Follow an artist or playlist for a fan',
			},
			{
				name: 'Save Release',
				value: 'saveRelease',
				description:
					"Save the campaign's release to the fan's library, once per fan, campaign and platform. Status reconsent: the fan must reconnect; not_released: the platform does not show the release yet.",
				action: 'Save the release for a fan',
			},
		],
		default: 'saveRelease',
	},
	...saveRelease.description,
	...follow.description,
	...checkSaved.description,
];
