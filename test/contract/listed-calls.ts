import type { LoggedProviderCall } from '../../hub/src/providers/http-client';

/**
 * Calls the published specs do not cover, each with the first-party page that documents it.
 * A call that matches neither a spec nor this list fails the contract test.
 */
export interface ListedCall {
	provider: string;
	method: string;
	path: RegExp;
	source: string;
}

export const CALLS_WITHOUT_SPEC: ListedCall[] = [
	{
		provider: 'spotify',
		method: 'POST',
		path: /^\/api\/token$/,
		source:
			'https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow (the Accounts service is not part of the Web API spec)',
	},
	{
		provider: 'youtube',
		method: 'POST',
		path: /^\/token$/,
		source:
			'https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code',
	},
	{
		provider: 'deezer',
		method: 'GET',
		path: /^\/oauth\/access_token\.php$/,
		source: 'https://developers.deezer.com/api/oauth',
	},
	{
		provider: 'deezer',
		method: 'GET',
		path: /^\/(user\/me(\/(albums|tracks|artists))?|album\/upc:[^/]+|track\/isrc:[^/]+)$/,
		source:
			'https://developers.deezer.com/api/user (and /album, /track: lookups by upc: and isrc:)',
	},
	{
		provider: 'deezer',
		method: 'POST',
		path: /^\/user\/me\/(albums|tracks|artists)$/,
		source: 'https://developers.deezer.com/api/actions-post',
	},
	{
		provider: 'apple_music',
		method: 'GET',
		path: /^\/v1\/catalog\/[a-z]{2}\/(albums|songs)$/,
		source:
			'https://developer.apple.com/documentation/applemusicapi/get-multiple-catalog-albums-by-upc (filter[upc]) and get-multiple-catalog-songs-by-isrc (filter[isrc])',
	},
	{
		provider: 'apple_music',
		method: 'POST',
		path: /^\/v1\/me\/library$/,
		source: 'https://developer.apple.com/documentation/applemusicapi/add-a-resource-to-a-library',
	},
	{
		provider: 'apple_music',
		method: 'GET',
		path: /^\/v1\/me\/library\/(albums|songs)$/,
		source:
			'https://developer.apple.com/documentation/applemusicapi/get-all-library-albums (relationships.catalog, include=catalog)',
	},
	{
		provider: 'mailchimp',
		method: 'PUT',
		path: /^\/3\.0\/lists\/[^/]+\/members\/[0-9a-f]{32}$/,
		source: 'https://mailchimp.com/developer/marketing/api/list-members/add-or-update-list-member/',
	},
	{
		provider: 'mailchimp',
		method: 'GET',
		path: /^\/3\.0\/lists\/[^/]+\/members\/[0-9a-f]{32}$/,
		source: 'https://mailchimp.com/developer/marketing/api/list-members/get-member-info/',
	},
	{
		provider: 'brevo',
		method: 'POST',
		path: /^\/v3\/contacts\/doubleOptinConfirmation$/,
		source: 'https://developers.brevo.com/reference/create-doi-contact',
	},
];

/**
 * Calls a spec covers but flags (deprecated, or naming scopes the hub rightly does not ask
 * for), each with the first-party source that says why the call is still right.
 */
export interface SpecException {
	provider: string;
	method: string;
	/** The spec's path template. */
	specPath: string;
	concerns: 'deprecated' | 'scopes';
	source: string;
	/** Narrows the exception to some calls (e.g. one app mode). */
	appliesTo?: (call: LoggedProviderCall) => boolean;
}

export function specExceptions(options: {
	extendedQuotaSpotifyOrigins: Set<string>;
}): SpecException[] {
	return [
		{
			provider: 'spotify',
			method: 'PUT',
			specPath: '/me/following',
			concerns: 'deprecated',
			source:
				'https://developer.spotify.com/documentation/web-api/tutorials/february-2026-migration-guide — "Extended Quota Mode apps: No migration required … all existing endpoints, fields, and behaviors remain unchanged"; PUT /me/library takes no artist URI, so this is how an extended-quota app follows an artist',
			appliesTo: (call) => options.extendedQuotaSpotifyOrigins.has(new URL(call.url).origin),
		},
		{
			provider: 'spotify',
			method: 'GET',
			specPath: '/me',
			concerns: 'scopes',
			source:
				'https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile — user-read-private and user-read-email only unlock country, product and email; the hub reads the public `id`',
		},
	];
}
