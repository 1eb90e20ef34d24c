import type { PlatformGrant } from '../../hub/src/core/streaming/platform';
import { BrevoDoubleOptIn } from '../../hub/src/providers/brevo';
import { DiscordRestClient } from '../../hub/src/providers/discord';
import { fanAuthorizations } from '../../hub/src/providers/fan-authorization';
import {
	onProviderCall,
	secretFingerprint,
	type LoggedProviderCall,
} from '../../hub/src/providers/http-client';
import { MailchimpDoubleOptIn } from '../../hub/src/providers/mailchimp';
import { SPOTIFY_SCOPES } from '../../hub/src/providers/spotify';
import { streamingPlatforms } from '../../hub/src/providers/streaming';
import { TelegramClient } from '../../hub/src/providers/telegram';
import { TwilioSms } from '../../hub/src/providers/twilio';
import { YouTubePlatform } from '../../hub/src/providers/youtube';
import {
	SANDBOX_DISCORD,
	SANDBOX_TELEGRAM,
	startDiscordStandIn,
	startTelegramStandIn,
} from '../../sandbox/src/community';
import {
	SANDBOX_BREVO,
	SANDBOX_MAILCHIMP,
	SANDBOX_TWILIO,
	startMessagingSandbox,
} from '../../sandbox/src/messaging';
import {
	SANDBOX_DEMO_RELEASE,
	startStreamingSandbox,
	type StreamingSandbox,
} from '../../sandbox/src/streaming';
import { specExceptions } from './listed-calls';
import { problemsOf, type CheckContext } from './spec-checks';

/**
 * Every call the hub makes in these runs, checked against the providers' published specs
 * (test/contract/specs): method and path, required parameters, body encoding, the scopes the
 * spec names, and the status and fields of each answer the hub reads. The runs drive the
 * hub's real adapters against the sandbox's stand-ins, with grants from the hub's own consent
 * links.
 */
