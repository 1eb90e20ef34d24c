import { fanAuthorizations } from '../../hub/src/providers/fan-authorization';
import type { StreamingSandbox } from '../../sandbox/src/streaming';

/** The pre-save page's platform sign-ins pointed at the sandbox's consent screens and MusicKit stand-in. */
export function sandboxFanAuthorizations(sandbox: StreamingSandbox) {
	const clock = () => sandbox.clock.now();
	const { spotify, appleMusic, deezer, youtube } = sandbox.credentials;
	return fanAuthorizations({
		spotify: {
			clientId: spotify.clientId,
			clientSecret: spotify.clientSecret,
			accountsUrl: sandbox.urls.spotifyAccounts,
			apiUrl: sandbox.urls.spotifyApi,
			clock,
		},
		apple_music: {
			teamId: appleMusic.teamId,
			keyId: appleMusic.keyId,
			privateKeyPem: appleMusic.privateKeyPem,
			apiUrl: sandbox.urls.appleMusic,
			musicKitScriptUrl: `${sandbox.urls.appleMusic}/musickit.js`,
			clock,
		},
		deezer: {
			appId: deezer.appId,
			secret: deezer.secret,
			apiUrl: sandbox.urls.deezerApi,
			connectUrl: sandbox.urls.deezerConnect,
		},
		youtube: {
			clientId: youtube.clientId,
			clientSecret: youtube.clientSecret,
			tokenUrl: `${sandbox.urls.youtube}/token`,
			apiUrl: sandbox.urls.youtube,
			authorizeUrl: `${sandbox.urls.youtube}/o/oauth2/v2/auth`,
			clock,
		},
	});
}

/** Each streaming stand-in's registered redirect URIs, pointing at a hub that will listen on `hubUrl`. */
export function sandboxRedirectUris(hubUrl: string) {
	return {
		spotify: [`${hubUrl}/oauth/spotify/callback`],
		deezer: `${hubUrl}/oauth/deezer/callback`,
		youtube: [`${hubUrl}/oauth/youtube/callback`],
	};
}
