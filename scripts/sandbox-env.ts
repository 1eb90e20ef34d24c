/**
 * The hub's provider settings for `npm start` when the environment configures none: the
 * sandbox stand-ins' URLs and credentials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
	SANDBOX_DISCORD,
	SANDBOX_TELEGRAM,
	type CommunitySandbox,
	type MessagingSandbox,
	type StreamingSandbox,
} from '../sandbox/src';

/** The hub's provider settings: the real ones from the environment, else the sandbox's stand-ins. */
export function messagingEnv(sandbox: MessagingSandbox | undefined): NodeJS.ProcessEnv {
	if (!sandbox) return {};
	const { twilio, smtp } = sandbox.credentials;
	return {
		FANLOOP_TWILIO_ACCOUNT_SID: twilio.accountSid,
		FANLOOP_TWILIO_AUTH_TOKEN: twilio.authToken,
		FANLOOP_TWILIO_FROM: twilio.from,
		FANLOOP_TWILIO_API_URL: sandbox.urls.twilio,
		FANLOOP_SMTP_URL: sandbox.urls.smtp,
		FANLOOP_EMAIL_FROM: smtp.from,
	};
}

/** The streaming apps: the real ones from the environment, else the sandbox's stand-ins (the Apple key written to a file). */
export function streamingEnv(
	sandbox: StreamingSandbox | undefined,
	secrets: string,
): NodeJS.ProcessEnv {
	if (!sandbox) return {};
	const { spotify, appleMusic, deezer, youtube } = sandbox.credentials;
	const appleKeyFile = path.join(secrets, 'sandbox-apple-music.p8');
	fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
	fs.writeFileSync(appleKeyFile, appleMusic.privateKeyPem, { mode: 0o600 });
	return {
		FANLOOP_SPOTIFY_CLIENT_ID: spotify.clientId,
		FANLOOP_SPOTIFY_CLIENT_SECRET: spotify.clientSecret,
		FANLOOP_SPOTIFY_ACCOUNTS_URL: sandbox.urls.spotifyAccounts,
		FANLOOP_SPOTIFY_API_URL: sandbox.urls.spotifyApi,
		FANLOOP_APPLE_MUSIC_TEAM_ID: appleMusic.teamId,
		FANLOOP_APPLE_MUSIC_KEY_ID: appleMusic.keyId,
		FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE: appleKeyFile,
		FANLOOP_APPLE_MUSIC_API_URL: sandbox.urls.appleMusic,
		FANLOOP_DEEZER_APP_ID: deezer.appId,
		FANLOOP_DEEZER_SECRET: deezer.secret,
		FANLOOP_DEEZER_API_URL: sandbox.urls.deezerApi,
		FANLOOP_DEEZER_CONNECT_URL: sandbox.urls.deezerConnect,
		FANLOOP_APPLE_MUSICKIT_SCRIPT_URL: `${sandbox.urls.appleMusic}/musickit.js`,
		FANLOOP_YOUTUBE_CLIENT_ID: youtube.clientId,
		FANLOOP_YOUTUBE_CLIENT_SECRET: youtube.clientSecret,
		FANLOOP_YOUTUBE_TOKEN_URL: `${sandbox.urls.youtube}/token`,
		FANLOOP_YOUTUBE_AUTHORIZE_URL: `${sandbox.urls.youtube}/o/oauth2/v2/auth`,
		FANLOOP_YOUTUBE_API_URL: sandbox.urls.youtube,
	};
}

/** The bots: the real ones from the environment, else the Telegram and Discord stand-ins. */
export function communityEnv(sandbox: CommunitySandbox | undefined): NodeJS.ProcessEnv {
	if (!sandbox) return {};
	return {
		FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
		FANLOOP_TELEGRAM_API_URL: sandbox.telegram.apiRoot,
		FANLOOP_TELEGRAM_CHANNEL_ID: String(sandbox.telegramChannelId),
		FANLOOP_DISCORD_BOT_TOKEN: SANDBOX_DISCORD.token,
		FANLOOP_DISCORD_APPLICATION_ID: SANDBOX_DISCORD.applicationId,
		FANLOOP_DISCORD_GUILD_ID: SANDBOX_DISCORD.guildId,
		FANLOOP_DISCORD_RELEASE_ROLE_ID: SANDBOX_DISCORD.releaseRoleId,
		FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID: SANDBOX_DISCORD.announceChannelId,
		FANLOOP_DISCORD_INVITE_CHANNEL_ID: SANDBOX_DISCORD.inviteChannelId,
		FANLOOP_DISCORD_API_URL: sandbox.discord.apiRoot,
	};
}
