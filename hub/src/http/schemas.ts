import { z } from 'zod';
import { EVENT_TYPES } from '../core/events';
import { CHANNELS } from '../core/identities';
import {
	ACTION_KINDS,
	ACTION_STATUSES,
	CONSENT_WORDING_CHANNELS,
	LAYERS,
	PLATFORMS,
	VERIFICATIONS,
} from '../core/model';
import { STREAMING_PLATFORMS } from '../core/streaming/platform';

/** An enum whose error names the value given and the values allowed: the marketer sees this on the canvas. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
	return z.enum(values, {
		error: (issue) =>
			`"${String(issue.input)}" is not a valid ${what}. Use one of: ${values.join(', ')}.`,
	});
}

const isoDateTime = z.string().describe('ISO 8601 date and time');

const ISO_INSTANT =
	/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** True for a date and time that names one instant: a real calendar day, a real time and an offset. */
function isIsoInstant(text: string): boolean {
	const parts = ISO_INSTANT.exec(text);
	if (!parts) return false;
	const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = parts
		.slice(1)
		.map((part) => Number(part ?? 0));
	// Date.UTC rolls 30 February over to 2 March: a day that does not come back out unchanged does not exist.
	const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
	return (
		month >= 1 &&
		month <= 12 &&
		day >= 1 &&
		day <= daysInMonth &&
		hour <= 23 &&
		minute <= 59 &&
		second <= 59 &&
		offsetHours <= 23 &&
		offsetMinutes <= 59
	);
}

/** A date and time a client sends: checked strictly, so a typo is refused rather than stored as another day. */
const isoInstant = z
	.string()
	.refine(isIsoInstant, {
		error: (issue) =>
			`"${String(issue.input)}" is not a date and time; use ISO 8601 with a time zone offset, e.g. 2026-12-04T00:00:00Z.`,
	})
	.describe('ISO 8601 date and time with an offset, e.g. 2026-12-04T00:00:00Z');

const MAX_DATA_DEPTH = 16;
const MAX_DATA_BYTES = 16 * 1024;

/** How deep a JSON value nests, counted without recursion so that a hostile depth cannot exhaust the stack. */
function depthExceeds(value: unknown, limit: number): boolean {
	const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
	while (pending.length > 0) {
		const next = pending.pop() as { value: unknown; depth: number };
		if (next.value === null || typeof next.value !== 'object') continue;
		if (next.depth > limit) return true;
		for (const child of Object.values(next.value))
			pending.push({ value: child, depth: next.depth + 1 });
	}
	return false;
}

/** Free-form data kept with an action: bounded, since it is stored, exported and sent with every event. */
const actionData = z.record(z.string(), z.unknown()).superRefine((data, context) => {
	if (depthExceeds(data, MAX_DATA_DEPTH)) {
		context.addIssue({
			code: 'custom',
			message: `data nests deeper than ${MAX_DATA_DEPTH} levels; flatten it.`,
		});
		return;
	}
	const bytes = Buffer.byteLength(JSON.stringify(data));
	if (bytes > MAX_DATA_BYTES) {
		context.addIssue({
			code: 'custom',
			message: `data is ${Math.ceil(bytes / 1024)} KB as JSON; keep it within ${MAX_DATA_BYTES / 1024} KB.`,
		});
	}
});
const nullableString = z.string().nullable();

/** Wherever a request names a campaign, its id or its slug will do: the core resolves either. */
const CAMPAIGN_REF = 'The campaign: its id (cmp_…) or its slug';
export const campaignRef = z.string().min(1).describe(CAMPAIGN_REF);

export const channel = oneOf(CHANNELS, 'channel');
export const actionKind = oneOf(ACTION_KINDS, 'action kind');
export const layer = oneOf(LAYERS, 'layer');
export const streamingPlatform = oneOf(STREAMING_PLATFORMS, 'streaming platform');
const eventFilter = oneOf([...EVENT_TYPES, '*'], 'event type');

export const identity = z.object({ channel, value: z.string().min(1).max(320) });

export const fan = z
	.object({
		id: z.string(),
		createdAt: isoDateTime,
		name: nullableString,
		locale: nullableString,
		country: nullableString,
		timezone: nullableString,
		erasedAt: isoDateTime.nullable(),
		identities: z.array(identity),
	})
	.meta({ id: 'Fan' });

