import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { LAYER_OPTIONS } from '../../../FanloopNextLayer/actions/layers';
import {
	readObject,
	readRequiredString,
	readString,
	readStrings,
} from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { platformsField, readPlatforms } from './platforms';
import { readRelease } from './release';

const show = { resource: ['campaign'], operation: ['upsert'] };

/** The layers a pre-save page offers; the pre-save itself is the save. */
const PAGE_LAYERS = ['sms', 'email', 'telegram', 'discord', 'follow'];

/**
 * The consent wording of each opt-in layer. The page shows the SMS and email ones beside an
 * unticked box, so they are required; the bots have their own default for Telegram and Discord.
 */
const WORDED_LAYERS = [
	{
		layer: 'sms',
		name: 'smsWording',
		label: 'SMS Consent Wording',
		required: true,
		placeholder:
			'Text me about new releases from Nia Vale. Up to 4 msgs/month. Msg & data rates may apply. Reply STOP to opt out, HELP for help.',
		description:
			'The exact text the fan sees beside the SMS box on the page, word for word. The hub keeps it with each consent as proof of what the fan agreed to.',
	},
	{
		layer: 'email',
		name: 'emailWording',
		label: 'Email Consent Wording',
		required: true,
		placeholder: 'Email me about new releases from Nia Vale. Unsubscribe any time.',
		description:
			'The exact text the fan sees beside the email box on the page, word for word. The hub keeps it with each consent as proof of what the fan agreed to.',
	},
	{
		layer: 'telegram',
		name: 'telegramWording',
		label: 'Telegram Consent Wording',
		required: false,
		placeholder: 'Yes, Nia Vale may message me here on Telegram about new releases.',
		description:
			"What the Telegram bot asks a fan to agree to before it messages them about releases, kept as proof. Leave empty for the hub's default wording.",
	},
	{
		layer: 'discord',
		name: 'discordWording',
		label: 'Discord Consent Wording',
		required: false,
		placeholder: 'Yes, give me the release-updates role so Nia Vale can ping me here.',
		description:
			"What the Discord bot asks a fan to agree to before giving them the release-updates role, kept as proof. Leave empty for the hub's default wording.",
	},
] as const;

export const description: INodeProperties[] = [
	{
		displayName: 'Slug',
		name: 'slug',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'midnight-city',
		description:
			"The campaign's name in its pre-save page address (lower-case letters, digits and dashes). Running again with the same slug updates that campaign: every field below is replaced, and a field left empty is cleared.",
		displayOptions: { show },
	},
	{
		displayName: 'Artist',
		name: 'artist',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'Nia Vale or art_01J…',
		description:
			"The artist's name, or their ID from the hub (art_…). A name the hub does not know yet becomes a new artist. An artist's campaigns share their fans and future saves, and texts and emails to fans carry the artist's name.",
		displayOptions: { show },
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'Midnight City',
		description: 'The release title shown on the pre-save page',
		displayOptions: { show },
	},
	{
		displayName: 'Release Date',
		name: 'releaseDate',
		type: 'dateTime',
		required: true,
		default: '',
		description: 'When the release comes out, read in the Time Zone below',
		displayOptions: { show },
	},
	{
		displayName: 'Time Zone',
		name: 'timezone',
		type: 'string',
		default: '',
		placeholder: 'Europe/Berlin',
		description:
			"IANA name of the time zone the Release Date is in. Leave empty for the workflow's time zone.",
		displayOptions: { show },
	},
	{
		displayName: 'Release at Local Midnight',
		name: 'localMidnight',
		type: 'boolean',
		default: false,
		description:
			"Whether the release reaches each fan at midnight of the release date in the fan's own time zone, the way streaming platforms release worldwide. Only the date of Release Date counts then; fans whose time zone is unknown get the Time Zone above.",
		displayOptions: { show },
	},
	platformsField(show),
	{
		displayName: 'Layers Offered',
		name: 'layers',
		type: 'multiOptions',
		options: LAYER_OPTIONS.filter((option) => PAGE_LAYERS.includes(option.value)),
		default: [...PAGE_LAYERS],
		description:
			'What the page offers after the pre-save, each optional for the fan; a Fanloop Next Layer node offers them in this order too',
		displayOptions: { show },
	},
	...WORDED_LAYERS.map(
		({ layer, name, label, required, placeholder, description }): INodeProperties => ({
			displayName: label,
			name,
			type: 'string',
			typeOptions: { rows: 3 },
			required,
			default: '',
			placeholder,
			description,
			displayOptions: { show: { ...show, layers: [layer] } },
		}),
	),
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Artwork URL',
				name: 'artworkUrl',
				type: 'string',
				default: '',
				placeholder: 'https://cdn.example.com/midnight-city.jpg',
				description: 'The cover shown on the pre-save page, an https address',
			},
			{
				displayName: 'ISRCs',
				name: 'isrcs',
				type: 'string',
				default: '',
				placeholder: 'USRC17607839, USRC17607840',
				description:
					"The tracks' ISRCs, comma-separated; the hub finds the release by them when it has no UPC or album ID",
			},
			{
				displayName: 'Page Language',
				name: 'locale',
				type: 'string',
				default: '',
				placeholder: 'en',
				description:
					"The pre-save page's language when the fan's browser asks for none the page has, e.g. en or de. Leave empty for English.",
			},
			{
				displayName: 'UPC',
				name: 'upc',
				type: 'string',
				default: '',
				placeholder: '0196922000017',
				description:
					"The release's barcode (12 to 14 digits); the hub finds the release on each platform by it",
			},
		],
	},
];

