import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../core/errors';
import type { Action, Campaign } from '../core/model';
import type { PlatformConnection, RedirectAuthorization } from '../core/presave/authorization';
import { StateRefused, type ConsumedState, type StateRefusal } from '../core/presave/oauth-states';
import type { CompletedPresave } from '../core/presave/presaves';
import {
	PlatformError,
	STREAMING_PLATFORMS,
	type StreamingPlatformName,
} from '../core/streaming/platform';
import type { Logger } from '../core/logger';
import type { HubServices } from '../services';
import { agreeToFutureSaves, futureSavesOffer } from './future-saves-layer';
import { sendPage, type PageOptions } from './html';
import { APPLE_MUSIC_CONNECT_SCRIPT } from './presave-apple-music-script';
import { DIRECT_SOURCE } from '../core/insights/page-counters';
import { linkSourceOf, pageSourceOf, rememberCampaign } from './page-counters';
import { pageUrlOf, presavePaths } from './presave-paths';
import { reconnectedText, registerReconnectPages } from './reconnect-routes';
import { pickLanguage, PLATFORM_NAMES, stringsFor, type PresaveStrings } from './presave-strings';
import {
	appleMusicConnectBody,
	isInAppBrowser,
	layersPageBody,
	messageBody,
	presavePageBody,
	PRESAVE_STYLE,
	type LayersView,
} from './presave-views';

const APPLE_SCRIPT_PATH = '/presave/apple-music.js';
/** Rendered pre-save pages kept at once: many campaigns × languages × link sources. */
const RENDERED_PAGES_KEPT = 1_000;

type Fields = Record<string, string | undefined>;

function isStreamingPlatform(value: string): value is StreamingPlatformName {
	return (STREAMING_PLATFORMS as readonly string[]).includes(value);
}

/** A query's or form's single text values: a repeated or structured field counts as absent. */
function textFields(fields: unknown): Fields {
	if (typeof fields !== 'object' || fields === null) return {};
	return Object.fromEntries(
		Object.entries(fields).filter(
			(entry): entry is [string, string] => typeof entry[1] === 'string',
		),
	);
}

const queryOf = (request: FastifyRequest) => textFields(request.query);
const formOf = (request: FastifyRequest) => textFields(request.body);

function originOf(url: string): string {
	return new URL(url).origin;
}

