import type { StandInRequest, StandInResponse } from '../core/http-stand-in';
import {
	SANDBOX_USER_ID_PATTERN,
	consentPage,
	formBody,
	presentParams,
	textResponse,
} from './support';

/** What the MusicKit stand-in needs from the Apple Music stand-in it belongs to. */
export interface MusicKitHost {
	readonly url: string;
	developerTokenValid(token: string | undefined): boolean;
	issueMusicUserToken(userId: string): string;
}

const AUTHORIZE_PATH = '/musickit/authorize';

/**
 * MusicKit JS as a page sees it, reduced to what a pre-save uses: `MusicKit.configure({
 * developerToken, app })` and `getInstance().authorize()`, which opens Apple's sign-in in a
 * popup and resolves with the Music User Token (rejects when the fan cancels), as v3 does.
 */
function musicKitScript(origin: string): string {
	return `(function () {
	'use strict';
	var origin = ${JSON.stringify(origin)};
	var developerToken;
	var instance = {
		authorize: function () {
			return new Promise(function (resolve, reject) {
				var query = 'origin=' + encodeURIComponent(location.origin) + '&developer_token=' + encodeURIComponent(developerToken || '');
				var popup = window.open(origin + ${JSON.stringify(AUTHORIZE_PATH)} + '?' + query, 'musickit-authorize', 'width=480,height=640');
				if (!popup) return reject(new Error('MusicKit: the sign-in window was blocked'));
				window.addEventListener('message', function listen(event) {
					if (event.origin !== origin) return;
					window.removeEventListener('message', listen);
					if (event.data && event.data.musicUserToken) resolve(event.data.musicUserToken);
					else reject(new Error((event.data && event.data.error) || 'MusicKit: authorization failed'));
				});
			});
		},
	};
	window.MusicKit = {
		configure: function (options) {
			developerToken = options && options.developerToken;
			return Promise.resolve(instance);
		},
		getInstance: function () { return instance; },
	};
})();
`;
}

function isOrigin(value: string): boolean {
	try {
		const url = new URL(value);
		return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
	} catch {
		return false;
	}
}

/** The popup's last page: hands the result to the page that opened it, on that page's origin only, and closes. */
function resultPage(
	openerOrigin: string,
	result: { musicUserToken: string } | { error: string },
): StandInResponse {
	// JSON inside a script element: "<" escaped so nothing in it can end the element.
	const payload = JSON.stringify(result).replace(/</g, '\\u003c');
	const target = JSON.stringify(openerOrigin).replace(/</g, '\\u003c');
	return {
		status: 200,
		headers: { 'content-type': 'text/html; charset=utf-8' },
		body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Apple Music (sandbox)</title></head><body><p>You can close this window.</p><script>if (window.opener) window.opener.postMessage(${payload}, ${target}); window.close();</script></body></html>`,
	};
}

/** Answers MusicKit's requests, or undefined for anything else (the Apple Music API's). */
export function handleMusicKit(
	request: StandInRequest,
	host: MusicKitHost,
	nextUserId: () => string,
): StandInResponse | undefined {
	if (request.path === '/musickit.js' && request.method === 'GET') {
		return {
			status: 200,
			headers: { 'content-type': 'text/javascript; charset=utf-8' },
			body: musicKitScript(new URL(host.url).origin),
		};
	}
	if (request.path !== AUTHORIZE_PATH) return undefined;
	const params = request.method === 'POST' ? formBody(request) : request.query;
	const openerOrigin = params.get('origin') ?? '';
	if (!isOrigin(openerOrigin))
		return textResponse(400, 'MusicKit: origin is missing or not an origin');
	if (!host.developerTokenValid(params.get('developer_token') ?? undefined)) {
		return resultPage(openerOrigin, { error: 'invalid developer token' });
	}
	if (request.method === 'GET') {
		return consentPage({
			provider: 'Apple Music',
			appName: 'Fanloop',
			action: AUTHORIZE_PATH,
			hiddenFields: presentParams(params, ['origin', 'developer_token']),
			permissions: ['Add to your Apple Music library'],
			suggestedUserId: nextUserId(),
		});
	}
	if (params.get('decision') !== 'agree')
		return resultPage(openerOrigin, { error: 'access_denied' });
	const userId = params.get('user_id') ?? '';
	if (!SANDBOX_USER_ID_PATTERN.test(userId)) return textResponse(400, 'Invalid sandbox user id');
	return resultPage(openerOrigin, { musicUserToken: host.issueMusicUserToken(userId) });
}
