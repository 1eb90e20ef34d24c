/**
 * A fan's pre-save on a redirect platform, done over plain HTTP the way a browser without
 * scripts does it: the hub's own connect link, the stand-in's consent form submitted with
 * Agree, the hub's callback, the layers page. For job tests that need many fans fast;
 * the journey suite does the same in Chromium.
 */
export async function presaveThroughConsent(
	hubUrl: string,
	slug: string,
	platform: 'spotify' | 'deezer' | 'youtube',
	userId: string,
): Promise<string> {
	for (let attempt = 1; ; attempt++) {
		const landed = await consentRoundTrip(`${hubUrl}/c/${slug}/connect/${platform}`, userId);
		if (landed.url.includes('/layers?')) return landed.url;
		// A platform error page (the stand-in's rate limit under load) offers "Try again": the fan taps it.
		if (landed.status !== 502 || attempt === 3) {
			throw new Error(
				`the callback did not lead to the layers page: ${landed.status} ${landed.url}`,
			);
		}
	}
}

/**
 * From a hub link that leads to a platform's consent screen (a connect link, a reconnect
 * link) to wherever the hub ends the round trip: the redirects followed, each consent form
 * submitted with Agree as `userId` (the hub may send the fan to a consent screen again, as it
 * does for Google's prompt=consent). Answers the last page's address, status and text.
 */
export async function consentRoundTrip(
	startUrl: string,
	userId: string,
): Promise<{ url: string; status: number; text: string }> {
	let url = startUrl;
	let response = await fetch(url, { redirect: 'manual' });
	for (let consents = 0; ; consents++) {
		while (isRedirect(response)) {
			url = locationOf(response, url);
			if (url.includes('/layers?')) return { url, status: 200, text: '' };
			response = await fetch(url, { redirect: 'manual' });
		}
		const page = await response.text();
		const isConsentScreen = /<button id="agree" type="submit" name="decision"/.test(page);
		if (consents > 0 && (!isConsentScreen || consents === MAX_CONSENT_SCREENS))
			return { url, status: response.status, text: page };
		const action = new URL(attribute(page, /<form method="post" action="([^"]*)"/), url);
		const form = new URLSearchParams();
		for (const match of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
			form.set(unescapeHtml(match[1]), unescapeHtml(match[2]));
		}
		form.set('user_id', userId);
		form.set('decision', 'agree');
		response = await fetch(action, { method: 'POST', body: form, redirect: 'manual' });
		url = action.toString();
	}
}

/**
 * An Apple Music connect over plain HTTP, doing what the hub's connect page does with MusicKit
 * JS: the sign-in window on the MusicKit stand-in (its consent form, Agree as `userId`), then
 * the page's form posted to the hub's callback with the Music User Token the window handed back.
 * Answers where the hub sent the fan next (the layers page once the pre-save is recorded).
 */
export async function appleMusicConsentRoundTrip(
	connectUrl: string,
	musicKitOrigin: string,
	userId: string,
): Promise<string> {
	const connectPage = await (await fetch(connectUrl)).text();
	const query = new URLSearchParams({
		origin: new URL(connectUrl).origin,
		developer_token: attribute(connectPage, /data-developer-token="([^"]*)"/),
	});
	const signIn = await consentRoundTrip(`${musicKitOrigin}/musickit/authorize?${query}`, userId);
	const musicUserToken = /"musicUserToken":"([^"]+)"/.exec(signIn.text)?.[1];
	if (!musicUserToken) throw new Error(`the MusicKit sign-in handed back no token: ${signIn.text}`);
	const callback = new URL(
		attribute(connectPage, /<form id="apple-connect" method="post" action="([^"]*)"/),
		connectUrl,
	);
	const response = await fetch(callback, {
		method: 'POST',
		body: new URLSearchParams({
			state: attribute(connectPage, /<input type="hidden" name="state" value="([^"]*)">/),
			music_user_token: musicUserToken,
			error: '',
		}),
		redirect: 'manual',
	});
	if (!isRedirect(response))
		throw new Error(`the callback answered ${response.status}: ${await response.text()}`);
	return locationOf(response, callback.toString());
}

/** More consent screens in one round trip than this is a loop, not a fan agreeing. */
const MAX_CONSENT_SCREENS = 3;

function isRedirect(response: Response): boolean {
	return response.status >= 300 && response.status < 400 && response.headers.has('location');
}

function locationOf(response: Response, from: string): string {
	return new URL(response.headers.get('location') as string, from).toString();
}

function attribute(html: string, pattern: RegExp): string {
	const found = html.match(pattern)?.[1];
	if (found === undefined) throw new Error(`the consent page has no ${pattern}`);
	return unescapeHtml(found);
}

function unescapeHtml(text: string): string {
	return text
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&amp;/g, '&');
}