/** The fan's pages of a campaign: pre-save, platform consent round trips, and the layers after it. */
export function registerPresavePages(
	app: FastifyInstance,
	services: HubServices,
	logger: Logger,
): void {
	const { ledger, program } = services;
	const { presaves, authorizations, states, sessions, references, reconnects } = services.presave;
	registerReconnectPages(app, services);
	const redirectUri = (platform: StreamingPlatformName) =>
		`${program.publicUrl}${presavePaths.callback(platform)}`;

	const page = (
		reply: FastifyReply,
		status: number,
		language: string,
		title: string,
		body: string,
		options: PageOptions = {},
	) => sendPage(reply, status, title, body, { lang: language, style: PRESAVE_STYLE, ...options });

	const languageOf = (request: FastifyRequest, campaignLocale: string, requested?: string) =>
		pickLanguage(
			requested ?? queryOf(request).lang,
			request.headers['accept-language'],
			campaignLocale,
		);

	async function campaignBySlug(
		request: FastifyRequest,
		slug: string,
	): Promise<Campaign | undefined> {
		// Only slugs reach the database: a campaign id in the URL must not open its page.
		if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return undefined;
		const campaign = await ledger.campaigns.get(slug).catch((error: unknown) => {
			if (error instanceof HubError && error.code === 'campaign_not_found') return undefined;
			throw error;
		});
		if (campaign?.slug !== slug) return undefined;
		rememberCampaign(request, campaign);
		return campaign;
	}

	function notFound(request: FastifyRequest, reply: FastifyReply) {
		const language = languageOf(request, 'en');
		const strings = stringsFor(language);
		return page(reply, 404, language, strings.notFoundTitle, messageBody(strings.notFoundText));
	}

	/** The platforms the campaign offers that this hub can authorize, in the campaign's order. */
	const offered = (campaign: Campaign) =>
		(Object.keys(campaign.platforms) as StreamingPlatformName[]).filter(
			(platform) => isStreamingPlatform(platform) && authorizations.has(platform),
		);

	const presavePageUrl = (campaign: Campaign, language: string) =>
		`${presavePaths.page(campaign.slug)}?lang=${encodeURIComponent(language)}`;

	app.get(APPLE_SCRIPT_PATH, async (_request, reply) =>
		reply
			.headers({
				'content-type': 'text/javascript; charset=utf-8',
				'x-content-type-options': 'nosniff',
				'cache-control': 'public, max-age=3600',
			})
			.send(APPLE_MUSIC_CONNECT_SCRIPT),
	);

	/**
	 * A rendered pre-save page per campaign version, language, browser kind and link source:
	 * a campaign's page is the same for every fan, so a launch's crowd is served from here. An
	 * edited campaign has a new `updatedAt` and renders afresh; the cache is emptied when full.
	 */
	const renderedPages = new Map<string, { title: string; body: string; options: PageOptions }>();

	function renderPresavePage(
		campaign: Campaign,
		language: string,
		inAppBrowser: boolean,
		source: string | undefined,
	) {
		// The artist's name is read from the artists table: a rename does not change the campaign's updatedAt.
		const key = [
			campaign.id,
			campaign.updatedAt,
			campaign.artist,
			language,
			inAppBrowser,
			source ?? '',
		].join('\n');
		const cached = renderedPages.get(key);
		if (cached) return cached;
		const strings = stringsFor(language);
		const platforms = offered(campaign);
		// The form's buttons end on each platform's consent screen: form-action must allow those redirects.
		const consentOrigins = platforms.flatMap((platform) => {
			const authorization = authorizations.get(platform);
			return authorization?.flow === 'redirect' ? [authorization.consentOrigin] : [];
		});
		const rendered = {
			title: strings.presaveTitle(campaign.title, campaign.artist),
			body: presavePageBody({
				campaign,
				language,
				strings,
				platforms,
				offerFollow: platforms.some((platform) => presaves.canFollow(campaign, platform)),
				inAppBrowser,
				pageUrl: pageUrlOf(program.publicUrl, campaign.slug),
				source,
			}),
			options: {
				imgSrc: campaign.artworkUrl ? [originOf(campaign.artworkUrl)] : undefined,
				formAction: [...new Set(consentOrigins)],
			},
		};
		if (renderedPages.size >= RENDERED_PAGES_KEPT) renderedPages.clear();
		renderedPages.set(key, rendered);
		return rendered;
	}

	app.get('/c/:slug', async (request, reply) => {
		const campaign = await campaignBySlug(request, (request.params as { slug: string }).slug);
		if (!campaign) return notFound(request, reply);
		const language = languageOf(request, campaign.locale);
		const rendered = renderPresavePage(
			campaign,
			language,
			isInAppBrowser(request.headers['user-agent']),
			linkSourceOf(queryOf(request)),
		);
		return page(reply, 200, language, rendered.title, rendered.body, rendered.options);
	});

	app.get('/c/:slug/connect/:platform', async (request, reply) => {
		const params = request.params as { slug: string; platform: string };
		const campaign = await campaignBySlug(request, params.slug);
		const platform = params.platform;
		if (!campaign || !isStreamingPlatform(platform) || !offered(campaign).includes(platform))
			return notFound(request, reply);
		const authorization = authorizations.get(platform);
		if (!authorization) return notFound(request, reply);
		const language = languageOf(request, campaign.locale);
		// From a fan's reconnect link (/r/…): the consent renews that fan's grant; the link is checked again here.
		const reconnectLink = queryOf(request).r;
		const reconnect = reconnectLink
			? reconnects.links.read(reconnectLink, services.clock())
			: undefined;
		if (reconnect === 'invalid' || reconnect === 'expired')
			return refusedState(request, reply, reconnect);
		if (reconnect && reconnect.platform !== platform)
			return refusedState(request, reply, 'invalid');
		const follow =
			!reconnect && queryOf(request).follow === '1' && presaves.canFollow(campaign, platform);
		if (authorization.flow === 'redirect') {
			return toConsentScreen(reply, authorization, campaign, {
				follow,
				locale: language,
				reconnectFanId: reconnect?.fanId,
				source: pageSourceOf(queryOf(request)),
				// A reconnect replaces a grant that stopped working, refresh token and all: the
				// platform must issue a new one even where the fan's earlier consent still stands.
				reconsent: reconnect !== undefined,
			});
		}
		const started = await states.start({
			platform,
			campaignId: campaign.id,
			follow,
			locale: language,
			pkce: false,
			reconnectFanId: reconnect?.fanId,
			source: pageSourceOf(queryOf(request)),
		});
		const strings = stringsFor(language);
		const scriptOrigin = originOf(authorization.scriptUrl);
		return page(
			reply,
			200,
			language,
			strings.appleTitle,
			appleMusicConnectBody({
				strings,
				state: started.state,
				developerToken: authorization.developerToken(),
				appName: program.name,
			}),
			{
				scriptSrc: ["'self'", scriptOrigin],
				head: `<script src="${authorization.scriptUrl.replace(/"/g, '%22')}" defer></script><script src="${APPLE_SCRIPT_PATH}" defer></script>`,
			},
		);
	});

	/** A fresh state, then the platform's consent screen, asking for what the campaign and the fan need. */
	async function toConsentScreen(
		reply: FastifyReply,
		authorization: RedirectAuthorization,
		campaign: Campaign,
		consent: {
			follow: boolean;
			locale: string;
			reconnectFanId?: string;
			source?: string;
			reconsent: boolean;
		},
	) {
		const platform = authorization.platform;
		const started = await states.start({
			platform,
			campaignId: campaign.id,
			follow: consent.follow,
			locale: consent.locale,
			pkce: authorization.usesPkce,
			reconnectFanId: consent.reconnectFanId,
			source: consent.source,
			reconsent: consent.reconsent,
		});
		return reply
			.headers({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
			.redirect(
				authorization.authorizeUrl({
					state: started.state,
					redirectUri: redirectUri(platform),
					codeChallenge: started.codeChallenge,
					follow: consent.follow,
					followPlaylist: Boolean(campaign.platforms[platform]?.playlistId),
					keepScopes: consent.reconnectFanId
						? await ledger.tokens.grantedScopes(consent.reconnectFanId, platform)
						: undefined,
					reconsent: consent.reconsent,
				}),
				302,
			);
	}

	/**
	 * Whether a consent came back without the refresh token the hub needs and cannot have
	 * unless it asks anew: the platform issues one on a first consent only, and the hub holds
	 * none for this account (lost with a failed callback, or never received).
	 */
	async function refreshTokenWithheld(
		authorization: RedirectAuthorization,
		connection: PlatformConnection,
	): Promise<boolean> {
		if (!authorization.refreshTokenOnFirstConsentOnly || connection.grant.refreshToken !== null)
			return false;
		const holder = await ledger.fans
			.getByIdentity(authorization.platform, connection.accountId)
			.catch((error: unknown) => {
				if (error instanceof HubError && error.code === 'fan_not_found') return undefined;
				throw error;
			});
		return !holder || !(await ledger.tokens.holdsRefreshToken(holder.id, authorization.platform));
	}

	/** The end of every consent round trip: refuse a bad state, explain a refusal, or record and go on to the layers. */
	async function finish(
		request: FastifyRequest,
		reply: FastifyReply,
		platform: StreamingPlatformName,
		input: {
			state: string;
			error?: string;
			connect: (consumed: ConsumedState) => Promise<PlatformConnection>;
		},
	) {
		let consumed: ConsumedState;
		try {
			consumed = await states.consume(input.state, platform);
		} catch (error) {
			if (error instanceof StateRefused) return refusedState(request, reply, error.reason);
			throw error;
		}
		const campaign = await ledger.campaigns.get(consumed.campaignId);
		const strings = stringsFor(consumed.locale);
		const retry = { href: presavePageUrl(campaign, consumed.locale), label: strings.tryAgain };
		const platformName = PLATFORM_NAMES[platform];
		if (input.error) {
			const denied = input.error === 'access_denied' || input.error === 'user_denied';
			return page(
				reply,
				denied ? 200 : 502,
				consumed.locale,
				denied ? strings.deniedTitle : strings.platformErrorTitle,
				messageBody(
					denied ? strings.deniedText(platformName) : strings.platformErrorText(platformName),
					retry,
				),
			);
		}
		let completed: CompletedPresave | undefined;
		try {
			const connection = await input.connect(consumed);
			const authorization = authorizations.get(platform);
			if (
				authorization?.flow === 'redirect' &&
				!consumed.reconsent &&
				(await refreshTokenWithheld(authorization, connection))
			) {
				// Once only: the state of the second round trip says it was asked anew.
				return toConsentScreen(reply, authorization, campaign, {
					follow: consumed.follow,
					locale: consumed.locale,
					reconnectFanId: consumed.reconnectFanId,
					source: consumed.source,
					reconsent: true,
				});
			}
			if (consumed.reconnectFanId)
				await reconnects.renew(consumed.reconnectFanId, platform, connection);
			else
				completed = await presaves.complete({
					campaign,
					platform,
					connection,
					follow: consumed.follow,
					locale: consumed.locale,
					source: consumed.source ?? DIRECT_SOURCE,
				});
		} catch (error) {
			if (error instanceof PlatformError) {
				// The fan sees "try again"; the operator needs the platform's reason (it names no token).
				logger.warn('consent callback failed', {
					platform: platformName,
					kind: error.kind,
					reason: error.message,
				});
				return page(
					reply,
					502,
					consumed.locale,
					strings.platformErrorTitle,
					messageBody(strings.platformErrorText(platformName), retry),
				);
			}
			// The ledger's own refusal (an erased fan's suppressed account, an id it cannot store): a page, not JSON.
			if (error instanceof HubError && error.httpStatus < 500) {
				return page(
					reply,
					error.httpStatus,
					consumed.locale,
					strings.platformErrorTitle,
					messageBody(strings.presaveRefusedText),
				);
			}
			throw error;
		}
		if (!completed) {
			const { title, text } = reconnectedText(platform);
			return page(reply, 200, consumed.locale, title, messageBody(text));
		}
		const layersUrl = `${presavePaths.layers(campaign.slug)}?${new URLSearchParams({
			s: sessions.issue(completed.presave.id),
			lang: consumed.locale,
		})}`;
		return reply
			.headers({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
			.redirect(layersUrl, 303);
	}

	function refusedState(request: FastifyRequest, reply: FastifyReply, reason: StateRefusal) {
		const language = languageOf(request, 'en');
		const strings = stringsFor(language);
		const texts: Record<StateRefusal, [string, string]> = {
			invalid: [strings.stateInvalidTitle, strings.stateInvalidText],
			used: [strings.stateUsedTitle, strings.stateUsedText],
			expired: [strings.stateExpiredTitle, strings.stateExpiredText],
		};
		const [title, text] = texts[reason];
		return page(reply, 400, language, title, messageBody(text));
	}

	app.get('/oauth/:platform/callback', async (request, reply) => {
		const platform = (request.params as { platform: string }).platform;
		const authorization = isStreamingPlatform(platform) ? authorizations.get(platform) : undefined;
		if (!authorization || authorization.flow !== 'redirect') return notFound(request, reply);
		const query = queryOf(request);
		const error = query.error ?? query.error_reason;
		if (!error && !query.code) return refusedState(request, reply, 'invalid');
		return finish(request, reply, authorization.platform, {
			state: query.state ?? '',
			error,
			connect: (consumed) =>
				authorization.exchange({
					code: query.code ?? '',
					redirectUri: redirectUri(authorization.platform),
					codeVerifier: consumed.codeVerifier,
				}),
		});
	});

	app.post('/oauth/apple_music/callback', async (request, reply) => {
		const authorization = authorizations.get('apple_music');
		if (!authorization || authorization.flow !== 'musickit') return notFound(request, reply);
		const form = formOf(request);
		const token = form.music_user_token ?? '';
		return finish(request, reply, 'apple_music', {
			state: form.state ?? '',
			error: form.error || (token ? undefined : 'access_denied'),
			connect: () => authorization.connect(token),
		});
	});

	/** The pre-save a layers request's session names, for this campaign; undefined when expired or forged. */
	async function sessionPresave(
		slug: string,
		session: string,
	): Promise<{ presave: Action; campaign: Campaign } | undefined> {
		const actionId = sessions.read(session);
		if (!actionId) return undefined;
		const found = await presaves.presaveOf(actionId).catch((error: unknown) => {
			if (error instanceof HubError && error.code === 'action_not_found') return undefined;
			throw error;
		});
		return found?.campaign.slug === slug ? found : undefined;
	}

	async function layersView(
		found: { presave: Action; campaign: Campaign },
		session: string,
		language: string,
		strings: PresaveStrings,
	): Promise<LayersView> {
		const { presave, campaign } = found;
		const platform = presave.platform as StreamingPlatformName;
		const taken = await presaves.layersTaken(presave);
		const followed = taken.has('follow');
		const reference = () => references.issue({ kind: 'action', actionId: presave.id });
		return {
			campaign,
			strings,
			language,
			session,
			platform,
			followed,
			followOfferUrl:
				!followed && presaves.canFollow(campaign, platform)
					? `${presavePaths.connect(campaign.slug, platform)}?follow=1&lang=${encodeURIComponent(language)}`
					: undefined,
			requested: { sms: taken.has('optin_sms'), email: taken.has('optin_email') },
			futureSaves: await futureSavesOffer(services, found),
			telegramUrl: campaign.layers.includes('telegram') ? `/l/telegram/${reference()}` : undefined,
			discordUrl: campaign.layers.includes('discord') ? `/l/discord/${reference()}` : undefined,
		};
	}

	function sessionExpired(reply: FastifyReply, slug: string, language: string) {
		const strings = stringsFor(language);
		return page(
			reply,
			410,
			language,
			strings.sessionExpiredTitle,
			messageBody(strings.sessionExpiredText, {
				href: `${presavePaths.page(slug)}?lang=${encodeURIComponent(language)}`,
				label: strings.backToPresave,
			}),
		);
	}

	app.get('/c/:slug/layers', async (request, reply) => {
		const { slug } = request.params as { slug: string };
		const session = queryOf(request).s ?? '';
		const found = await sessionPresave(slug, session);
		if (!found) return sessionExpired(reply, slug, languageOf(request, 'en'));
		const language = languageOf(request, found.campaign.locale);
		const strings = stringsFor(language);
		return page(
			reply,
			200,
			language,
			strings.layersTitle,
			layersPageBody(await layersView(found, session, language, strings)),
		);
	});

	app.post('/c/:slug/layers/:channel', async (request, reply) => {
		const { slug, channel } = request.params as { slug: string; channel: string };
		const form = formOf(request);
		const session = form.s ?? '';
		if (channel !== 'sms' && channel !== 'email' && channel !== 'future_saves')
			return notFound(request, reply);
		const found = await sessionPresave(slug, session);
		if (!found) return sessionExpired(reply, slug, languageOf(request, 'en', form.lang));
		const language = languageOf(request, found.campaign.locale, form.lang);
		const strings = stringsFor(language);
		const refuse = async (message: string) =>
			page(
				reply,
				400,
				language,
				strings.layersTitle,
				layersPageBody({
					...(await layersView(found, session, language, strings)),
					problem: { channel, message },
				}),
			);
		// The box starts unticked; without the fan's tick there is no consent and nothing is recorded.
		if (form.consent !== 'yes') return refuse(strings.consentRequired);
		try {
			const proof = { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
			if (channel === 'future_saves') await agreeToFutureSaves(services, found, strings, proof);
			else await presaves.optIn(found.presave, found.campaign, channel, form.address ?? '', proof);
		} catch (error) {
			if (error instanceof HubError && error.httpStatus < 500) return refuse(error.message);
			throw error;
		}
		return reply
			.headers({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
			.redirect(
				`${presavePaths.layers(slug)}?${new URLSearchParams({ s: session, lang: language })}`,
				303,
			);
	});
}
