/**
 * `npm start`: the hub and a real n8n with the Fanloop package, wired together, on one laptop.
 * Run by scripts/start.sh after it has built everything; state lives in .fanloop/ so a re-run
 * reuses the same keys, owner, credential and data. Ctrl-C stops both.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import {
	SANDBOX_DISCORD,
	SANDBOX_TELEGRAM,
	startCommunitySandbox,
	startMessagingSandbox,
	startSandboxInbox,
	startStreamingSandbox,
	type CommunitySandbox,
	type MessagingSandbox,
	type StreamingSandbox,
} from '../sandbox/src';
import { N8n, repoRoot, sleep } from '../test/n8n/harness';

const HUB_PORT = Number(process.env.FANLOOP_PORT ?? 8790);
const N8N_PORT = Number(process.env.FANLOOP_N8N_PORT ?? 5678);
const INBOX_PORT = Number(process.env.FANLOOP_SANDBOX_INBOX_PORT ?? 8791);
const state = path.join(repoRoot, '.fanloop');
const secrets = path.join(state, 'secrets');
const logs = path.join(state, 'logs');
const hubCli = path.join(repoRoot, 'hub/dist/hub/src/cli.js');
const execFileAsync = promisify(execFile);
const registerDiscordCommands = path.join(repoRoot, 'hub/dist/bot/src/register-commands.js');

function secretFile(name: string, make: () => string): string {
	const file = path.join(secrets, name);
	if (!fs.existsSync(file)) {
		fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
		fs.writeFileSync(file, make().trim() + '\n', { mode: 0o600 });
	}
	return fs.readFileSync(file, 'utf8').trim();
}

function hubCommand(args: string[], env: NodeJS.ProcessEnv): string {
	return execFileSync(process.execPath, [hubCli, ...args], {
		env,
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'inherit'],
	})
		.toString()
		.trim();
}

/** Imports each file only once, so a marketer's edits to an imported template survive a re-run. */
function newTemplates(n8nFolder: string): Array<{ id: string; [k: string]: unknown }> {
	const dir = path.join(repoRoot, 'workflows');
	if (!fs.existsSync(dir)) return [];
	const doneFile = path.join(n8nFolder, 'imported-templates.txt');
	const done = new Set(
		fs.existsSync(doneFile) ? fs.readFileSync(doneFile, 'utf8').split('\n') : [],
	);
	const fresh: Array<{ id: string; [k: string]: unknown }> = [];
	for (const name of fs
		.readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort()) {
		if (done.has(name)) continue;
		const wf = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as {
			id?: string;
			[k: string]: unknown;
		};
		// Templates may ship without an id; a stable one keeps re-imports from duplicating them.
		const id = wf.id ?? createHash('sha256').update(name).digest('hex').slice(0, 16);
		fresh.push({ ...wf, id });
		fs.appendFileSync(doneFile, `${name}\n`);
	}
	return fresh;
}

async function waitForHub(url: string, exited: () => boolean): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (exited()) throw new Error(`the hub exited; see ${path.join(logs, 'hub.log')}`);
		const res = await fetch(`${url}/health`).catch(() => undefined);
		if (res?.ok) return;
		if (Date.now() > deadline) throw new Error(`the hub did not answer ${url}/health in 30 s`);
		await sleep(200);
	}
}

