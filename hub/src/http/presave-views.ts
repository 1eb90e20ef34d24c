import type { Campaign } from '../core/model';
import type { StreamingPlatformName } from '../core/streaming/platform';
import { escapeHtml, InlineStyle } from './html';
import { presavePaths } from './presave-paths';
import { PLATFORM_NAMES, type PresaveStrings } from './presave-strings';

/** One stylesheet for every pre-save page: phone first, WCAG AA contrast, visible focus, no web fonts. */
export const PRESAVE_STYLE = new InlineStyle(`*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f0f14;color:#f4f4f6}
main{max-width:30rem;margin:0 auto;padding:2rem 1.25rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.15rem;margin:0 0 .5rem}
p{margin:0 0 1rem;color:#d6d6de}
.art{display:block;width:100%;max-width:20rem;aspect-ratio:1;object-fit:cover;border-radius:.75rem;margin:0 auto 1.25rem;background:#24242c}
.when{font-weight:600;color:#f4f4f6}
section{border-top:1px solid #33333d;padding-top:1.25rem;margin-top:1.25rem}
.notice{border:2px solid #ffd23f;border-radius:.75rem;padding:1rem;margin:0 0 1.5rem}
button,.button{display:block;width:100%;min-height:3rem;margin:0 0 .75rem;padding:.75rem 1rem;border:0;border-radius:.75rem;background:#ffd23f;color:#111;font:inherit;font-weight:700;text-align:center;text-decoration:none;cursor:pointer}
.secondary{background:#2c2c36;color:#f4f4f6}
button:focus-visible,.button:focus-visible,input:focus-visible{outline:3px solid #fff;outline-offset:3px}
label{display:block;margin:0 0 .35rem}
input[type=tel],input[type=email],input[type=url],input[readonly]{display:block;width:100%;min-height:3rem;padding:.5rem .75rem;margin:0 0 .75rem;border:1px solid #8a8a99;border-radius:.5rem;background:#1b1b22;color:#f4f4f6;font:inherit}
.check{display:flex;gap:.6rem;align-items:flex-start;margin:0 0 1rem;color:#d6d6de}
.check input{width:1.4rem;height:1.4rem;flex:none;margin:.15rem 0 0;accent-color:#ffd23f}
.error{color:#ffb4b4;font-weight:600}
.done{color:#9be7a8;font-weight:600}`);

