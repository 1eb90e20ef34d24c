/**
 * What the hub needs from a streaming platform, whatever its API. Adapters live in
 * hub/src/providers/ and are tested against the sandbox's stand-ins; the core paces,
 * retries and records, the adapter only speaks the platform's protocol.
 */

export const STREAMING_PLATFORMS = ['spotify', 'apple_music', 'deezer', 'youtube'] as const;
export type StreamingPlatformName = (typeof STREAMING_PLATFORMS)[number];

/** A fan's authorization on a platform, as the ledger seals it. */
export interface PlatformGrant {
	accessToken: string;
	refreshToken: string | null;
	scopes: string[];
	authorizedAtMs: number;
	/** When the access token stops working; null when it does not expire (Deezer offline_access, Apple's user token until revoked). */
	accessExpiresAtMs: number | null;
	/** When the platform stops honouring the refresh token or the user token: Spotify 6 months after consent, Apple ~6 months. */
	refreshExpiresAtMs: number | null;
}

/** A release as the platform knows it: its own ids (Spotify URIs, Apple catalog ids, Deezer ids). */
export interface PlatformRelease {
	albumId: string | null;
	trackIds: string[];
}

export type PlatformErrorKind =
	/** Over the platform's budget: wait `retryAfterMs`, then try again. */
	| 'rate_limited'
	/** The fan's authorization is gone (revoked, expired refresh token, invalid_grant): a re-consent layer. */
	| 'reconsent'
	/** Worth retrying later (5xx, timeout, dropped connection). */
	| 'transient'
	/** Will not succeed as asked (bad id, missing scope, quota spent for the day). */
	| 'permanent';

export class PlatformError extends Error {
	constructor(
		readonly platform: StreamingPlatformName,
		readonly kind: PlatformErrorKind,
		message: string,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'PlatformError';
	}
}

export interface PlatformLibrary {
	/** Finds the release by UPC (album) or ISRCs (tracks); undefined while the platform does not show it yet. */
	findRelease(lookup: {
		upc: string | null;
		isrcs: string[];
	}): Promise<PlatformRelease | undefined>;
	/** Saves the album (or the tracks when there is no album) to the fan's library. */
	saveRelease(grant: PlatformGrant, release: PlatformRelease): Promise<void>;
	isSaved(grant: PlatformGrant, release: PlatformRelease): Promise<boolean>;
}

/** What the hub asks a platform to do for a fan: each may need its own scope. */
export type StreamingOperation = 'save' | 'checkSaved' | 'followArtist' | 'followPlaylist';

export interface StreamingPlatform {
	readonly name: StreamingPlatformName;
	/**
	 * The scopes, any one of which lets a fan's grant make each call, as the platform's
	 * published spec names them. The hub compares them with what the fan granted before
	 * calling, so an operation the consent did not cover is answered up front instead of
	 * by the platform's 403. Absent, or an operation left out, where nothing is checked
	 * (Apple's user token carries no scopes).
	 */
	readonly requiredScopes?: Partial<Record<StreamingOperation, readonly string[]>>;
	/** Requests per second the platform allows this app (the pacer's budget). */
	readonly requestsPerSecond: number;
	/** Renews an expired access token; throws PlatformError 'reconsent' on invalid_grant. Absent where tokens cannot be refreshed (Apple). */
	refresh?(grant: PlatformGrant): Promise<PlatformGrant>;
	/** Library saves; absent where the platform has no library (YouTube only follows channels). */
	library?: PlatformLibrary;
	/** Absent where the platform has no such API (Apple Music cannot follow artists). */
	followArtist?(grant: PlatformGrant, artistId: string): Promise<void>;
	followPlaylist?(grant: PlatformGrant, playlistId: string): Promise<void>;
}