/** The hub's provider settings: the real ones from the environment, else the sandbox's stand-ins. */
function messagingEnv(sandbox: MessagingSandbox | undefined): NodeJS.ProcessEnv {
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
function streamingEnv(sandbox: StreamingSandbox | undefined): NodeJS.ProcessEnv {
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
function communityEnv(sandbox: CommunitySandbox | undefined): NodeJS.ProcessEnv {
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

async function main(): Promise<void> {
	fs.mkdirSync(logs, { recursive: true });
	const hubUrl = `http://127.0.0.1:${HUB_PORT}`;
	const realProviders = Boolean(process.env.FANLOOP_TWILIO_ACCOUNT_SID || process.env.FANLOOP_SMTP_URL);
	const sandbox = realProviders ? undefined : await startMessagingSandbox();
	const realStreaming = ['SPOTIFY_CLIENT_ID', 'APPLE_MUSIC_TEAM_ID', 'DEEZER_APP_ID', 'YOUTUBE_CLIENT_ID'].some(
		(name) => process.env[`FANLOOP_${name}`],
	);
	const streamingSandbox = realStreaming ? undefined : await startStreamingSandbox();
	const realBots = Boolean(process.env.FANLOOP_TELEGRAM_BOT_TOKEN || process.env.FANLOOP_DISCORD_BOT_TOKEN);
	const communitySandbox = realBots ? undefined : await startCommunitySandbox();
	const hubEnv: NodeJS.ProcessEnv = {
		...process.env,
		FANLOOP_HOST: '127.0.0.1',
		FANLOOP_PORT: String(HUB_PORT),
		FANLOOP_PUBLIC_URL: process.env.FANLOOP_PUBLIC_URL ?? hubUrl,
		FANLOOP_DATA_DIR: path.join(state, 'hub'),
		FANLOOP_SEALING_KEY_FILE: path.join(secrets, 'sealing.key'),
		NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-old-space-size=256',
		...messagingEnv(sandbox),
		...streamingEnv(streamingSandbox),
		...communityEnv(communitySandbox),
	};
	delete hubEnv.FANLOOP_SEALING_KEY;
	secretFile('sealing.key', () => hubCommand(['sealing-key', 'generate'], process.env));
	const apiKey = secretFile('n8n-hub-api-key', () =>
		hubCommand(['api-key', 'create', '--name', 'n8n'], hubEnv),
	);
	const ownerPassword = secretFile(
		'n8n-owner-password',
		() => `Fl-${randomBytes(9).toString('base64url')}`,
	);

	// Slash commands are registered once per app, never by the running bot; the stand-in forgets them
	// between runs. Asynchronously: the stand-in answering it lives in this very process.
	if (communitySandbox) await execFileAsync(process.execPath, [registerDiscordCommands, '--guild'], { env: hubEnv, cwd: repoRoot });

	const hubLog = fs.createWriteStream(path.join(logs, 'hub.log'), { flags: 'a' });
	const hub = spawn(process.execPath, [hubCli, 'serve'], {
		env: hubEnv,
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let hubExited = false;
	for (const stream of [hub.stdout, hub.stderr]) {
		stream.on('data', (chunk: Buffer) => {
			hubLog.write(chunk);
			process.stdout.write(
				chunk
					.toString()
					.split('\n')
					.filter(Boolean)
					.map((l) => `[hub] ${l}\n`)
					.join(''),
			);
		});
	}
	let n8n: N8n | undefined;
	let inbox: Awaited<ReturnType<typeof startSandboxInbox>> | undefined;
	let stopping = false;
	const stop = async (code: number): Promise<void> => {
		if (stopping) return;
		stopping = true;
		process.stdout.write('\nStopping n8n and the hub…\n');
		await n8n?.stop().catch(() => undefined);
		await inbox?.stop().catch(() => undefined);
		await sandbox?.stop().catch(() => undefined);
		await streamingSandbox?.stop().catch(() => undefined);
		await communitySandbox?.stop().catch(() => undefined);
		if (!hubExited) {
			hub.kill('SIGTERM');
			await new Promise((resolve) => hub.once('exit', resolve));
		}
		process.exit(code);
	};
	hub.on('exit', (code) => {
		hubExited = true;
		if (!stopping) {
			process.stderr.write(`The hub exited (code ${code}); stopping n8n.\n`);
			void stop(1);
		}
	});
	process.on('SIGINT', () => void stop(0));
	process.on('SIGTERM', () => void stop(0));

	await waitForHub(hubUrl, () => hubExited);

	const n8nFolder = path.join(state, 'n8n');
	fs.mkdirSync(n8nFolder, { recursive: true });
	const credentialStamp = path.join(n8nFolder, 'imported-credential.txt');
	const credentialKey = createHash('sha256').update(`${hubUrl}\n${apiKey}`).digest('hex');
	const importCredential = fs.existsSync(credentialStamp)
		? fs.readFileSync(credentialStamp, 'utf8').trim() !== credentialKey
		: true;
	const owner = { email: 'owner@fanloop.local', password: ownerPassword };
	n8n = await N8n.prepare({
		name: 'main',
		userFolder: n8nFolder,
		port: N8N_PORT,
		owner,
		logFile: path.join(logs, 'n8n.log'),
		credentials: importCredential
			? [
					{
						id: 'fanloopHub',
						name: 'Fanloop Hub',
						type: 'fanloopHubApi',
						data: { baseUrl: hubUrl, apiKey },
					},
				]
			: [],
		workflows: newTemplates(n8nFolder),
		// Templates need a look (campaign, wording) before they go live: imported, not published.
		publish: false,
		echo: process.stdout,
	});
	if (importCredential) fs.writeFileSync(credentialStamp, credentialKey + '\n');
	await n8n.start();
	if (sandbox || communitySandbox) {
		inbox = await startSandboxInbox({
			messaging: sandbox && { sandbox, hubInboundSmsUrl: `${hubUrl}/webhooks/twilio/sms` },
			telegram: communitySandbox?.telegram,
			port: INBOX_PORT,
		});
	}

	process.stdout.write(
		[
			'',
			'Fanloop is running.',
			`  n8n:  http://localhost:${N8N_PORT}   (sign in as ${owner.email} / ${owner.password})`,
			`  hub:  http://localhost:${HUB_PORT}   (n8n's "Fanloop Hub" credential already points here)`,
			`  insights: http://localhost:${HUB_PORT}/dashboard   (sign in with the hub API key kept in ${path.join(secrets, 'n8n-hub-api-key')})`,
			inbox
				? `  sandbox inbox: ${inbox.url.replace('127.0.0.1', 'localhost')}   (texts, emails and the Telegram bot's chats with sandbox fans land here; act as a fan from there)`
				: '  SMS and email go through the providers configured in the environment.',
			`  state: ${state}   logs: ${logs}`,
			'Press Ctrl-C to stop both.',
			'',
		].join('\n'),
	);
}

main().catch((error: unknown) => {
	process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
	process.kill(process.pid, 'SIGTERM');
});
