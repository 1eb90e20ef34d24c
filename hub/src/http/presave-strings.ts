/**
 * Every sentence a fan reads on the pre-save and layers pages, by language. Values are
 * plain text (the pages escape them); functions take the campaign's words, also escaped later.
 */
export interface PresaveStrings {
	presaveTitle(title: string, artist: string): string;
	releaseAt(when: string): string;
	releaseAtLocalMidnight(day: string): string;
	chooseService: string;
	presaveOn(platform: string): string;
	alsoFollow(artist: string): string;
	artworkAlt(title: string, artist: string): string;
	inAppTitle: string;
	inAppText: string;
	inAppLinkLabel: string;
	noServices: string;
	appleTitle: string;
	appleText: string;
	appleButton: string;
	appleNeedsScript: string;
	layersTitle: string;
	layersPresaved(title: string, platform: string): string;
	layersOptional: string;
	followed(artist: string, platform: string): string;
	followOffer(artist: string, platform: string): string;
	smsHeading: string;
	phoneLabel: string;
	emailHeading: string;
	emailLabel: string;
	signUp: string;
	consentRequired: string;
	smsRequested: string;
	emailRequested: string;
	telegramLink: string;
	discordLink: string;
	futureSavesHeading: string;
	/** The exact wording of "save every release", kept as the consent's proof in the language shown. */
	futureSavesWording(artist: string, platform: string): string;
	futureSavesAgree: string;
	futureSavesDone(artist: string, platform: string): string;
	stateInvalidTitle: string;
	stateInvalidText: string;
	stateUsedTitle: string;
	stateUsedText: string;
	stateExpiredTitle: string;
	stateExpiredText: string;
	deniedTitle: string;
	deniedText(platform: string): string;
	platformErrorTitle: string;
	platformErrorText(platform: string): string;
	presaveRefusedText: string;
	sessionExpiredTitle: string;
	sessionExpiredText: string;
	notFoundTitle: string;
	notFoundText: string;
	tryAgain: string;
	backToPresave: string;
}

const en: PresaveStrings = {
	presaveTitle: (title, artist) => `Pre-save “${title}” by ${artist}`,
	releaseAt: (when) => `Out ${when}`,
	releaseAtLocalMidnight: (day) => `Out ${day} at midnight, wherever you are`,
	chooseService: 'Choose where to save it. It lands in your library on release day.',
	presaveOn: (platform) => `Pre-save on ${platform}`,
	alsoFollow: (artist) => `Also follow ${artist}`,
	artworkAlt: (title, artist) => `Cover of “${title}” by ${artist}`,
	inAppTitle: 'Open this page in your browser',
	inAppText:
		'Sign-in does not work inside this app’s browser. Tap the ••• menu and choose “Open in browser”, or copy this link into your browser:',
	inAppLinkLabel: 'Link to this page',
	noServices: 'Pre-saving is not open yet. Please check back soon.',
	appleTitle: 'Connect Apple Music',
	appleText: 'Apple will ask you to sign in and allow access to your library.',
	appleButton: 'Continue with Apple Music',
	appleNeedsScript:
		'This step needs JavaScript to talk to Apple Music. Please turn it on, or choose another service.',
	layersTitle: 'You’re in!',
	layersPresaved: (title, platform) =>
		`“${title}” will be saved to your ${platform} library on release day.`,
	layersOptional: 'Want more? Everything below is optional.',
	followed: (artist, platform) => `You now follow ${artist} on ${platform}.`,
	followOffer: (artist, platform) => `Follow ${artist} on ${platform}`,
	smsHeading: 'Text updates',
	phoneLabel: 'Mobile number',
	emailHeading: 'Email updates',
	emailLabel: 'Email address',
	signUp: 'Sign me up',
	consentRequired: 'To sign up, tick the box to agree.',
	smsRequested: 'Almost done: reply YES to the text we just sent to confirm.',
	emailRequested: 'Almost done: open the email we just sent and confirm.',
	telegramLink: 'Join us on Telegram',
	discordLink: 'Join the Discord',
	futureSavesHeading: 'Every release, saved',
	futureSavesWording: (artist, platform) =>
		`Save every new release by ${artist} to my ${platform} library on its release day, without asking me again. I can stop this at any time by replying STOP to a text, unsubscribing from an email or sending /stop to the bot.`,
	futureSavesAgree: 'Save every release',
	futureSavesDone: (artist, platform) =>
		`Done: every new release by ${artist} will be saved to your ${platform} library on its release day.`,
	stateInvalidTitle: 'This sign-in link does not work',
	stateInvalidText:
		'It may have been changed or copied incompletely. Nothing was saved. Please start again from the pre-save page.',
	stateUsedTitle: 'This sign-in was already used',
	stateUsedText:
		'Each sign-in works once. Nothing new was saved. Start again from the pre-save page if you need to.',
	stateExpiredTitle: 'This sign-in took too long',
	stateExpiredText: 'For your safety it expired. Nothing was saved. Please start again.',
	deniedTitle: 'No problem',
	deniedText: (platform) =>
		`You did not allow access on ${platform}, so nothing was saved. You can try again whenever you like.`,
	platformErrorTitle: 'That did not work',
	platformErrorText: (platform) =>
		`${platform} did not complete the sign-in. Nothing was saved. Please try again in a moment.`,
	presaveRefusedText: 'We could not record this pre-save for this account.',
	sessionExpiredTitle: 'This page has expired',
	sessionExpiredText:
		'Your pre-save is safe. To see the extras again, pre-save once more from the campaign page.',
	notFoundTitle: 'Page not found',
	notFoundText: 'This pre-save page does not exist. Please check the link.',
	tryAgain: 'Try again',
	backToPresave: 'Back to the pre-save page',
};

