import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { compact, readObject, readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { OUTCOME_HINT, platformField } from '../common';

const show = { resource: ['library'], operation: ['follow'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'who follows'),
	platformField(
		show,
		`Where the fan follows. Spotify follows artists only for an extended-quota app, and playlists in both modes; Deezer follows artists; Apple Music cannot follow; YouTube follows only channels (a subscription, 50 of the project's 10,000 daily quota units each, so about 200 a day). ${OUTCOME_HINT} Follow can also answer not_connected: the fan never connected this platform (nothing is recorded), so offer them the connect step first.`,
	),
	{
		displayName: 'Follow',
		name: 'follow',
		type: 'options',
		options: [
			{
				name: 'Artist',
				value: 'artist',
				description: 'An artist on Spotify or Deezer, or a channel on YouTube',
			},
			{
				name: 'Playlist',
				value: 'playlist',
				description: 'A playlist on Spotify',
			},
		],
		default: 'artist',
		displayOptions: { show },
	},
	{
		displayName: 'Artist ID',
		name: 'artistId',
		type: 'string',
		required: true,
		default: '',
		placeholder: '0OdUWJ0sBjDrqHygGUXeCF',
		description:
			"The artist's ID on the platform: a Spotify or Deezer artist ID, or on YouTube the channel ID (UC…). The hub refuses artists on Apple Music.",
		displayOptions: { show: { ...show, follow: ['artist'] } },
	},
	{
		displayName: 'Playlist ID',
		name: 'playlistId',
		type: 'string',
		required: true,
		default: '',
		placeholder: '37i9dQZF1DXcBWIGoYBM5M',
		description:
			"The Spotify playlist ID. The hub refuses playlists on the other platforms. A fan's consent covers playlists only when their campaign names the playlist (the Campaign node's Playlist ID); otherwise the output status is missing_scope.",
		displayOptions: { show: { ...show, follow: ['playlist'] } },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				description: 'The campaign the follow is recorded under',
			},
			{
				displayName: 'Parent Action ID',
				name: 'parentActionId',
				type: 'string',
				default: '',
				description: 'The earlier action this follow is layered on (e.g. the pre-save)',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const body: IDataObject = {
		fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
		platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
	};
	// The hub takes exactly one of artistId and playlistId; the hidden one is never sent.
	if (readRequiredString(this, 'follow', itemIndex, 'Follow') === 'playlist') {
		body.playlistId = readRequiredString(this, 'playlistId', itemIndex, 'Playlist ID');
	} else {
		body.artistId = readRequiredString(this, 'artistId', itemIndex, 'Artist ID');
	}
	Object.assign(body, compact(readObject(this, 'additionalFields', itemIndex)));
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/streaming/follow',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
