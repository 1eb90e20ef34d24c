/**
 * A fan's pre-save done over plain HTTP the way the page's browser does it: the hub's own
 * connect link, then on a redirect platform the stand-in's consent form submitted with
 * Agree and the hub's callback; on Apple Music what the page's script does with MusicKit
 * (the stand-in's sign-in window agreed to, its Music User Token posted to the hub's
 * callback). Answers the layers page's address. For job tests that need many fans fast;
 * the journey suite does the same in Chromium.
 */
export async function presaveThroughConsent(
	hubUrl: string,
	slug: string,
	platform: 'spotify' | 'deezer' | 'youtube' | 'apple_music',
	userId: string,
): Promise<string> {
	const connectUrl = `${hubUrl}/c/${slug}/connect/${platform}`;
	for (let attempt = 1; ; attempt++) {
		const landed =
			platform === 'apple_music'
				? await musicKitRoundTrip(connectUrl, userId)
				: await consentRoundTrip(connectUrl, userId);
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
		const form = new URLSearchParams(hiddenFields(page));
		form.set('user_id', userId);
		form.set('decision', 'agree');
		response = await fetch(action, { method: 'POST', body: form, redirect: 'manual' });
		url = action.toString();
	}
}

/** More consent screens in one round trip than this is a loop, not a fan agreeing. */
const MAX_CONSENT_SCREENS = 3;

/**
 * The Apple Music connect page as its script drives it: MusicKit's sign-in window (the
 * stand-in's consent form, agreed to as `userId`) hands back a Music User Token, which the
 * page's form posts to the hub with its state; the hub's redirects are followed.
 */
export async function musicKitRoundTrip(
	connectUrl: string,
	userId: string,
): Promise<{ url: string; status: number; text: string }> {
	const page = await (await fetch(connectUrl)).text();
	const scriptUrl = attribute(page, /<script src="([^"]*\/musickit\.js)"/);
	const developerToken = attribute(page, /data-developer-token="([^"]*)"/);
	const callback = new URL(
		attribute(page, /<form id="apple-connect" method="post" action="([^"]*)"/),
		connectUrl,
	);
	const signIn = new URL('/musickit/authorize', scriptUrl);
	signIn.search = new URLSearchParams({
		origin: new URL(connectUrl).origin,
		developer_token: developerToken,
	}).toString();
	const consent = await (await fetch(signIn)).text();
	const form = new URLSearchParams(hiddenFields(consent));
	form.set('user_id', userId);
	form.set('decision', 'agree');
	const action = new URL(attribute(consent, /<form method="post" action="([^"]*)"/), signIn);
	const result = await (await fetch(action, { method: 'POST', body: form })).text();
	const handed = JSON.parse(
		(result.match(/postMessage\((\{.*?\}), /)?.[1] ?? '{}').replace(/\\u003c/g, '<'),
	) as { musicUserToken?: string; error?: string };
	if (!handed.musicUserToken) throw new Error(`MusicKit did not authorize: ${handed.error}`);
	const posted = new URLSearchParams({
		state: attribute(page, /<input type="hidden" name="state" value="([^"]*)">/),
		music_user_token: handed.musicUserToken,
		error: '',
	});
	let url = callback.toString();
	let response = await fetch(url, { method: 'POST', body: posted, redirect: 'manual' });
	while (isRedirect(response)) {
		url = locationOf(response, url);
		if (url.includes('/layers?')) return { url, status: 200, text: '' };
		response = await fetch(url, { redirect: 'manual' });
	}
	return { url, status: response.status, text: await response.text() };
}

function hiddenFields(html: string): Array<[string, string]> {
	return [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(
		(match) => [unescapeHtml(match[1]), unescapeHtml(match[2])],
	);
}

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