describe('every provider call the hub makes, against the published specs', () => {
	const calls: LoggedProviderCall[] = [];
	const scopesByToken = new Map<string, string[]>();
	const extendedQuotaSpotifyOrigins = new Set<string>();
	let stopListening: () => void;

	beforeAll(() => {
		stopListening = onProviderCall((call) => calls.push(call));
	});

	afterAll(() => stopListening());

	function context(): CheckContext {
		return { scopesByToken, exceptions: specExceptions({ extendedQuotaSpotifyOrigins }) };
	}

	function remember(grant: PlatformGrant): PlatformGrant {
		scopesByToken.set(secretFingerprint(grant.accessToken), grant.scopes);
		return grant;
	}

	/** A fan through the hub's consent link: its scope list, the consent screen, the code exchange. */
	async function consent(
		sandbox: StreamingSandbox,
		platform: 'spotify' | 'youtube',
		userId: string,
		follow: boolean,
		extraScopes: string[] = [],
	): Promise<PlatformGrant> {
		const clock = () => sandbox.clock.now();
		const authorization = fanAuthorizations({
			spotify: {
				...sandbox.credentials.spotify,
				accountsUrl: sandbox.urls.spotifyAccounts,
				apiUrl: sandbox.urls.spotifyApi,
				clock,
			},
			youtube: {
				...sandbox.credentials.youtube,
				tokenUrl: `${sandbox.urls.youtube}/token`,
				apiUrl: sandbox.urls.youtube,
				clock,
			},
		}).get(platform);
		if (authorization?.flow !== 'redirect') throw new Error(`${platform} consents by redirect`);
		const redirectUri =
			platform === 'spotify'
				? sandbox.credentials.spotify.redirectUris[0]
				: sandbox.credentials.youtube.redirectUris[0];
		const link = new URL(authorization.authorizeUrl({ state: 's', redirectUri, follow }));
		const scopes = [...(link.searchParams.get('scope') ?? '').split(' '), ...extraScopes];
		const code =
			platform === 'spotify'
				? sandbox.spotify.authorizeDirect({ userId, scopes, redirectUri })
				: sandbox.youtube.authorizeDirect({ userId, scopes, redirectUri });
		const { grant } = await authorization.exchange({ code, redirectUri });
		return remember(grant);
	}

	function checkAll(): string[] {
		return calls.flatMap((call) => problemsOf(call, context()));
	}

	/** The problems of the calls one run made. */
	let firstCallOfRun = 0;
	beforeEach(() => {
		firstCallOfRun = calls.length;
	});
	function checkRun(): string[] {
		return calls.slice(firstCallOfRun).flatMap((call) => problemsOf(call, context()));
	}

	afterAll(() => {
		// Printed once, so a failure names every wrong call at a glance.
		const problems = checkAll();
		if (problems.length > 0) console.error(problems.join('\n'));
	});

	it('Spotify, development mode: find, save, check, follow a playlist, refresh', async () => {
		const sandbox = await startStreamingSandbox();
		try {
			const spotify = streamingPlatforms({
				spotify: {
					...sandbox.credentials.spotify,
					accountsUrl: sandbox.urls.spotifyAccounts,
					apiUrl: sandbox.urls.spotifyApi,
					clock: () => sandbox.clock.now(),
				},
			}).get('spotify')!;
			const grant = await consent(sandbox, 'spotify', 'contract-fan-1', false);
			const release = await spotify.library!.findRelease({
				upc: SANDBOX_DEMO_RELEASE.upc,
				isrcs: [SANDBOX_DEMO_RELEASE.isrc],
			});
			await spotify.library!.saveRelease(grant, release!);
			await expect(spotify.library!.isSaved(grant, release!)).resolves.toBe(true);
			remember(await spotify.refresh!(grant));
			// No campaign feature puts the playlist scope in the consent link yet; a grant that has it
			// follows a playlist through the library.
			const withPlaylist = await consent(sandbox, 'spotify', 'contract-fan-2', false, [
				SPOTIFY_SCOPES.followPlaylist,
			]);
			await spotify.followPlaylist!(withPlaylist, '37i9dQZF1DXcBWIGoYBM5M');
			expect(spotify.followArtist).toBeUndefined();
		} finally {
			await sandbox.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('Spotify, extended quota: follow the artist with the consent link’s scopes', async () => {
		const sandbox = await startStreamingSandbox({ spotifyDevModeUserCap: 0 });
		extendedQuotaSpotifyOrigins.add(new URL(sandbox.urls.spotifyApi).origin);
		try {
			const spotify = streamingPlatforms({
				spotify: {
					...sandbox.credentials.spotify,
					accountsUrl: sandbox.urls.spotifyAccounts,
					apiUrl: sandbox.urls.spotifyApi,
					clock: () => sandbox.clock.now(),
				},
			}).get('spotify')!;
			const grant = await consent(sandbox, 'spotify', 'contract-fan-3', true);
			await spotify.followArtist!(grant, SANDBOX_DEMO_RELEASE.spotify.artistUri);
		} finally {
			await sandbox.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('YouTube: consent, find the fan’s channel, subscribe, refresh', async () => {
		const sandbox = await startStreamingSandbox();
		try {
			const youtube = new YouTubePlatform({
				...sandbox.credentials.youtube,
				tokenUrl: `${sandbox.urls.youtube}/token`,
				apiUrl: sandbox.urls.youtube,
				clock: () => sandbox.clock.now(),
			});
			const grant = await consent(sandbox, 'youtube', 'contract-fan-4', true);
			await youtube.followArtist(grant, SANDBOX_DEMO_RELEASE.youtube.channelId);
			remember(await youtube.refresh(grant));
		} finally {
			await sandbox.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('Apple Music and Deezer: every call is one their first-party references document', async () => {
		const sandbox = await startStreamingSandbox();
		try {
			const clock = () => sandbox.clock.now();
			const { appleMusic, deezer } = sandbox.credentials;
			const authorizations = fanAuthorizations({
				apple_music: { ...appleMusic, apiUrl: sandbox.urls.appleMusic, clock },
				deezer: {
					...deezer,
					apiUrl: sandbox.urls.deezerApi,
					connectUrl: sandbox.urls.deezerConnect,
				},
			});
			const platforms = streamingPlatforms({
				apple_music: { ...appleMusic, apiUrl: sandbox.urls.appleMusic, clock },
				deezer: { ...deezer, apiUrl: sandbox.urls.deezerApi },
			});
			const apple = authorizations.get('apple_music');
			if (apple?.flow !== 'musickit') throw new Error('Apple Music consents through MusicKit');
			const appleGrant = (
				await apple.connect(sandbox.appleMusic.issueMusicUserToken('contract-fan-5'))
			).grant;
			const appleLibrary = platforms.get('apple_music')!.library!;
			const appleRelease = await appleLibrary.findRelease({
				upc: SANDBOX_DEMO_RELEASE.upc,
				isrcs: [SANDBOX_DEMO_RELEASE.isrc],
			});
			await appleLibrary.saveRelease(appleGrant, appleRelease!);
			await expect(appleLibrary.isSaved(appleGrant, appleRelease!)).resolves.toBe(true);

			const deezerAuthorization = authorizations.get('deezer');
			if (deezerAuthorization?.flow !== 'redirect') throw new Error('Deezer consents by redirect');
			const code = sandbox.deezer.authorizeDirect({
				userId: 'contract-fan-6',
				perms: ['basic_access', 'manage_library', 'offline_access'],
			});
			const deezerGrant = (
				await deezerAuthorization.exchange({ code, redirectUri: deezer.redirectUri })
			).grant;
			const deezerPlatform = platforms.get('deezer')!;
			const deezerRelease = await deezerPlatform.library!.findRelease({
				upc: SANDBOX_DEMO_RELEASE.upc,
				isrcs: [SANDBOX_DEMO_RELEASE.isrc],
			});
			await deezerPlatform.library!.saveRelease(deezerGrant, deezerRelease!);
			await expect(deezerPlatform.library!.isSaved(deezerGrant, deezerRelease!)).resolves.toBe(
				true,
			);
			await deezerPlatform.followArtist!(deezerGrant, SANDBOX_DEMO_RELEASE.deezer.artistId);
		} finally {
			await sandbox.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('Twilio, Mailchimp and Brevo: an SMS, a list double opt-in and its status', async () => {
		const sandbox = await startMessagingSandbox();
		try {
			const sms = new TwilioSms({ ...SANDBOX_TWILIO, apiUrl: sandbox.urls.twilio });
			await sms.send({ to: '+14155550100', body: 'Reply YES to get texts from Nia Vale.' });
			const mailchimp = new MailchimpDoubleOptIn({
				apiKey: SANDBOX_MAILCHIMP.apiKey,
				listId: SANDBOX_MAILCHIMP.listId,
				apiUrl: sandbox.urls.mailchimp,
			});
			await mailchimp.request('contract@example.com');
			await expect(mailchimp.status('contract@example.com')).resolves.toBe('pending');
			const brevo = new BrevoDoubleOptIn({
				apiKey: SANDBOX_BREVO.apiKey,
				listId: SANDBOX_BREVO.listId,
				templateId: SANDBOX_BREVO.doiTemplateId,
				apiUrl: sandbox.urls.brevo,
			});
			await brevo.request('contract@example.com', 'https://hub.example/optin/confirmed');
		} finally {
			await sandbox.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('Telegram and Discord: the hub’s own REST calls (the bots run on grammY and discord.js)', async () => {
		const telegram = await startTelegramStandIn();
		const discord = await startDiscordStandIn();
		try {
			const channel = telegram.createChannel({ title: 'Nia Vale Inner Circle' });
			const telegramClient = new TelegramClient({
				botToken: SANDBOX_TELEGRAM.token,
				apiRoot: telegram.apiRoot,
				channelId: String(channel.id),
			});
			const fan = telegram.createUser();
			telegram.send(fan.id, '/start');
			await telegramClient.telegramStartLink('contract');
			await telegramClient.sendDirect(String(fan.id), 'Halo is out now.');
			await telegramClient.announce('Halo is out now.');
			await telegramClient.telegramChannelInvite('contract fan');

			const discordClient = new DiscordRestClient({
				botToken: SANDBOX_DISCORD.token,
				guildId: SANDBOX_DISCORD.guildId,
				releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
				announcementChannelId: SANDBOX_DISCORD.announceChannelId,
				inviteChannelId: SANDBOX_DISCORD.inviteChannelId,
				apiRoot: discord.apiRoot,
			});
			const user = discord.addUser('contract-fan');
			discord.addMember(user.id);
			await discordClient.sendDirect(user.id, 'Halo is out now.');
			await discordClient.announce('Halo is out now.');
			await discordClient.grant(user.id);
			await discordClient.revoke(user.id);
			await discordClient.discordInvite();
		} finally {
			await telegram.close();
			await discord.stop();
		}
		expect(checkRun()).toEqual([]);
	});

	it('heard calls to every provider the hub talks to', () => {
		expect([...new Set(calls.map((call) => call.provider))].sort()).toEqual(
			[
				'apple_music',
				'brevo',
				'deezer',
				'discord',
				'mailchimp',
				'spotify',
				'telegram',
				'twilio',
				'youtube',
			].sort(),
		);
	});

	it('refuses what the specs refuse: a deprecated follow, a missing scope, a missing parameter, an unlisted call', () => {
		const grant = '<redacted:000000000001>';
		scopesByToken.set(grant, ['user-library-modify']);
		const call = (over: Partial<LoggedProviderCall>): LoggedProviderCall => ({
			provider: 'spotify',
			method: 'GET',
			url: 'http://127.0.0.1:1/v1/me/library/contains',
			path: '/v1/me/library/contains',
			query: { uris: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy' },
			headers: { authorization: `Bearer ${grant}` },
			bodyEncoding: 'none',
			body: undefined,
			...over,
		});
		expect(problemsOf(call({}), context())).toEqual([
			expect.stringContaining('needs one of the scopes user-library-read'),
		]);
		expect(
			problemsOf(
				call({ method: 'PUT', path: '/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/followers', query: {} }),
				context(),
			),
		).toEqual(
			expect.arrayContaining([
				expect.stringContaining('marks PUT /playlists/{playlist_id}/followers deprecated'),
			]),
		);
		// The follow endpoint an extended-quota app keeps is still deprecated for a development-mode one.
		expect(
			problemsOf(
				call({ method: 'PUT', path: '/v1/me/following', query: { type: 'artist', ids: 'x' } }),
				context(),
			),
		).toEqual(expect.arrayContaining([expect.stringContaining('deprecated')]));
		expect(problemsOf(call({ path: '/v1/search', query: { type: 'album' } }), context())).toEqual([
			expect.stringContaining('"q" is missing'),
		]);
		// An answer without the field the hub reads (the fan's id) fails as well.
		expect(
			problemsOf(
				call({ path: '/v1/me', query: {}, response: { status: 200, body: { display_name: 'x' } } }),
				context(),
			),
		).toEqual([expect.stringContaining('answer lacks "id"')]);
		expect(problemsOf(call({ path: '/v1/me/tracks', query: {} }), context())).toEqual([
			expect.stringContaining('no published spec has this call'),
		]);
	});
});
