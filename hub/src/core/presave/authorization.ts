import type { PlatformGrant, StreamingPlatformName } from '../streaming/platform';

/** What a fan's consent on a platform gives the hub: who they are there, and the grant to seal. */
export interface PlatformConnection {
	/** The fan's account id on the platform: their identity in the ledger. */
	accountId: string;
	grant: PlatformGrant;
}

/**
 * Where to send the fan to consent; `follow` widens the scopes to what the follow layer needs,
 * `followPlaylist` to what following the campaign's playlist needs.
 */
export interface AuthorizeRequest {
	state: string;
	redirectUri: string;
	codeChallenge?: string;
	follow: boolean;
	followPlaylist?: boolean;
	/** Scopes the fan granted before, asked again so that a reconnect narrows nothing. */
	keepScopes?: readonly string[];
	/**
	 * The fan is asked again for a connection the hub no longer holds a working refresh token
	 * for; platforms that issue one only on a first consent (Google) must show their consent
	 * screen anew.
	 */
	reconsent?: boolean;
}

/** The callback's code, to trade for the grant. */
export interface ExchangeRequest {
	code: string;
	redirectUri: string;
	codeVerifier?: string;
}

/** Authorization code flow (RFC 6749), with PKCE (RFC 7636) where the platform supports it. */
export interface RedirectAuthorization {
	readonly flow: 'redirect';
	readonly platform: StreamingPlatformName;
	readonly usesPkce: boolean;
	/**
	 * The platform issues a refresh token on a fan's first consent to the app only (Google):
	 * a later consent brings one only when the consent screen is asked for anew.
	 */
	readonly refreshTokenOnFirstConsentOnly: boolean;
	/** Where the consent screen lives: the page's form-action must allow the redirect there. */
	readonly consentOrigin: string;
	/** Where the fan's browser goes to consent. */
	authorizeUrl(request: AuthorizeRequest): string;
	/** Trades the callback's code for the grant and reads the fan's account id with it. */
	exchange(request: ExchangeRequest): Promise<PlatformConnection>;
}

/**
 * Apple Music has no redirect flow: MusicKit JS, loaded by the page and configured with the
 * app's developer token (public by Apple's design), asks the fan and hands the page a Music User Token.
 */
export interface MusicKitAuthorization {
	readonly flow: 'musickit';
	readonly platform: 'apple_music';
	/** MusicKit JS itself (Apple's CDN, or the sandbox stand-in). */
	readonly scriptUrl: string;
	developerToken(): string;
	/** Proves the user token works and turns it into a connection. */
	connect(musicUserToken: string): Promise<PlatformConnection>;
}

export type FanAuthorization = RedirectAuthorization | MusicKitAuthorization;
export type FanAuthorizations = ReadonlyMap<StreamingPlatformName, FanAuthorization>;
