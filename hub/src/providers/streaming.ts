import type { StreamingPlatform, StreamingPlatformName } from '../core/streaming/platform';
import { AppleMusicPlatform, type AppleMusicConfig } from './apple-music';
import { DeezerPlatform, type DeezerConfig } from './deezer';
import { SpotifyPlatform, type SpotifyConfig } from './spotify';
import { YouTubePlatform, type YouTubeConfig } from './youtube';

export interface StreamingPlatformConfigs {
	spotify: SpotifyConfig;
	apple_music: AppleMusicConfig;
	deezer: DeezerConfig;
	youtube: YouTubeConfig;
}

/** The adapters for the platforms this hub has app credentials for; the others stay absent. */
export function streamingPlatforms(
	config: Partial<StreamingPlatformConfigs>,
): Map<StreamingPlatformName, StreamingPlatform> {
	const platforms = new Map<StreamingPlatformName, StreamingPlatform>();
	if (config.spotify) platforms.set('spotify', new SpotifyPlatform(config.spotify));
	if (config.apple_music) platforms.set('apple_music', new AppleMusicPlatform(config.apple_music));
	if (config.deezer) platforms.set('deezer', new DeezerPlatform(config.deezer));
	if (config.youtube) platforms.set('youtube', new YouTubePlatform(config.youtube));
	return platforms;
}
