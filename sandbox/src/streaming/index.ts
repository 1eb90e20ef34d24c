import { SandboxClock } from '../core/clock';
import { AppleMusicStandIn, generateMusicKitKey, type MusicKitKey } from './apple-music';
import { DeezerStandIn } from './deezer';
import { SpotifyStandIn } from './spotify';
import { YouTubeStandIn } from './youtube';

export {
	SpotifyStandIn,
	SPOTIFY_ACCESS_TOKEN_LIFETIME_SECONDS,
	SPOTIFY_MAX_LIBRARY_URIS,
	SPOTIFY_TOKEN_MESSAGE,
	SPOTIFY_UNREGISTERED_USER_MESSAGE,
	type SpotifyAuthorizeDirect,
	type SpotifyRelease,
	type SpotifyStandInOptions,
} from './spotify';
export {
	AppleMusicStandIn,
	APPLE_MAX_DEVELOPER_TOKEN_SECONDS,
	generateMusicKitKey,
	signDeveloperToken,
	type AppleMusicRelease,
	type AppleMusicStandInOptions,
	type MusicKitKey,
} from './apple-music';
export {
	DeezerStandIn,
	type DeezerAuthorizeDirect,
	type DeezerRelease,
	type DeezerStandInOptions,
} from './deezer';
export {
	YouTubeStandIn,
	SUBSCRIPTION_WRITE_UNITS,
	YOUTUBE_FORCE_SSL_SCOPE,
	YOUTUBE_READONLY_SCOPE,
	YOUTUBE_SCOPE,
	type YouTubeAuthorizeDirect,
	type YouTubeStandInOptions,
} from './youtube';

/** Sandbox-only app credentials: they open nothing but these loopback stand-ins. */
export const SANDBOX_SPOTIFY = {
	clientId: 'f0a1b2c3d4e5f60718293a4b5c6d7e8f',
	clientSecret: 'sandbox-spotify-client-secret',
} as const;
export const SANDBOX_APPLE_MUSIC = { teamId: 'FANLOOPSBX' } as const;
export const SANDBOX_DEEZER = { appId: '700001', secret: 'sandbox-deezer-secret' } as const;
export const SANDBOX_YOUTUBE = {
	clientId: '700001-sandbox.apps.googleusercontent.com',
	clientSecret: 'sandbox-youtube-client-secret',
} as const;

/** The hub's default address (`startHub` listens on 8790), where its OAuth callbacks live by default. */
const HUB_URL = 'http://127.0.0.1:8790';

/** One release seeded in every catalog so a campaign can be tried end to end on one laptop. */
export const SANDBOX_DEMO_RELEASE = {
	title: 'Loop Back Home',
	artistName: 'The Sandbox Sessions',
	upc: '0196922000017',
	isrc: 'QZFLP2600001',
	spotify: {
		albumUri: 'spotify:album:5anDb0xDem0A1bum000001',
		trackUri: 'spotify:track:5anDb0xDem0Track000001',
		artistUri: 'spotify:artist:5anDb0xDem0Art1st00001',
	},
	appleMusic: { albumId: '1790000001', songId: '1790000002' },
	deezer: { albumId: '700000001', trackId: '3100000001', artistId: '5100001' },
	youtube: { channelId: 'UCsandboxSessions0000001' },
} as const;

export interface StreamingSandboxOptions {
	clock?: SandboxClock;
	/** Fixed ports; any left out are chosen free by the system. */
	ports?: Partial<
		Record<
			'spotifyAccounts' | 'spotifyApi' | 'appleMusic' | 'deezerConnect' | 'deezerApi' | 'youtube',
			number
		>
	>;
	redirectUris?: { spotify?: string[]; deezer?: string; youtube?: string[] };
	/** Spotify's development-mode user cap (default 5; 0 = extended quota). */
	spotifyDevModeUserCap?: number;
	/** Rolling-window budgets (default: Spotify 180 per 30 s, Deezer 50 per 5 s); raise them for load tests. */
	rateLimits?: {
		spotify?: { requests: number; windowMs: number };
		deezer?: { requests: number; windowMs: number };
	};
	/** Seed the demo release (default true). */
	seedDemoRelease?: boolean;
}

export interface StreamingSandbox {
	clock: SandboxClock;
	spotify: SpotifyStandIn;
	appleMusic: AppleMusicStandIn;
	deezer: DeezerStandIn;
	youtube: YouTubeStandIn;
	urls: {
		spotifyAccounts: string;
		spotifyApi: string;
		appleMusic: string;
		deezerConnect: string;
		deezerApi: string;
		youtube: string;
	};
	credentials: {
		/** `appMode`: the quota mode the stand-in plays, for the hub's Spotify config. */
		spotify: typeof SANDBOX_SPOTIFY & {
			redirectUris: string[];
			appMode: 'development' | 'extended_quota';
		};
		/** The MusicKit key is made fresh per start; the hub signs developer tokens with `privateKeyPem`. */
		appleMusic: typeof SANDBOX_APPLE_MUSIC & MusicKitKey;
		deezer: typeof SANDBOX_DEEZER & { redirectUri: string };
		youtube: typeof SANDBOX_YOUTUBE & { redirectUris: string[] };
	};
	stop(): Promise<void>;
}

