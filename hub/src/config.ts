import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { HubError } from './core/errors';
import { parseSealingKey } from './core/sealing';
import { communityConfig, type CommunityConfigInput } from '../../bot/src/config';
import type { StartHubOptions } from './index';
import type { FanAuthorizationConfigs } from './providers/fan-authorization';
import type { StreamingPlatformConfigs } from './providers/streaming';

export interface HubConfig extends StartHubSettings {
	host: string;
	port: number;
	/** The SQLite ledger lives here unless `databaseUrl` names a PostgreSQL database. */
	dataDir: string;
	databaseUrl?: string;
	sealingKey: Buffer;
	deliveryPollMs: number;
	/** How long a delivery waits for n8n's answer; the Fanloop Trigger answers when its run has finished. */
	deliveryTimeoutMs: number;
	/** How long settled events and their delivery records are kept. */
	eventRetentionMs: number;
	/** How long a claimed job is held before another hub process (or a restarted one) may take it over. */
	jobLeaseMs?: number;
	/** How long a bot's gateway connection or Telegram poller stays with a process that stopped renewing its lease. */
	botLeaseMs?: number;
}

type StartHubSettings = Pick<
	StartHubOptions,
	'publicUrl' | 'program' | 'messaging' | 'community'
> & {
	/** The adapters' settings, and what the pre-save page's sign-ins need beyond them (Deezer's OAuth host, MusicKit JS). */
	streaming: Partial<StreamingPlatformConfigs> & FanAuthorizationConfigs;
};

function readKeyFile(variable: string, path: string): string {
	try {
		return readFileSync(path, 'utf8');
	} catch (error) {
		throw new HubError(
			'configuration_invalid',
			`Cannot read ${variable} ${path}: ${(error as NodeJS.ErrnoException).code}.`,
		);
	}
}

const trimSlash = (url: string | undefined) => url?.replace(/\/$/, '');

/** A provider is on when all of its settings are given, off when none are; half a configuration is an error. */
function provider<T>(
	name: string,
	values: Record<string, string | undefined>,
	build: () => T,
): T | undefined {
	const missing = Object.entries(values)
		.filter(([, value]) => !value)
		.map(([key]) => key);
	if (missing.length === Object.keys(values).length) return undefined;
	if (missing.length > 0) {
		throw new HubError(
			'configuration_invalid',
			`${name} is half configured: also set ${missing.join(', ')}.`,
		);
	}
	return build();
}