/** Instagram's and TikTok's in-app browsers, where a platform sign-in cannot finish. */
export function isInAppBrowser(userAgent: string | undefined): boolean {
	return /Instagram|TikTok|musical_ly|BytedanceWebview|trill_/i.test(userAgent ?? '');
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Building a DateTimeFormat costs more than the rest of the page: keep one per language, zone and style. */
function dateFormat(language: string, timeZone: string, withTime: boolean): Intl.DateTimeFormat {
	const key = `${language} ${timeZone} ${withTime}`;
	let format = dateFormats.get(key);
	if (!format) {
		format = new Intl.DateTimeFormat(language, {
			dateStyle: 'long',
			timeStyle: withTime ? 'short' : undefined,
			timeZone,
		});
		dateFormats.set(key, format);
	}
	return format;
}

function formatRelease(campaign: Campaign, language: string, strings: PresaveStrings): string {
	const timeZone = campaign.timezone ?? 'UTC';
	const instant = new Date(campaign.releaseAtUtc);
	if (campaign.localMidnight)
		return strings.releaseAtLocalMidnight(dateFormat(language, timeZone, false).format(instant));
	return strings.releaseAt(`${dateFormat(language, timeZone, true).format(instant)} (${timeZone})`);
}

export function presavePageBody(view: {
	campaign: Campaign;
	language: string;
	strings: PresaveStrings;
	platforms: StreamingPlatformName[];
	offerFollow: boolean;
	inAppBrowser: boolean;
	pageUrl: string;
	/** The page link's source, kept on the platform buttons' link so the funnel counts them per source. */
	source?: string;
}): string {
	const { campaign, strings } = view;
	const notice = view.inAppBrowser
		? `<section class="notice" id="in-app-notice" aria-labelledby="in-app-title"><h2 id="in-app-title">${escapeHtml(strings.inAppTitle)}</h2><p>${escapeHtml(strings.inAppText)}</p><label for="page-link">${escapeHtml(strings.inAppLinkLabel)}</label><input id="page-link" readonly value="${escapeHtml(view.pageUrl)}"><a class="button secondary" href="${escapeHtml(view.pageUrl)}" target="_blank" rel="noopener">${escapeHtml(strings.inAppTitle)}</a></section>`
		: '';
	const artwork = campaign.artworkUrl
		? `<img class="art" src="${escapeHtml(campaign.artworkUrl)}" alt="${escapeHtml(strings.artworkAlt(campaign.title, campaign.artist))}" width="320" height="320">`
		: '';
	const when = `<p class="when">${escapeHtml(formatRelease(campaign, view.language, strings))}</p>`;
	if (view.platforms.length === 0)
		return `${notice}${artwork}${when}<p>${escapeHtml(strings.noServices)}</p>`;
	const follow = view.offerFollow
		? `<label class="check"><input type="checkbox" id="follow" name="follow" value="1"><span>${escapeHtml(strings.alsoFollow(campaign.artist))}</span></label>`
		: '';
	const buttons = view.platforms
		.map(
			(platform) =>
				`<button type="submit" id="connect-${platform}" formaction="${presavePaths.connect(campaign.slug, platform)}">${escapeHtml(strings.presaveOn(PLATFORM_NAMES[platform]))}</button>`,
		)
		.join('');
	return `${notice}${artwork}${when}<p>${escapeHtml(strings.chooseService)}</p><form method="get" action="${presavePaths.connect(campaign.slug, view.platforms[0])}"><input type="hidden" name="lang" value="${escapeHtml(view.language)}">${view.source ? `<input type="hidden" name="src" value="${escapeHtml(view.source)}">` : ''}${follow}${buttons}</form>`;
}

export function appleMusicConnectBody(view: {
	strings: PresaveStrings;
	state: string;
	developerToken: string;
	appName: string;
}): string {
	const { strings } = view;
	return `<p>${escapeHtml(strings.appleText)}</p><noscript><p class="error">${escapeHtml(strings.appleNeedsScript)}</p></noscript><form id="apple-connect" method="post" action="${presavePaths.callback('apple_music')}" data-developer-token="${escapeHtml(view.developerToken)}" data-app-name="${escapeHtml(view.appName)}"><input type="hidden" name="state" value="${escapeHtml(view.state)}"><input type="hidden" name="music_user_token" value=""><input type="hidden" name="error" value=""><button type="button" id="apple-authorize" disabled>${escapeHtml(strings.appleButton)}</button></form>`;
}

/** The layers page's forms, each posted to /c/<slug>/layers/<form>. */
export type LayerForm = 'sms' | 'email' | 'future_saves';

export interface LayersView {
	campaign: Campaign;
	strings: PresaveStrings;
	language: string;
	session: string;
	platform: StreamingPlatformName;
	followed: boolean;
	/** Where to re-authorize with the follow scope, when the fan did not tick follow but could. */
	followOfferUrl?: string;
	requested: { sms: boolean; email: boolean };
	/** "Save every release" of the campaign's artist on this platform: offered where the platform has a library. */
	futureSaves?: { agreed: boolean };
	/** An opt-in form's problem to show beside it, after a refused post. */
	problem?: { channel: LayerForm; message: string };
	telegramUrl?: string;
	discordUrl?: string;
}

function optInSection(view: LayersView, channel: 'sms' | 'email'): string {
	const { strings, campaign } = view;
	const wording = campaign.consentWordings[channel];
	if (!campaign.layers.includes(channel) || !wording) return '';
	const heading = channel === 'sms' ? strings.smsHeading : strings.emailHeading;
	if (view.requested[channel]) {
		const done = channel === 'sms' ? strings.smsRequested : strings.emailRequested;
		return `<section id="${channel}-layer"><h2>${escapeHtml(heading)}</h2><p class="done" role="status">${escapeHtml(done)}</p></section>`;
	}
	const problem =
		view.problem?.channel === channel
			? `<p class="error" role="alert" id="${channel}-problem">${escapeHtml(view.problem.message)}</p>`
			: '';
	const input =
		channel === 'sms'
			? `<label for="sms-address">${escapeHtml(strings.phoneLabel)}</label><input id="sms-address" name="address" type="tel" autocomplete="tel" inputmode="tel" required>`
			: `<label for="email-address">${escapeHtml(strings.emailLabel)}</label><input id="email-address" name="address" type="email" autocomplete="email" required>`;
	return `<section id="${channel}-layer"><h2>${escapeHtml(heading)}</h2>${problem}<form method="post" action="${presavePaths.layers(campaign.slug)}/${channel}"><input type="hidden" name="s" value="${escapeHtml(view.session)}"><input type="hidden" name="lang" value="${escapeHtml(view.language)}">${input}<label class="check"><input type="checkbox" id="${channel}-consent" name="consent" value="yes"><span>${escapeHtml(wording)}</span></label><button type="submit" id="${channel}-submit">${escapeHtml(strings.signUp)}</button></form></section>`;
}

function futureSavesSection(view: LayersView): string {
	if (!view.futureSaves) return '';
	const { strings, campaign } = view;
	const platformName = PLATFORM_NAMES[view.platform];
	const heading = `<h2>${escapeHtml(strings.futureSavesHeading)}</h2>`;
	if (view.futureSaves.agreed) {
		return `<section id="future-saves-layer">${heading}<p class="done" role="status">${escapeHtml(strings.futureSavesDone(campaign.artist, platformName))}</p></section>`;
	}
	const problem =
		view.problem?.channel === 'future_saves'
			? `<p class="error" role="alert" id="future-saves-problem">${escapeHtml(view.problem.message)}</p>`
			: '';
	return `<section id="future-saves-layer">${heading}${problem}<form method="post" action="${presavePaths.layers(campaign.slug)}/future_saves"><input type="hidden" name="s" value="${escapeHtml(view.session)}"><input type="hidden" name="lang" value="${escapeHtml(view.language)}"><label class="check"><input type="checkbox" id="future-saves-consent" name="consent" value="yes"><span>${escapeHtml(strings.futureSavesWording(campaign.artist, platformName))}</span></label><button type="submit" id="future-saves-submit">${escapeHtml(strings.futureSavesAgree)}</button></form></section>`;
}

export function layersPageBody(view: LayersView): string {
	const { strings, campaign } = view;
	const platformName = PLATFORM_NAMES[view.platform];
	const follow = view.followed
		? `<p class="done" id="follow-done">${escapeHtml(strings.followed(campaign.artist, platformName))}</p>`
		: view.followOfferUrl
			? `<a class="button secondary" id="follow-offer" href="${escapeHtml(view.followOfferUrl)}">${escapeHtml(strings.followOffer(campaign.artist, platformName))}</a>`
			: '';
	const community = [
		view.telegramUrl
			? `<a class="button secondary" id="telegram-link" href="${escapeHtml(view.telegramUrl)}">${escapeHtml(strings.telegramLink)}</a>`
			: '',
		view.discordUrl
			? `<a class="button secondary" id="discord-link" href="${escapeHtml(view.discordUrl)}">${escapeHtml(strings.discordLink)}</a>`
			: '',
	].join('');
	return `<p>${escapeHtml(strings.layersPresaved(campaign.title, platformName))}</p>${follow}<p>${escapeHtml(strings.layersOptional)}</p>${futureSavesSection(view)}${optInSection(view, 'sms')}${optInSection(view, 'email')}${community ? `<section id="community-layer">${community}</section>` : ''}`;
}

/** A page that explains and, where the fan can, offers the way back. */
export function messageBody(text: string, retry?: { href: string; label: string }): string {
	return `<p>${escapeHtml(text)}</p>${retry ? `<a class="button" id="retry" href="${escapeHtml(retry.href)}">${escapeHtml(retry.label)}</a>` : ''}`;
}