/** A code as marketers copy it (with dashes or spaces, any case) in the form the hub checks. */
function code(written: unknown): string {
	return String(written ?? '')
		.replace(/[\s-]/g, '')
		.toUpperCase();
}

function readConsentWordings(
	context: IExecuteFunctions,
	itemIndex: number,
	layers: string[],
): IDataObject {
	const wordings: IDataObject = {};
	for (const { layer, name, label, required } of WORDED_LAYERS) {
		if (!layers.includes(layer)) continue;
		const wording = required
			? readRequiredString(context, name, itemIndex, label)
			: readString(context, name, itemIndex);
		if (wording) wordings[layer] = wording;
	}
	return wordings;
}

function readAdditionalFields(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const fields = readObject(context, 'additionalFields', itemIndex);
	const artworkUrl = String(fields.artworkUrl ?? '').trim();
	if (artworkUrl && !/^https:\/\/[^\s/]+\S*$/.test(artworkUrl)) {
		throw new NodeOperationError(
			context.getNode(),
			`Artwork URL "${artworkUrl}" is not an https address`,
			{
				itemIndex,
				description: 'Give the full address of the image, starting with https://.',
			},
		);
	}
	const upc = code(fields.upc);
	const locale = String(fields.locale ?? '').trim();
	return {
		artworkUrl: artworkUrl || null,
		upc: upc || null,
		isrcs: String(fields.isrcs ?? '')
			.split(',')
			.map(code)
			.filter(Boolean),
		...(locale ? { locale } : {}),
	};
}

/** The hub's artist ids: a value shaped like one names that artist, anything else is a name. */
const ARTIST_ID = /^art_[0-9A-HJKMNP-TV-Z]{26}$/;

function readArtist(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const artist = readRequiredString(context, 'artist', itemIndex, 'Artist');
	return ARTIST_ID.test(artist) ? { artistId: artist } : { artist };
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const layers = readStrings(this, 'layers', itemIndex);
	const body: IDataObject = {
		slug: readRequiredString(this, 'slug', itemIndex, 'Slug').toLowerCase(),
		...readArtist(this, itemIndex),
		title: readRequiredString(this, 'title', itemIndex, 'Title'),
		...readRelease(this, itemIndex),
		platforms: readPlatforms(this, itemIndex),
		layers,
		consentWordings: readConsentWordings(this, itemIndex, layers),
		...readAdditionalFields(this, itemIndex),
	};
	const { campaign, created } = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/campaigns',
		body,
		itemIndex,
	});
	return [{ json: { ...(campaign as IDataObject), created } }];
}
