import type { Channel, Identity } from './identities';
import type { StreamingPlatformName } from './streaming/platform';

export const ACTION_KINDS = [
	'presave',
	'save',
	'follow',
	'optin_sms',
	'optin_email',
	'join_telegram',
	'join_discord',
	'click',
	/** The fan agreed to have the artist's future releases saved (core/future-saves.ts); the consent is its proof. */
	'future_saves',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_STATUSES = ['intended', 'pending', 'done', 'failed', 'skipped'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** hard: read back from the platform (a save, a join); soft: claimed, not readable. */
export const VERIFICATIONS = ['hard', 'soft'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export const PLATFORMS = [
	'spotify',
	'apple_music',
	'deezer',
	'youtube',
	'telegram',
	'discord',
	'sms',
	'email',
] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LAYERS = ['sms', 'email', 'telegram', 'discord', 'follow', 'save'] as const;
export type Layer = (typeof LAYERS)[number];

export const CONSENT_WORDING_CHANNELS = ['sms', 'email', 'telegram', 'discord'] as const;
export type ConsentWordingChannel = (typeof CONSENT_WORDING_CHANNELS)[number];

export interface Fan {
	id: string;
	createdAt: string;
	name: string | null;
	locale: string | null;
	country: string | null;
	timezone: string | null;
	erasedAt: string | null;
	identities: Identity[];
}

export interface Action {
	id: string;
	fanId: string;
	campaignId: string | null;
	kind: ActionKind;
	platform: Platform | null;
	status: ActionStatus;
	verification: Verification;
	source: string | null;
	parentActionId: string | null;
	idempotencyKey: string | null;
	error: string | null;
	data: Record<string, unknown> | null;
	createdAt: string;
	updatedAt: string;
}

export interface Campaign {
	id: string;
	slug: string;
	/** The artist the campaign belongs to (core/artists.ts); `artist` is their name, the sender fans see. */
	artistId: string;
	artist: string;
	title: string;
	/** https only: the pre-save page shows it, and a page served over https must not load http images. */
	artworkUrl: string | null;
	/** The pre-save page's language when the fan's browser asks for none we have (e.g. 'en'). */
	locale: string;
	releaseAtUtc: string;
	timezone: string | null;
	localMidnight: boolean;
	upc: string | null;
	isrcs: string[];
	/** The platforms the pre-save page offers (its keys), each with the release's ids there (see CampaignPlatform). */
	platforms: Partial<Record<StreamingPlatformName, CampaignPlatform>>;
	layers: Layer[];
	/** The exact opt-in wording shown to the fan, by channel: the layers page's boxes (sms, email), the bots (telegram, discord). */
	consentWordings: Partial<Record<ConsentWordingChannel, string>>;
	createdAt: string;
	updatedAt: string;
}

/**
 * A release on one platform, as the marketer knows it. All optional: without album or
 * track ids the hub looks the release up by UPC/ISRC once it is live.
 */
export interface CampaignPlatform {
	/** Spotify album URI, Apple Music catalog album id, Deezer album id. */
	albumId?: string;
	/** Comma-separated: Spotify track URIs, Apple Music catalog song ids, Deezer track ids. */
	trackIds?: string;
	/** What the follow layer follows: Spotify artist URI or id, Deezer artist id, YouTube channel id (UC…). */
	artistId?: string;
	/**
	 * The playlist the campaign has fans follow (the Streaming node's Follow Playlist): where the
	 * platform guards playlists with a scope of their own (Spotify), the consent asks for it.
	 */
	playlistId?: string;
}

export interface Consent {
	id: string;
	channel: Channel;
	purpose: string;
	status: 'pending' | 'granted' | 'revoked';
	wording: string | null;
	wordingVersion: string | null;
	wordingHash: string;
	source: string | null;
	ip: string | null;
	userAgent: string | null;
	requestedAt: string;
	confirmedAt: string | null;
	revokedAt: string | null;
	revokeMethod: string | null;
}

/** What export shows of a platform connection: never the token itself. */
export interface TokenSummary {
	platform: string;
	scopes: string[];
	status: 'valid' | 'needs_reconsent' | 'revoked';
	authorizedAt: string;
	refreshExpiresAt: string | null;
}

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
	return ms === null ? null : new Date(Number(ms)).toISOString();
}
