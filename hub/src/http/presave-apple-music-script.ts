/**
 * The Apple Music connect page's only script, served by the hub from its own origin (CSP
 * 'self'). MusicKit JS asks the fan; the Music User Token goes back to the hub in a form
 * POST with the state, never in a URL.
 */
export const APPLE_MUSIC_CONNECT_SCRIPT = `'use strict';
document.addEventListener('DOMContentLoaded', function () {
	var form = document.getElementById('apple-connect');
	var button = document.getElementById('apple-authorize');
	if (!form || !button) return;
	button.addEventListener('click', function () {
		button.disabled = true;
		Promise.resolve(MusicKit.configure({ developerToken: form.dataset.developerToken, app: { name: form.dataset.appName, build: '1' } }))
			.then(function () { return MusicKit.getInstance().authorize(); })
			.then(function (token) { form.elements.music_user_token.value = token; })
			.catch(function () { form.elements.error.value = 'access_denied'; })
			.then(function () { form.submit(); });
	});
	// The button is served disabled: a tap before this script and MusicKit are ready would do nothing.
	button.disabled = false;
});
`;
