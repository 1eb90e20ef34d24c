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
 * link) to wherever the hub ends the round trip: the redirects followed, the consent form
 * submitted with Agree as `userId`. Answers the last page's address, status and text.
 */
export async function consentRoundTrip(
	startUrl: string,
	userId: string,
): Promise<{ url: string; status: number; text: string }> {
	let url = startUrl;
	let response = await fetch(url, { redirect: 'manual' });
	while (isRedirect(response)) {
		url = locationOf(response, url);
		response = await fetch(url, { redirect: 'manual' });
	}
	const consent = await response.text();
	const action = new URL(attribute(consent, /<form method="post" action="([^"]*)"/), url);
	const form = new URLSearchParams();
	for (const match of consent.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
		form.set(unescapeHtml(match[1]), unescapeHtml(match[2]));
	}
	form.set('user_id', userId);
	form.set('decision', 'agree');
	response = await fetch(action, { method: 'POST', body: form, redirect: 'manual' });
	url = action.toString();
	while (isRedirect(response)) {
		url = locationOf(response, url);
		if (url.includes('/layers?')) return { url, status: 200, text: '' };
		response = await fetch(url, { redirect: 'manual' });
	}
	return { url, status: response.status, text: await response.text() };
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