const environment = z.object({
	FANLOOP_HOST: z.string().default('127.0.0.1'),
	FANLOOP_PORT: z.coerce.number().int().min(0).max(65535).default(8790),
	FANLOOP_DATA_DIR: z.string().default('.fanloop/hub'),
	FANLOOP_DATABASE_URL: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'FANLOOP_DATABASE_URL must be a postgres:// URL')
		.optional(),
	FANLOOP_SEALING_KEY: z.string().optional(),
	FANLOOP_SEALING_KEY_FILE: z.string().optional(),
	FANLOOP_DELIVERY_POLL_MS: z.coerce.number().int().min(10).default(500),
	FANLOOP_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10_000),
	FANLOOP_EVENT_RETENTION_DAYS: z.coerce.number().positive().default(30),
	FANLOOP_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
	FANLOOP_PROGRAM_NAME: z.string().min(1).optional(),
	FANLOOP_SMS_HELP_TEXT: z.string().min(1).optional(),
	FANLOOP_STOP_SUPPRESSES: z
		.string()
		.default('sms,email')
		.transform((value) =>
			value
				.split(',')
				.map((item) => item.trim())
				.filter(Boolean),
		)
		.pipe(z.array(z.enum(['sms', 'email']))),
	FANLOOP_TWILIO_ACCOUNT_SID: z
		.string()
		.regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio Account SID looks like AC followed by 32 hex digits')
		.optional(),
	FANLOOP_TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
	FANLOOP_TWILIO_FROM: z.string().min(3).optional(),
	FANLOOP_TWILIO_API_URL: z.url().default('https://api.twilio.com'),
	FANLOOP_SMTP_URL: z
		.string()
		.regex(/^smtps?:\/\//, 'FANLOOP_SMTP_URL must be an smtp:// or smtps:// URL')
		.optional(),
	FANLOOP_EMAIL_FROM: z.string().min(3).optional(),
	FANLOOP_MAILCHIMP_API_KEY: z
		.string()
		.regex(/^[0-9a-f]{32}-[a-z]+\d+$/, 'a Mailchimp API key looks like <32 hex>-us21')
		.optional(),
	FANLOOP_MAILCHIMP_LIST_ID: z.string().min(1).optional(),
	FANLOOP_MAILCHIMP_API_URL: z.url().optional(),
	FANLOOP_BREVO_API_KEY: z.string().min(10).optional(),
	FANLOOP_BREVO_LIST_ID: z.string().regex(/^\d+$/, 'FANLOOP_BREVO_LIST_ID is a number').optional(),
	FANLOOP_BREVO_DOI_TEMPLATE_ID: z
		.string()
		.regex(/^\d+$/, 'FANLOOP_BREVO_DOI_TEMPLATE_ID is a number')
		.optional(),
	FANLOOP_BREVO_API_URL: z.url().optional(),
	FANLOOP_SPOTIFY_CLIENT_ID: z.string().min(1).optional(),
	FANLOOP_SPOTIFY_CLIENT_SECRET: z.string().min(1).optional(),
	FANLOOP_SPOTIFY_ACCOUNTS_URL: z.url().optional(),
	FANLOOP_SPOTIFY_API_URL: z.url().optional(),
	FANLOOP_SPOTIFY_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
	/** The app's quota mode in Spotify's dashboard: only an extended-quota app can follow artists for fans. */
	FANLOOP_SPOTIFY_APP_MODE: z.enum(['development', 'extended_quota']).optional(),
	FANLOOP_APPLE_MUSIC_TEAM_ID: z.string().min(1).optional(),
	FANLOOP_APPLE_MUSIC_KEY_ID: z.string().min(1).optional(),
	FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE: z.string().min(1).optional(),
	FANLOOP_APPLE_MUSIC_API_URL: z.url().optional(),
	FANLOOP_APPLE_MUSIC_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
	FANLOOP_DEEZER_APP_ID: z.string().min(1).optional(),
	FANLOOP_DEEZER_SECRET: z.string().min(1).optional(),
	FANLOOP_DEEZER_API_URL: z.url().optional(),
	FANLOOP_DEEZER_CONNECT_URL: z.url().optional(),
	FANLOOP_APPLE_MUSICKIT_SCRIPT_URL: z.url({ protocol: /^https?$/ }).optional(),
	FANLOOP_DEEZER_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
	FANLOOP_JOB_LEASE_MS: z.coerce.number().int().min(1000).optional(),
	FANLOOP_BOT_LEASE_MS: z.coerce.number().int().min(1000).optional(),
	FANLOOP_YOUTUBE_CLIENT_ID: z.string().min(1).optional(),
	FANLOOP_YOUTUBE_CLIENT_SECRET: z.string().min(1).optional(),
	FANLOOP_YOUTUBE_TOKEN_URL: z.url().optional(),
	FANLOOP_YOUTUBE_AUTHORIZE_URL: z.url().optional(),
	FANLOOP_YOUTUBE_API_URL: z.url().optional(),
	FANLOOP_TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
	FANLOOP_TELEGRAM_API_URL: z.url().optional(),
	FANLOOP_TELEGRAM_CHANNEL_ID: z.string().min(1).optional(),
	FANLOOP_TELEGRAM_MESSAGES_PER_SECOND: z.coerce.number().positive().optional(),
	FANLOOP_TELEGRAM_UPDATES: z.enum(['polling', 'webhook']).default('polling'),
	FANLOOP_TELEGRAM_WEBHOOK_SECRET: z.string().min(1).optional(),
	FANLOOP_TELEGRAM_WEBHOOK_URL: z.url().optional(),
	FANLOOP_DISCORD_BOT_TOKEN: z.string().min(1).optional(),
	FANLOOP_DISCORD_APPLICATION_ID: z.string().min(1).optional(),
	FANLOOP_DISCORD_GUILD_ID: z.string().min(1).optional(),
	FANLOOP_DISCORD_RELEASE_ROLE_ID: z.string().min(1).optional(),
	FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID: z.string().min(1).optional(),
	FANLOOP_DISCORD_INVITE_CHANNEL_ID: z.string().min(1).optional(),
	FANLOOP_DISCORD_API_URL: z.url().optional(),
	FANLOOP_DISCORD_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
	/** in-process: the hub runs the bots; separate: they run on their own (`fanloop-hub bots`). */
	FANLOOP_BOTS: z.enum(['in-process', 'separate']).default('in-process'),
});

