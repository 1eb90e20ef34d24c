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
	const toConsent = await fetch(`${hubUrl}/c/${slug}/connect/${platform}`, { redirect: 'manual' });
	const consentUrl = locationOf(toConsent, 'the connect link');
	const consent = await (await fetch(consentUrl)).text();
	const action = new URL(attribute(consent, /<form method="post" action="([^"]*)"/), consentUrl);
	const form = new URLSearchParams();
	for (const match of consent.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
		form.set(unescapeHtml(match[1]), unescapeHtml(match[2]));
	}
	form.set('user_id', userId);
	form.set('decision', 'agree');
	const agreed = await fetch(action, { method: 'POST', body: form, redirect: 'manual' });
	const callback = locationOf(agreed, 'the consent form');
	const landed = await fetch(callback, { redirect: 'manual' });
	const layers = locationOf(landed, 'the hub callback');
	if (!layers.includes('/layers?'))
		throw new Error(`the callback did not lead to the layers page: ${layers}`);
	return new URL(layers, hubUrl).toString();
}

function locationOf(response: Response, what: string): string {
	const location = response.headers.get('location');
	if (response.status < 300 || response.status >= 400 || !location) {
		throw new Error(`${what} answered ${response.status} without a redirect`);
	}
	return new URL(location, response.url).toString();
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
