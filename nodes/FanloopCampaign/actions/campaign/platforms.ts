import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeProperties,
	INodePropertyCollection,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readObject } from '../../../shared/parameters';

type PlatformName = 'spotify' | 'apple_music' | 'deezer' | 'youtube';
/**
 * The hub's per-platform keys: albumId, trackIds (comma-separated), artistId (the follow
 * layer's target) and playlistId (the playlist the campaign has fans follow).
 */
type IdField = 'albumId' | 'trackIds' | 'artistId' | 'playlistId';

interface IdForm {
	label: string;
	example: string;
	/** Each pattern captures the ID in group 1: the bare ID, a URI, a share link. */
	patterns: RegExp[];
	/** What the hub stores: Spotify saves by URI, the others by ID. */
	stored: (id: string) => string;
	/** Replaces the field's usual name and description where the platform means something else. */
	text?: FieldText;
}

interface FieldText {
	displayName: string;
	description: string;
}

const asIs = (id: string) => id;

function spotify(kind: 'album' | 'track' | 'artist' | 'playlist', label: string): IdForm {
	return {
		label,
		example: `spotify:${kind}:4aawyAB9vmqN3uQ7FjRGTy or https://open.spotify.com/${kind}/4aawyAB9vmqN3uQ7FjRGTy`,
		patterns: [
			new RegExp(`^(?:spotify:${kind}:)?([A-Za-z0-9]{22})$`),
			new RegExp(
				`^https://open\\.spotify\\.com/(?:intl-[a-z-]+/)?${kind}/([A-Za-z0-9]{22})(?:[?#]|$)`,
			),
		],
		stored: (id) => `spotify:${kind}:${id}`,
	};
}

function deezer(kind: 'album' | 'track' | 'artist', label: string): IdForm {
	return {
		label,
		example: `302127 or https://www.deezer.com/${kind}/302127`,
		patterns: [
			/^(\d+)$/,
			new RegExp(`^https://(?:www\\.)?deezer\\.com/(?:[a-z]{2}/)?${kind}/(\\d+)(?:[?#]|$)`),
		],
		stored: asIs,
	};
}

const ID_FORMS: Record<PlatformName, Partial<Record<IdField, IdForm>>> = {
	spotify: {
		albumId: spotify('album', 'Spotify album'),
		trackIds: spotify('track', 'Spotify track'),
		artistId: spotify('artist', 'Spotify artist'),
		playlistId: spotify('playlist', 'Spotify playlist'),
	},
	apple_music: {
		albumId: {
			label: 'Apple Music album',
			example: '1440857781 or https://music.apple.com/us/album/its-album/1440857781',
			patterns: [
				/^(\d+)$/,
				/^https:\/\/music\.apple\.com\/[^?#]*\/album\/(?:[^/?#]+\/)?(\d+)(?:[?#]|$)/,
			],
			stored: asIs,
		},
		trackIds: {
			label: 'Apple Music song',
			example: '1440857786 or https://music.apple.com/us/song/its-song/1440857786',
			patterns: [
				/^(\d+)$/,
				/^https:\/\/music\.apple\.com\/[^?#]*\/song\/(?:[^/?#]+\/)?(\d+)(?:[?#]|$)/,
				/^https:\/\/music\.apple\.com\/[^?#]*[?&]i=(\d+)/,
			],
			stored: asIs,
		},
	},
	deezer: {
		albumId: deezer('album', 'Deezer album'),
		trackIds: deezer('track', 'Deezer track'),
		artistId: deezer('artist', 'Deezer artist'),
	},
	youtube: {
		artistId: {
			label: 'YouTube channel',
			example:
				'UCuAXFkgsw1L7xaCfnd5JJOw or https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw',
			patterns: [
				/^(UC[\w-]{22})$/,
				/^https:\/\/(?:www\.)?youtube\.com\/channel\/(UC[\w-]{22})(?:[/?#]|$)/,
			],
			stored: asIs,
			text: {
				displayName: 'Channel ID or Link',
				description:
					'The channel the fan subscribes to when they tick the follow layer (YouTube has no library to save a release to)',
			},
		},
	},
};

const FIELD_TEXT: Record<IdField, FieldText> = {
	albumId: {
		displayName: 'Album ID or Link',
		description:
			'The release on the platform. Leave empty to let the hub find it by UPC (or ISRCs) once the platform shows it.',
	},
	trackIds: {
		displayName: 'Track IDs or Links',
		description:
			'Comma-separated; saved when the release has no album ID. Leave empty to let the hub find them by ISRC.',
	},
	artistId: {
		displayName: 'Artist ID or Link',
		description: 'Who the fan follows when they tick the follow layer on the pre-save page',
	},
	playlistId: {
		displayName: 'Playlist ID or Link',
		description:
			"The playlist this campaign has fans follow with the Streaming node's Follow. Spotify asks each fan's consent for it only when it is set.",
	},
};

const PLATFORM_NAMES: Record<PlatformName, string> = {
	apple_music: 'Apple Music',
	deezer: 'Deezer',
	spotify: 'Spotify',
	youtube: 'YouTube',
};

function platformOption(platform: PlatformName): INodePropertyCollection {
	return {
		displayName: PLATFORM_NAMES[platform],
		name: platform,
		values: (Object.entries(ID_FORMS[platform]) as Array<[IdField, IdForm]>).map(
			([field, form]) => ({
				...(form.text ?? FIELD_TEXT[field]),
				name: field,
				type: 'string',
				default: '',
				placeholder: form.example.split(' or ')[0],
			}),
		),
	};
}

export function platformsField(show: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Platforms',
		name: 'platforms',
		type: 'fixedCollection',
		placeholder: 'Add Platform',
		default: {},
		description:
			'The platforms the pre-save page offers, one button each. IDs may stay empty: the hub then finds the release by UPC or ISRC on release day.',
		displayOptions: { show },
		options: (['apple_music', 'deezer', 'spotify', 'youtube'] as PlatformName[]).map(
			platformOption,
		),
	};
}

function normalizeId(
	context: IExecuteFunctions,
	itemIndex: number,
	form: IdForm,
	written: string,
): string {
	for (const pattern of form.patterns) {
		const id = pattern.exec(written)?.[1];
		if (id) return form.stored(id);
	}
	throw new NodeOperationError(
		context.getNode(),
		`"${written}" is not a ${form.label} ID or link`,
		{ itemIndex, description: `Write it like ${form.example}.` },
	);
}

/**
 * The hub's `platforms`: one entry per platform offered (its keys are the page's buttons), with
 * the IDs and links the marketer pasted turned into what the hub stores.
 */
export function readPlatforms(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const chosen = readObject(context, 'platforms', itemIndex);
	const platforms: IDataObject = {};
	for (const platform of Object.keys(ID_FORMS) as PlatformName[]) {
		const written = chosen[platform];
		if (typeof written !== 'object' || written === null) continue;
		const ids: IDataObject = {};
		for (const [field, form] of Object.entries(ID_FORMS[platform]) as Array<[IdField, IdForm]>) {
			const text = String((written as IDataObject)[field] ?? '').trim();
			if (!text) continue;
			const values = field === 'trackIds' ? text.split(',').map((value) => value.trim()) : [text];
			ids[field] = values
				.filter(Boolean)
				.map((value) => normalizeId(context, itemIndex, form, value))
				.join(',');
		}
		platforms[platform] = ids;
	}
	return platforms;
}