/** The bot settings as their schema (bot/src/config.ts) names them, from the environment; checked there. */
function communityFrom(values: z.infer<typeof environment>): CommunityConfigInput {
	const telegram = provider(
		'Telegram',
		{ FANLOOP_TELEGRAM_BOT_TOKEN: values.FANLOOP_TELEGRAM_BOT_TOKEN },
		(): NonNullable<CommunityConfigInput['telegram']> => ({
			botToken: values.FANLOOP_TELEGRAM_BOT_TOKEN!,
			apiRoot: trimSlash(values.FANLOOP_TELEGRAM_API_URL),
			channelId: values.FANLOOP_TELEGRAM_CHANNEL_ID,
			messagesPerSecond: values.FANLOOP_TELEGRAM_MESSAGES_PER_SECOND,
			updates:
				values.FANLOOP_TELEGRAM_UPDATES === 'webhook'
					? {
							mode: 'webhook',
							secretToken: values.FANLOOP_TELEGRAM_WEBHOOK_SECRET ?? '',
							url: values.FANLOOP_TELEGRAM_WEBHOOK_URL,
						}
					: { mode: 'polling' },
		}),
	);
	const discord = provider(
		'Discord',
		{
			FANLOOP_DISCORD_BOT_TOKEN: values.FANLOOP_DISCORD_BOT_TOKEN,
			FANLOOP_DISCORD_APPLICATION_ID: values.FANLOOP_DISCORD_APPLICATION_ID,
			FANLOOP_DISCORD_GUILD_ID: values.FANLOOP_DISCORD_GUILD_ID,
			FANLOOP_DISCORD_RELEASE_ROLE_ID: values.FANLOOP_DISCORD_RELEASE_ROLE_ID,
			FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID: values.FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID,
		},
		(): NonNullable<CommunityConfigInput['discord']> => ({
			botToken: values.FANLOOP_DISCORD_BOT_TOKEN!,
			applicationId: values.FANLOOP_DISCORD_APPLICATION_ID!,
			guildId: values.FANLOOP_DISCORD_GUILD_ID!,
			releaseRoleId: values.FANLOOP_DISCORD_RELEASE_ROLE_ID!,
			announcementChannelId: values.FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID!,
			inviteChannelId: values.FANLOOP_DISCORD_INVITE_CHANNEL_ID,
			apiRoot: trimSlash(values.FANLOOP_DISCORD_API_URL),
			requestsPerSecond: values.FANLOOP_DISCORD_REQUESTS_PER_SECOND,
		}),
	);
	const input: CommunityConfigInput = {
		telegram,
		discord,
		runBots: values.FANLOOP_BOTS === 'in-process',
	};
	const parsed = communityConfig.safeParse(input);
	if (!parsed.success) {
		throw new HubError(
			'configuration_invalid',
			parsed.error.issues.map((issue) => `${envNameOf(issue.path)}: ${issue.message}`).join('; '),
		);
	}
	return input;
}

/** The environment variable behind a bot setting, so a configuration error names what to fix. */
function envNameOf(path: PropertyKey[]): string {
	const [platform, ...rest] = path.map(String);
	const setting = rest.join('.');
	const names: Record<string, string> = {
		'telegram:botToken': 'FANLOOP_TELEGRAM_BOT_TOKEN',
		'telegram:apiRoot': 'FANLOOP_TELEGRAM_API_URL',
		'telegram:channelId': 'FANLOOP_TELEGRAM_CHANNEL_ID',
		'telegram:messagesPerSecond': 'FANLOOP_TELEGRAM_MESSAGES_PER_SECOND',
		'telegram:updates.secretToken': 'FANLOOP_TELEGRAM_WEBHOOK_SECRET',
		'telegram:updates.url': 'FANLOOP_TELEGRAM_WEBHOOK_URL',
		'discord:botToken': 'FANLOOP_DISCORD_BOT_TOKEN',
		'discord:applicationId': 'FANLOOP_DISCORD_APPLICATION_ID',
		'discord:guildId': 'FANLOOP_DISCORD_GUILD_ID',
		'discord:releaseRoleId': 'FANLOOP_DISCORD_RELEASE_ROLE_ID',
		'discord:announcementChannelId': 'FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID',
		'discord:inviteChannelId': 'FANLOOP_DISCORD_INVITE_CHANNEL_ID',
		'discord:apiRoot': 'FANLOOP_DISCORD_API_URL',
		'discord:requestsPerSecond': 'FANLOOP_DISCORD_REQUESTS_PER_SECOND',
	};
	return names[`${platform}:${setting}`] ?? `${platform}.${setting}`;
}