export const action = z
	.object({
		id: z.string(),
		fanId: z.string(),
		campaignId: nullableString,
		kind: z.enum(ACTION_KINDS),
		platform: z.enum(PLATFORMS).nullable(),
		status: z.enum(ACTION_STATUSES),
		verification: z.enum(VERIFICATIONS),
		source: nullableString,
		parentActionId: nullableString,
		idempotencyKey: nullableString,
		error: nullableString,
		data: z.record(z.string(), z.unknown()).nullable(),
		createdAt: isoDateTime,
		updatedAt: isoDateTime,
	})
	.meta({ id: 'Action' });

const campaignPlatform = z
	.object({
		albumId: z
			.string()
			.min(1)
			.max(200)
			.optional()
			.describe('Spotify album URI, Apple Music catalog album id, Deezer album id'),
		trackIds: z
			.string()
			.min(1)
			.max(4000)
			.optional()
			.describe(
				'Comma-separated Spotify track URIs, Apple Music catalog song ids or Deezer track ids',
			),
		artistId: z
			.string()
			.min(1)
			.max(200)
			.optional()
			.describe(
				'What the follow layer follows: Spotify artist URI or id, Deezer artist id, YouTube channel id',
			),
		playlistId: z
			.string()
			.min(1)
			.max(200)
			.optional()
			.describe(
				'The playlist the campaign has fans follow (Spotify playlist URI or id): the Spotify consent then asks for playlist-modify-public',
			),
	})
	.strict()
	.meta({ id: 'CampaignPlatform' });

/** Offered platforms are the keys; an empty object offers the platform and finds the release by UPC/ISRC. */
const campaignPlatforms = z.partialRecord(streamingPlatform, campaignPlatform);

const consentWordings = z
	.partialRecord(
		oneOf(CONSENT_WORDING_CHANNELS, 'consent wording channel'),
		z.string().min(1).max(2000),
	)
	.describe(
		'The exact opt-in wording the fan sees: beside the layers page boxes (sms, email), in the bots (telegram, discord)',
	);

export const artist = z
	.object({
		id: z.string(),
		name: z
			.string()
			.describe('The sender fans see in texts and emails, e.g. "Mia Vale: reply YES…"'),
		createdAt: isoDateTime,
		updatedAt: isoDateTime,
	})
	.meta({ id: 'Artist' });

const artistName = z.string().trim().min(1).max(200);

export const artistBody = z.object({ name: artistName });

export const artistParams = z.object({ artistId: z.string().min(1) });

export const futureSave = z
	.object({
		fanId: z.string(),
		platform: streamingPlatform,
		status: z.enum(['active', 'ended']),
		consentId: z.string(),
		actionId: z.string(),
		agreedAt: isoDateTime,
		endedAt: isoDateTime.nullable(),
		reason: nullableString.describe(
			'Why it saves nothing, in words (a STOP, an expired connection); null while it works',
		),
	})
	.meta({ id: 'FutureSave' });

export const artistListQuery = z.object({
	limit: z.coerce.number().int().min(1).max(500).default(100),
	cursor: z.string().optional(),
});

export const campaign = z
	.object({
		id: z.string(),
		slug: z.string(),
		artistId: z.string().describe('The artist the campaign belongs to'),
		artist: z.string().describe("The artist's name"),
		title: z.string(),
		artworkUrl: nullableString,
		locale: z.string(),
		releaseAtUtc: isoDateTime,
		timezone: nullableString,
		localMidnight: z.boolean(),
		upc: nullableString,
		isrcs: z.array(z.string()),
		platforms: campaignPlatforms,
		layers: z.array(z.enum(LAYERS)),
		consentWordings,
		pageUrl: z.string().describe("The campaign's pre-save page"),
		createdAt: isoDateTime,
		updatedAt: isoDateTime,
	})
	.meta({ id: 'Campaign' });

export const consent = z
	.object({
		id: z.string(),
		channel: z.enum(CHANNELS),
		purpose: z.string(),
		status: z.enum(['pending', 'granted', 'revoked']),
		wording: nullableString,
		wordingVersion: nullableString,
		wordingHash: z.string(),
		source: nullableString,
		ip: nullableString,
		userAgent: nullableString,
		requestedAt: isoDateTime,
		confirmedAt: isoDateTime.nullable(),
		revokedAt: isoDateTime.nullable(),
		revokeMethod: nullableString,
	})
	.meta({ id: 'Consent' });