/** Starts every streaming stand-in on loopback with the sandbox credentials. */
export async function startStreamingSandbox(
	options: StreamingSandboxOptions = {},
): Promise<StreamingSandbox> {
	const clock = options.clock ?? new SandboxClock();
	const ports = options.ports ?? {};
	const spotifyRedirectUris = options.redirectUris?.spotify ?? [
		`${HUB_URL}/oauth/spotify/callback`,
	];
	const deezerRedirectUri = options.redirectUris?.deezer ?? `${HUB_URL}/oauth/deezer/callback`;
	const youtubeRedirectUris = options.redirectUris?.youtube ?? [
		`${HUB_URL}/oauth/youtube/callback`,
	];
	const musicKitKey = generateMusicKitKey();

	const spotify = new SpotifyStandIn({
		...SANDBOX_SPOTIFY,
		redirectUris: spotifyRedirectUris,
		devModeUserCap: options.spotifyDevModeUserCap,
		rateLimit: options.rateLimits?.spotify,
		clock,
	});
	const appleMusic = new AppleMusicStandIn({
		teamId: SANDBOX_APPLE_MUSIC.teamId,
		keyId: musicKitKey.keyId,
		publicKeyPem: musicKitKey.publicKeyPem,
		clock,
	});
	const deezer = new DeezerStandIn({
		...SANDBOX_DEEZER,
		redirectUri: deezerRedirectUri,
		rateLimit: options.rateLimits?.deezer,
		clock,
	});
	const youtube = new YouTubeStandIn({
		...SANDBOX_YOUTUBE,
		redirectUris: youtubeRedirectUris,
		clock,
	});

	const started: Array<{ stop(): Promise<void> }> = [];
	const stop = async (): Promise<void> => {
		await Promise.all(started.map((standIn) => standIn.stop()));
	};
	try {
		const spotifyUrls = await spotify.start({
			accounts: ports.spotifyAccounts,
			api: ports.spotifyApi,
		});
		started.push(spotify);
		const appleMusicUrl = await appleMusic.start(ports.appleMusic);
		started.push(appleMusic);
		const deezerUrls = await deezer.start({ connect: ports.deezerConnect, api: ports.deezerApi });
		started.push(deezer);
		const youtubeUrl = await youtube.start(ports.youtube);
		started.push(youtube);

		if (options.seedDemoRelease ?? true) seedDemoRelease(spotify, appleMusic, deezer);
		return {
			clock,
			spotify,
			appleMusic,
			deezer,
			youtube,
			urls: {
				spotifyAccounts: spotifyUrls.accountsUrl,
				spotifyApi: spotifyUrls.apiUrl,
				appleMusic: appleMusicUrl,
				deezerConnect: deezerUrls.connectUrl,
				deezerApi: deezerUrls.apiUrl,
				youtube: youtubeUrl,
			},
			credentials: {
				spotify: {
					...SANDBOX_SPOTIFY,
					redirectUris: spotifyRedirectUris,
					appMode: options.spotifyDevModeUserCap === 0 ? 'extended_quota' : 'development',
				},
				appleMusic: { ...SANDBOX_APPLE_MUSIC, ...musicKitKey },
				deezer: { ...SANDBOX_DEEZER, redirectUri: deezerRedirectUri },
				youtube: { ...SANDBOX_YOUTUBE, redirectUris: youtubeRedirectUris },
			},
			stop,
		};
	} catch (error) {
		// A port already taken must not leave the others listening.
		await stop();
		throw error;
	}
}

function seedDemoRelease(
	spotify: SpotifyStandIn,
	appleMusic: AppleMusicStandIn,
	deezer: DeezerStandIn,
): void {
	const demo = SANDBOX_DEMO_RELEASE;
	spotify.addRelease({
		albumUri: demo.spotify.albumUri,
		upc: demo.upc,
		isrcs: [demo.isrc],
		trackUris: [demo.spotify.trackUri],
		name: demo.title,
		artistUri: demo.spotify.artistUri,
		artistName: demo.artistName,
	});
	appleMusic.addRelease({
		albumId: demo.appleMusic.albumId,
		upc: demo.upc,
		songIds: [demo.appleMusic.songId],
		isrcs: [demo.isrc],
		name: demo.title,
		artistName: demo.artistName,
	});
	deezer.addRelease({
		albumId: demo.deezer.albumId,
		upc: demo.upc,
		trackIds: [demo.deezer.trackId],
		isrcs: [demo.isrc],
		artistId: demo.deezer.artistId,
		title: demo.title,
		artistName: demo.artistName,
	});
}