function sealingKeyFrom(env: z.infer<typeof environment>): Buffer {
	if (env.FANLOOP_SEALING_KEY) return parseSealingKey(env.FANLOOP_SEALING_KEY);
	if (env.FANLOOP_SEALING_KEY_FILE) {
		let text: string;
		try {
			text = readFileSync(env.FANLOOP_SEALING_KEY_FILE, 'utf8');
		} catch (error) {
			throw new HubError(
				'configuration_invalid',
				`Cannot read FANLOOP_SEALING_KEY_FILE ${env.FANLOOP_SEALING_KEY_FILE}: ${(error as NodeJS.ErrnoException).code}.`,
			);
		}
		return parseSealingKey(text);
	}
	throw new HubError(
		'configuration_invalid',
		'Set FANLOOP_SEALING_KEY or FANLOOP_SEALING_KEY_FILE. Generate a key with "fanloop-hub sealing-key generate" and keep it apart from the data folder.',
	);
}

/** Reads the hub's configuration from the environment once; every problem is named in one error. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
	const parsed = environment.safeParse(env);
	if (!parsed.success) {
		throw new HubError(
			'configuration_invalid',
			parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
		);
	}
	const values = parsed.data;
	return {
		host: values.FANLOOP_HOST,
		port: values.FANLOOP_PORT,
		dataDir: resolve(values.FANLOOP_DATA_DIR),
		databaseUrl: values.FANLOOP_DATABASE_URL,
		sealingKey: sealingKeyFrom(values),
		deliveryPollMs: values.FANLOOP_DELIVERY_POLL_MS,
		deliveryTimeoutMs: values.FANLOOP_DELIVERY_TIMEOUT_MS,
		eventRetentionMs: values.FANLOOP_EVENT_RETENTION_DAYS * 24 * 3_600_000,
		jobLeaseMs: values.FANLOOP_JOB_LEASE_MS,
		botLeaseMs: values.FANLOOP_BOT_LEASE_MS,
		publicUrl: values.FANLOOP_PUBLIC_URL?.replace(/\/$/, ''),
		program: {
			...(values.FANLOOP_PROGRAM_NAME ? { name: values.FANLOOP_PROGRAM_NAME } : {}),
			...(values.FANLOOP_SMS_HELP_TEXT ? { helpText: values.FANLOOP_SMS_HELP_TEXT } : {}),
			stopSuppresses: values.FANLOOP_STOP_SUPPRESSES,
		},
		streaming: {
			spotify: provider(
				'Spotify',
				{
					FANLOOP_SPOTIFY_CLIENT_ID: values.FANLOOP_SPOTIFY_CLIENT_ID,
					FANLOOP_SPOTIFY_CLIENT_SECRET: values.FANLOOP_SPOTIFY_CLIENT_SECRET,
				},
				() => ({
					clientId: values.FANLOOP_SPOTIFY_CLIENT_ID!,
					clientSecret: values.FANLOOP_SPOTIFY_CLIENT_SECRET!,
					accountsUrl: trimSlash(values.FANLOOP_SPOTIFY_ACCOUNTS_URL),
					apiUrl: trimSlash(values.FANLOOP_SPOTIFY_API_URL),
					requestsPerSecond: values.FANLOOP_SPOTIFY_REQUESTS_PER_SECOND,
					appMode: values.FANLOOP_SPOTIFY_APP_MODE,
				}),
			),
			apple_music: provider(
				'Apple Music',
				{
					FANLOOP_APPLE_MUSIC_TEAM_ID: values.FANLOOP_APPLE_MUSIC_TEAM_ID,
					FANLOOP_APPLE_MUSIC_KEY_ID: values.FANLOOP_APPLE_MUSIC_KEY_ID,
					FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE: values.FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE,
				},
				() => ({
					teamId: values.FANLOOP_APPLE_MUSIC_TEAM_ID!,
					keyId: values.FANLOOP_APPLE_MUSIC_KEY_ID!,
					privateKeyPem: readKeyFile(
						'FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE',
						values.FANLOOP_APPLE_MUSIC_PRIVATE_KEY_FILE!,
					),
					apiUrl: trimSlash(values.FANLOOP_APPLE_MUSIC_API_URL),
					musicKitScriptUrl: values.FANLOOP_APPLE_MUSICKIT_SCRIPT_URL,
					requestsPerSecond: values.FANLOOP_APPLE_MUSIC_REQUESTS_PER_SECOND,
				}),
			),
			deezer: provider(
				'Deezer',
				{
					FANLOOP_DEEZER_APP_ID: values.FANLOOP_DEEZER_APP_ID,
					FANLOOP_DEEZER_SECRET: values.FANLOOP_DEEZER_SECRET,
				},
				() => ({
					appId: values.FANLOOP_DEEZER_APP_ID!,
					secret: values.FANLOOP_DEEZER_SECRET!,
					apiUrl: trimSlash(values.FANLOOP_DEEZER_API_URL),
					connectUrl: trimSlash(values.FANLOOP_DEEZER_CONNECT_URL),
					requestsPerSecond: values.FANLOOP_DEEZER_REQUESTS_PER_SECOND,
				}),
			),
			youtube: provider(
				'YouTube',
				{
					FANLOOP_YOUTUBE_CLIENT_ID: values.FANLOOP_YOUTUBE_CLIENT_ID,
					FANLOOP_YOUTUBE_CLIENT_SECRET: values.FANLOOP_YOUTUBE_CLIENT_SECRET,
				},
				() => ({
					clientId: values.FANLOOP_YOUTUBE_CLIENT_ID!,
					clientSecret: values.FANLOOP_YOUTUBE_CLIENT_SECRET!,
					tokenUrl: trimSlash(values.FANLOOP_YOUTUBE_TOKEN_URL),
					authorizeUrl: values.FANLOOP_YOUTUBE_AUTHORIZE_URL,
					apiUrl: trimSlash(values.FANLOOP_YOUTUBE_API_URL),
				}),
			),
		},
		community: communityFrom(values),
		messaging: {
			twilio: provider(
				'Twilio',
				{
					FANLOOP_TWILIO_ACCOUNT_SID: values.FANLOOP_TWILIO_ACCOUNT_SID,
					FANLOOP_TWILIO_AUTH_TOKEN: values.FANLOOP_TWILIO_AUTH_TOKEN,
					FANLOOP_TWILIO_FROM: values.FANLOOP_TWILIO_FROM,
				},
				() => ({
					accountSid: values.FANLOOP_TWILIO_ACCOUNT_SID!,
					authToken: values.FANLOOP_TWILIO_AUTH_TOKEN!,
					from: values.FANLOOP_TWILIO_FROM!,
					apiUrl: values.FANLOOP_TWILIO_API_URL.replace(/\/$/, ''),
				}),
			),
			smtp: provider(
				'Email',
				{
					FANLOOP_SMTP_URL: values.FANLOOP_SMTP_URL,
					FANLOOP_EMAIL_FROM: values.FANLOOP_EMAIL_FROM,
				},
				() => ({ url: values.FANLOOP_SMTP_URL!, from: values.FANLOOP_EMAIL_FROM! }),
			),
			mailchimp: provider(
				'Mailchimp',
				{
					FANLOOP_MAILCHIMP_API_KEY: values.FANLOOP_MAILCHIMP_API_KEY,
					FANLOOP_MAILCHIMP_LIST_ID: values.FANLOOP_MAILCHIMP_LIST_ID,
				},
				() => ({
					apiKey: values.FANLOOP_MAILCHIMP_API_KEY!,
					listId: values.FANLOOP_MAILCHIMP_LIST_ID!,
					apiUrl: values.FANLOOP_MAILCHIMP_API_URL?.replace(/\/$/, ''),
				}),
			),
			brevo: provider(
				'Brevo',
				{
					FANLOOP_BREVO_API_KEY: values.FANLOOP_BREVO_API_KEY,
					FANLOOP_BREVO_LIST_ID: values.FANLOOP_BREVO_LIST_ID,
					FANLOOP_BREVO_DOI_TEMPLATE_ID: values.FANLOOP_BREVO_DOI_TEMPLATE_ID,
				},
				() => ({
					apiKey: values.FANLOOP_BREVO_API_KEY!,
					listId: Number(values.FANLOOP_BREVO_LIST_ID),
					templateId: Number(values.FANLOOP_BREVO_DOI_TEMPLATE_ID),
					apiUrl: values.FANLOOP_BREVO_API_URL?.replace(/\/$/, ''),
				}),
			),
		},
	};
}