export const webhook = z
	.object({
		id: z.string(),
		url: z.string(),
		events: z.array(eventFilter),
		campaignId: nullableString,
		createdAt: isoDateTime,
	})
	.meta({ id: 'WebhookSubscription' });

export const errorBody = z
	.object({
		error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
	})
	.meta({ id: 'Error' });

// Inputs

export const fanIdParams = z.object({ fanId: z.string().min(1) });
export const idParams = z.object({ id: z.string().min(1) });

export const upsertFanBody = z.object({
	identities: z
		.array(identity)
		.min(1, 'Give at least one identity (channel and value) for the fan.')
		.max(16),
	name: z.string().trim().min(1, 'name is empty; leave it out instead.').max(200).optional(),
	locale: z.string().max(35).optional(),
	country: z.string().length(2, 'country is a two-letter ISO code such as US or DE').optional(),
	timezone: z.string().max(64).optional(),
});

export const identityQuery = z.object({ channel, value: z.string().min(1) });

export const mergeBody = z.object({ otherFanId: z.string().min(1) });

export const fanSegmentQuery = z.object({
	// A query may carry it empty (a node's blank filter): that means every campaign.
	campaignId: z.string().optional().describe(CAMPAIGN_REF),
	hasAction: actionKind.optional(),
	lacksAction: actionKind.optional(),
	channel: channel.optional(),
	limit: z.coerce.number().int().min(1).max(500).default(100),
	cursor: z.string().optional(),
});

export const recordActionBody = z.object({
	fanId: z.string().min(1),
	campaignId: campaignRef.nullish(),
	kind: actionKind,
	platform: oneOf(PLATFORMS, 'platform').nullish(),
	status: oneOf(ACTION_STATUSES, 'action status').optional(),
	verification: oneOf(VERIFICATIONS, 'verification').optional(),
	source: z.string().max(200).nullish(),
	parentActionId: z.string().min(1).nullish(),
	idempotencyKey: z.string().min(1).max(200).nullish(),
	error: z.string().max(2000).nullish(),
	data: actionData.nullish(),
});

export const campaignBody = z
	.object({
		slug: z
			.string()
			.regex(
				/^[a-z0-9][a-z0-9-]{0,62}$/,
				'slug uses lower-case letters, digits and dashes, e.g. "midnight-city"',
			),
		artistId: z
			.string()
			.min(1)
			.max(64)
			.nullish()
			.describe('The artist (art_…) the campaign belongs to'),
		artist: artistName
			.nullish()
			.describe("The artist's name: without artistId, the artist of that name (made on first use)"),
		title: z.string().min(1).max(200),
		artworkUrl: z
			.url({ protocol: /^https$/, error: 'artworkUrl must be an https:// address' })
			.max(2000)
			.nullish(),
		locale: z
			.string()
			.regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'locale is a language tag such as "en" or "pt-BR"')
			.optional()
			.describe('The pre-save page language when the fan asks for none the hub has'),
		releaseAtUtc: isoInstant,
		timezone: z.string().max(64).nullish(),
		localMidnight: z.boolean().optional(),
		upc: z
			.string()
			.regex(/^\d{12,14}$/, 'a UPC has 12 to 14 digits')
			.nullish(),
		isrcs: z
			.array(z.string().regex(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/, 'an ISRC looks like USRC17607839'))
			.optional(),
		platforms: campaignPlatforms.optional(),
		layers: z.array(layer).optional(),
		consentWordings: consentWordings.optional(),
	})
	.refine((body) => Boolean(body.artistId || body.artist), {
		message: "Give the campaign's artist: artistId (art_…) or the artist's name in artist.",
		path: ['artist'],
	});

export const campaignParams = z.object({ idOrSlug: z.string().min(1) });

export const nextLayersQuery = z.object({
	// A query may carry it empty (a node's blank filter): that means every campaign.
	campaignId: z.string().optional().describe(CAMPAIGN_REF),
	layers: z
		.string()
		.optional()
		.transform((value) =>
			value
				? value
						.split(',')
						.map((item) => item.trim())
						.filter(Boolean)
				: undefined,
		)
		.pipe(z.array(layer).optional()),
});

export const createWebhookBody = z.object({
	url: z.url({ protocol: /^https?$/, error: 'url must be an http or https address' }),
	events: z.array(eventFilter).min(1),
	campaignId: campaignRef.nullish(),
});