const de: PresaveStrings = {
	presaveTitle: (title, artist) => `„${title}“ von ${artist} vorab speichern`,
	releaseAt: (when) => `Erscheint ${when}`,
	releaseAtLocalMidnight: (day) => `Erscheint am ${day} um Mitternacht, wo immer du bist`,
	chooseService:
		'Wähle, wo du es speichern willst. Am Erscheinungstag landet es in deiner Bibliothek.',
	presaveOn: (platform) => `Auf ${platform} vorab speichern`,
	alsoFollow: (artist) => `${artist} auch folgen`,
	artworkAlt: (title, artist) => `Cover von „${title}“ von ${artist}`,
	inAppTitle: 'Öffne diese Seite in deinem Browser',
	inAppText:
		'Die Anmeldung funktioniert im Browser dieser App nicht. Tippe auf das •••-Menü und wähle „Im Browser öffnen“, oder kopiere diesen Link in deinen Browser:',
	inAppLinkLabel: 'Link zu dieser Seite',
	noServices: 'Vorab-Speichern ist noch nicht möglich. Schau bald wieder vorbei.',
	appleTitle: 'Apple Music verbinden',
	appleText: 'Apple bittet dich, dich anzumelden und den Zugriff auf deine Bibliothek zu erlauben.',
	appleButton: 'Weiter mit Apple Music',
	appleNeedsScript:
		'Für diesen Schritt wird JavaScript benötigt. Bitte schalte es ein oder wähle einen anderen Dienst.',
	layersTitle: 'Du bist dabei!',
	layersPresaved: (title, platform) =>
		`„${title}“ wird am Erscheinungstag in deiner ${platform}-Bibliothek gespeichert.`,
	layersOptional: 'Mehr gefällig? Alles hier ist freiwillig.',
	followed: (artist, platform) => `Du folgst jetzt ${artist} auf ${platform}.`,
	followOffer: (artist, platform) => `${artist} auf ${platform} folgen`,
	smsHeading: 'Updates per SMS',
	phoneLabel: 'Handynummer',
	emailHeading: 'Updates per E-Mail',
	emailLabel: 'E-Mail-Adresse',
	signUp: 'Anmelden',
	consentRequired: 'Um dich anzumelden, setze bitte das Häkchen.',
	smsRequested: 'Fast geschafft: Antworte mit YES auf die SMS, die wir dir gerade geschickt haben.',
	emailRequested:
		'Fast geschafft: Öffne die E-Mail, die wir dir gerade geschickt haben, und bestätige.',
	telegramLink: 'Komm zu uns auf Telegram',
	discordLink: 'Tritt dem Discord bei',
	futureSavesHeading: 'Jede Veröffentlichung, gespeichert',
	futureSavesWording: (artist, platform) =>
		`Speichere jede neue Veröffentlichung von ${artist} am Erscheinungstag in meiner ${platform}-Bibliothek, ohne mich erneut zu fragen. Ich kann das jederzeit beenden: mit STOP als Antwort auf eine SMS, über den Abmeldelink einer E-Mail oder mit /stop beim Bot.`,
	futureSavesAgree: 'Jede Veröffentlichung speichern',
	futureSavesDone: (artist, platform) =>
		`Erledigt: Jede neue Veröffentlichung von ${artist} wird am Erscheinungstag in deiner ${platform}-Bibliothek gespeichert.`,
	stateInvalidTitle: 'Dieser Anmeldelink funktioniert nicht',
	stateInvalidText:
		'Er wurde vielleicht verändert oder unvollständig kopiert. Es wurde nichts gespeichert. Bitte starte noch einmal auf der Vorab-Seite.',
	stateUsedTitle: 'Diese Anmeldung wurde schon verwendet',
	stateUsedText: 'Jede Anmeldung funktioniert nur einmal. Es wurde nichts Neues gespeichert.',
	stateExpiredTitle: 'Die Anmeldung hat zu lange gedauert',
	stateExpiredText:
		'Zu deiner Sicherheit ist sie abgelaufen. Es wurde nichts gespeichert. Bitte starte noch einmal.',
	deniedTitle: 'Kein Problem',
	deniedText: (platform) =>
		`Du hast den Zugriff auf ${platform} nicht erlaubt, daher wurde nichts gespeichert. Du kannst es jederzeit erneut versuchen.`,
	platformErrorTitle: 'Das hat nicht geklappt',
	platformErrorText: (platform) =>
		`${platform} hat die Anmeldung nicht abgeschlossen. Es wurde nichts gespeichert. Bitte versuche es gleich noch einmal.`,
	presaveRefusedText: 'Wir konnten dieses Vorab-Speichern für dieses Konto nicht festhalten.',
	sessionExpiredTitle: 'Diese Seite ist abgelaufen',
	sessionExpiredText:
		'Dein Vorab-Speichern bleibt bestehen. Um die Extras wieder zu sehen, speichere noch einmal auf der Kampagnenseite.',
	notFoundTitle: 'Seite nicht gefunden',
	notFoundText: 'Diese Vorab-Seite gibt es nicht. Bitte prüfe den Link.',
	tryAgain: 'Noch einmal versuchen',
	backToPresave: 'Zurück zur Vorab-Seite',
};

