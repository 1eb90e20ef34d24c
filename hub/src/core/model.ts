import type { Channel, Identity } from './identities';

export const ACTION_KINDS = [
	'presave',
	'save',
	'follow',
	'optin_sms',
	'optin_email',
	'join_telegram',
	'join_discord',
	'click',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_STATUSES = ['intended', 'pending', 'done', 'failed', 'skipped'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** hard: read back from the platform (a save, a join); soft: claimed, not readable. */
export const VERIFICATIONS = ['hard', 'soft'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export const PLATFORMS = ['spotify', 'apple_music', 'deezer', 'youtube', 'telegram', 'discord', 'sms', 'email'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LAYERS = ['sms', 'email', 'telegram', 'discord', 'follow', 'save'] as const;
export type Layer = (typeof LAYERS)[number];

export interface Fan {
	id: string;
	createdAt: string;
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
	artist: string;
	title: string;
	releaseAtUtc: string;
	timezone: string | null;
	localMidnight: boolean;
	upc: string | null;
	isrcs: string[];
	platforms: Record<string, Record<string, string>>;
	layers: Layer[];
	consentWordings: Record<string, string>;
	createdAt: string;
	updatedAt: string;
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