export const webhookListQuery = z.object({ url: z.string().optional() });

// Opt-ins and messages

export const optInChannel = oneOf(['sms', 'email'], 'opt-in channel');

export const optInRequestBody = z.object({
	channel: optInChannel,
	address: z
		.string()
		.min(3)
		.max(320)
		.optional()
		.describe(
			'The phone number (any format; give country for national numbers) or email address; without it, the one on record for fanId',
		),
	country: z.string().length(2, 'country is a two-letter ISO code such as US or DE').optional(),
	timezone: z.string().max(64).optional(),
	fanId: z.string().min(1).optional(),
	campaignId: campaignRef.nullish(),
	parentActionId: z.string().min(1).nullish(),
	wording: z.string().min(1, 'Give the exact consent wording the fan saw.').max(2000),
	wordingVersion: z.string().max(100).nullish(),
	purpose: z.string().min(1).max(100).optional(),
	source: z.string().max(200).nullish(),
	ip: z.string().max(64).nullish(),
	userAgent: z.string().max(500).nullish(),
});

export const optOutBody = z.object({
	fanId: z.string().min(1),
	channels: z.array(optInChannel).min(1),
	method: z.string().min(1).max(100).default('api'),
});

export const optInStatusQuery = z.object({ fanId: z.string().min(1), channel: optInChannel });

export const confirmTokenBody = z.object({ token: z.string().min(10) });

export const sendMessageBody = z.object({
	fanId: z.string().min(1),
	channel: optInChannel,
	text: z.string().min(1).max(1600),
	subject: z.string().max(200).optional(),
	campaignId: campaignRef.nullish(),
	idempotencyKey: z.string().min(1).max(200).nullish(),
	frequencyCap: z
		.object({
			count: z.number().int().min(1),
			windowHours: z
				.number()
				.positive()
				.max(24 * 31),
		})
		.optional()
		.describe('At most `count` messages on this channel per fan within `windowHours`'),
});

export const message = z
	.object({
		id: z.string(),
		fanId: z.string(),
		channel: z.enum(['sms', 'email']),
		status: z.enum(['sending', 'sent', 'scheduled', 'suppressed', 'capped', 'failed']),
		sendAt: isoDateTime,
		providerMessageId: nullableString,
		error: nullableString,
	})
	.meta({ id: 'Message' });

// Streaming

export const connectionParams = z.object({ fanId: z.string().min(1), platform: streamingPlatform });

export const connectionBody = z.object({
	accessToken: z.string().min(1),
	refreshToken: z.string().min(1).nullish(),
	scopes: z.array(z.string()).default([]),
	authorizedAt: isoInstant.optional().describe('When the fan consented; defaults to now'),
	accessExpiresAt: isoInstant.nullish(),
	refreshExpiresAt: isoInstant
		.nullish()
		.describe('When the platform stops honouring the refresh or user token'),
});

export const saveBody = z.object({
	fanId: z.string().min(1),
	campaignId: campaignRef,
	platform: streamingPlatform,
	parentActionId: z.string().min(1).nullish(),
});

export const followBody = z
	.object({
		fanId: z.string().min(1),
		platform: streamingPlatform,
		artistId: z.string().min(1).optional(),
		playlistId: z.string().min(1).optional(),
		campaignId: campaignRef.nullish(),
		parentActionId: z.string().min(1).nullish(),
	})
	.refine(
		(body) => Boolean(body.artistId) !== Boolean(body.playlistId),
		'Give either artistId or playlistId.',
	);

export const savedQuery = z.object({
	fanId: z.string().min(1),
	campaignId: campaignRef,
	platform: streamingPlatform,
});

export const streamingOutcome = z.object({
	status: z.enum(['done', 'reconsent', 'failed', 'missing_scope', 'not_released', 'not_connected']),
	action: action.optional(),
});

export const conversionBody = z.object({ platforms: z.array(streamingPlatform).min(1).optional() });

export const expiringQuery = z.object({
	withinDays: z.coerce.number().int().min(0).max(365).default(14),
	platform: streamingPlatform.optional(),
});

export const job = z
	.object({
		id: z.string(),
		kind: z.string(),
		status: z.enum(['queued', 'running', 'done', 'failed']),
		progress: z.record(z.string(), z.unknown()).nullable(),
		runAt: isoDateTime,
		attempts: z.number(),
		lastError: nullableString,
	})
	.meta({ id: 'Job' });