const LANGUAGES: Record<string, PresaveStrings> = { en, de };
export const DEFAULT_LANGUAGE = 'en';

/** Platform names are brands: the same in every language. */
export { PLATFORM_NAMES } from '../core/future-saves';

function primary(tag: string): string {
	return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

/**
 * The page language: `?lang=`, else the browser's Accept-Language in its order of
 * preference, else the campaign's language, else English; only languages we have.
 */
export function pickLanguage(
	requested: string | undefined,
	acceptLanguage: string | undefined,
	campaignLocale: string,
): string {
	const preferred = (acceptLanguage ?? '')
		.split(',')
		.map((part) => {
			const [tag, ...params] = part.split(';');
			const quality = params.map((param) => /^\s*q=([\d.]+)/.exec(param)?.[1]).find(Boolean);
			return { tag: primary(tag), quality: quality === undefined ? 1 : Number(quality) };
		})
		.filter((entry) => entry.tag && entry.quality > 0)
		.sort((a, b) => b.quality - a.quality)
		.map((entry) => entry.tag);
	const candidates = [requested ? primary(requested) : '', ...preferred, primary(campaignLocale)];
	return candidates.find((tag) => Object.hasOwn(LANGUAGES, tag)) ?? DEFAULT_LANGUAGE;
}

export function stringsFor(language: string): PresaveStrings {
	return Object.hasOwn(LANGUAGES, language) ? LANGUAGES[language] : en;
}
