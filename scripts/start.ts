/**
 * `npm start`: the hub and a real n8n with the Fanloop package, wired together, on one laptop.
 * Run by scripts/start.sh after it has built everything; state lives in .fanloop/ (or
 * $FANLOOP_HOME) so a re-run reuses the same keys, owner, credential and data. The hub's and
 * n8n's own output go to log files, so the banner stays the last thing on screen. Ctrl-C stops
 * everything.
 *
 * Nothing here blocks the event loop (every command runs as an async child process): the
 * sandbox stand-ins live in this process and must keep answering the hub meanwhile.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	startCommunitySandbox,
	startMessagingSandbox,
	startSandboxInbox,
	startStreamingSandbox,
} from '../sandbox/src';
import { N8n, type N8nOptions } from './n8n/instance';
import { N8nQueue } from './n8n/queue';
import { teamSmtpCredential } from './n8n/smtp-credential';
import { repoRoot } from './n8n/paths';
import { run } from './n8n/run';
import { importNewTemplates } from './n8n/templates';
import { communityEnv, messagingEnv, streamingEnv } from './sandbox-env';

const HUB_PORT = Number(process.env.FANLOOP_PORT ?? 8790);
const N8N_PORT = Number(process.env.FANLOOP_N8N_PORT ?? 5678);
const INBOX_PORT = Number(process.env.FANLOOP_SANDBOX_INBOX_PORT ?? 8791);
/** `npm run start:queue`: n8n in queue mode on PostgreSQL and Redis (README, "Running at scale"). */
const QUEUE_MODE = process.env.FANLOOP_N8N_QUEUE === '1';
const state = path.resolve(process.env.FANLOOP_HOME ?? path.join(repoRoot, '.fanloop'));
const secrets = path.join(state, 'secrets');
const logs = path.join(state, 'logs');
const hubCli = path.join(repoRoot, 'hub/dist/hub/src/cli.js');
const registerDiscordCommands = path.join(repoRoot, 'hub/dist/bot/src/register-commands.js');

function say(line: string): void {
	process.stdout.write(`fanloop: ${line}\n`);
}

async function secretFile(name: string, make: () => Promise<string>): Promise<string> {
	const file = path.join(secrets, name);
	if (!fs.existsSync(file)) {
		const value = (await make()).trim();
		fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
		fs.writeFileSync(file, value + '\n', { mode: 0o600 });
	}
	return fs.readFileSync(file, 'utf8').trim();
}

async function hubCommand(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
	return (await run(process.execPath, [hubCli, ...args], { cwd: repoRoot, env })).trim();
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

function tail(file: string, lines: number): string {
	if (!fs.existsSync(file)) return '';
	return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Stops whatever is running so far and exits; main() widens it as it starts things. */
let stop = async (code: number): Promise<void> => process.exit(code);

async function main(): Promise<void> {
	fs.mkdirSync(logs, { recursive: true });
	const hubUrl = `http://127.0.0.1:${HUB_PORT}`;
	const realProviders = Boolean(
		process.env.FANLOOP_TWILIO_ACCOUNT_SID || process.env.FANLOOP_SMTP_URL,
	);
	const realStreaming = [
		'SPOTIFY_CLIENT_ID',
		'APPLE_MUSIC_TEAM_ID',
		'DEEZER_APP_ID',
		'YOUTUBE_CLIENT_ID',
	].some((name) => process.env[`FANLOOP_${name}`]);
	const realBots = Boolean(
		process.env.FANLOOP_TELEGRAM_BOT_TOKEN || process.env.FANLOOP_DISCORD_BOT_TOKEN,
	);
	if (!realProviders || !realStreaming || !realBots) say('starting the sandbox stand-ins');
	const sandbox = realProviders ? undefined : await startMessagingSandbox();
	const streamingSandbox = realStreaming ? undefined : await startStreamingSandbox();
	const communitySandbox = realBots ? undefined : await startCommunitySandbox();
	let inbox: Awaited<ReturnType<typeof startSandboxInbox>> | undefined;
	let n8n: N8n | undefined;
	let n8nQueue: N8nQueue | undefined;
	let hub: ReturnType<typeof spawn> | undefined;
	let hubExited = false;
	let stopping = false;
	stop = async (code: number): Promise<void> => {
		if (stopping) return;
		stopping = true;
		process.stdout.write('\nStopping n8n and the hub…\n');
		await (n8nQueue ?? n8n)?.stop().catch(() => undefined);
		if (hub && !hubExited) {
			const exited = new Promise((resolve) => hub!.once('exit', resolve));
			hub.kill('SIGTERM');
			await exited;
		}
		await inbox?.stop().catch(() => undefined);
		await sandbox?.stop().catch(() => undefined);
		await streamingSandbox?.stop().catch(() => undefined);
		await communitySandbox?.stop().catch(() => undefined);
		process.exit(code);
	};

	const hubEnv: NodeJS.ProcessEnv = {
		...process.env,
		FANLOOP_HOST: '127.0.0.1',
		FANLOOP_PORT: String(HUB_PORT),
		FANLOOP_PUBLIC_URL: process.env.FANLOOP_PUBLIC_URL ?? hubUrl,
		FANLOOP_DATA_DIR: path.join(state, 'hub'),
		FANLOOP_SEALING_KEY_FILE: path.join(secrets, 'sealing.key'),
		NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-old-space-size=256',
		...messagingEnv(sandbox),
		...streamingEnv(streamingSandbox, secrets),
		...communityEnv(communitySandbox),
	};
	delete hubEnv.FANLOOP_SEALING_KEY;
	await secretFile('sealing.key', () => hubCommand(['sealing-key', 'generate'], process.env));
	const apiKeyFile = path.join(secrets, 'n8n-hub-api-key');
	const apiKey = await secretFile(path.basename(apiKeyFile), () =>
		hubCommand(['api-key', 'create', '--name', 'n8n'], hubEnv),
	);
	const ownerPassword = await secretFile(
		'n8n-owner-password',
		async () => `Fl-${randomBytes(9).toString('base64url')}`,
	);

	// Slash commands are registered once per app, never by the running bot; the stand-in forgets
	// them between runs.
	if (communitySandbox) {
		await run(process.execPath, [registerDiscordCommands, '--guild'], {
			cwd: repoRoot,
			env: hubEnv,
		});
	}

	say('starting the hub');
	const hubLogFile = path.join(logs, 'hub.log');
	const hubLog = fs.createWriteStream(hubLogFile, { flags: 'a' });
	hub = spawn(process.execPath, [hubCli, 'serve'], {
		env: hubEnv,
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	hub.stdout?.pipe(hubLog, { end: false });
	hub.stderr?.pipe(hubLog, { end: false });
	hub.on('exit', (code, signal) => {
		hubExited = true;
		// Ctrl-C reaches the hub too (same process group): that is a stop, not a crash.
		if (stopping || signal === 'SIGINT') return;
		process.stderr.write(
			`\nThe hub exited (code ${code}); stopping. Last lines of ${hubLogFile}:\n${tail(hubLogFile, 20)}\n`,
		);
		void stop(1);
	});
	await waitForHub(hubUrl, () => hubExited);

	// Queue mode keeps its own user folder: its credentials live in PostgreSQL, encrypted with its key.
	const n8nFolder = path.join(state, QUEUE_MODE ? 'n8n-queue' : 'n8n');
	const n8nLogFile = path.join(logs, 'n8n.log');
	fs.mkdirSync(n8nFolder, { recursive: true });
	const credentialStamp = path.join(n8nFolder, 'imported-credential.txt');
	// The team's reports go out through the SMTP server the hub sends fans' email through.
	const smtpUrl = sandbox?.urls.smtp ?? process.env.FANLOOP_SMTP_URL;
	const credentialKey = createHash('sha256')
		.update(`${hubUrl}\n${apiKey}\n${smtpUrl ?? ''}`)
		.digest('hex');
	const importCredential = fs.existsSync(credentialStamp)
		? fs.readFileSync(credentialStamp, 'utf8').trim() !== credentialKey
		: true;
	const owner = { email: 'owner@fanloop.local', password: ownerPassword };
	say(`preparing n8n: the Fanloop package, the credential, the templates (log: ${n8nLogFile})`);
	const n8nOptions: N8nOptions = {
		name: 'main',
		userFolder: n8nFolder,
		port: N8N_PORT,
		owner,
		logFile: n8nLogFile,
		credentials: importCredential
			? [
					{
						id: 'fanloopHub',
						name: 'Fanloop Hub',
						type: 'fanloopHubApi',
						data: { baseUrl: hubUrl, apiKey },
					},
					...(smtpUrl ? [teamSmtpCredential(smtpUrl)] : []),
				]
			: [],
	};
	if (QUEUE_MODE) {
		n8nQueue = await N8nQueue.prepare({
			...n8nOptions,
			databaseUrl:
				process.env.FANLOOP_N8N_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fanloop_n8n',
			redisUrl: process.env.FANLOOP_N8N_REDIS_URL,
			workers: Number(process.env.FANLOOP_N8N_WORKERS ?? 2),
			webhookPort: Number(process.env.FANLOOP_N8N_WEBHOOK_PORT ?? 5680),
			// Fixed, so a restart finds the jobs its queue still holds.
			queuePrefix: 'fanloop',
		});
		n8n = n8nQueue.main;
	} else {
		n8n = await N8n.prepare(n8nOptions);
	}
	if (importCredential) fs.writeFileSync(credentialStamp, credentialKey + '\n');
	// Templates need a look (campaign, wording) before they go live: imported, not published.
	await importNewTemplates(n8n, path.join(repoRoot, 'workflows'));
	say(
		n8nQueue
			? `starting n8n in queue mode: main, webhook and ${n8nQueue.workers.length} workers (logs: n8n-*.log beside ${n8nLogFile})`
			: 'starting n8n',
	);
	await (n8nQueue ?? n8n).start();
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
			...(n8nQueue
				? [
						`  n8n in queue mode: webhooks at ${n8nQueue.webhookUrl}, ${n8nQueue.workers.length} workers, database ${process.env.FANLOOP_N8N_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fanloop_n8n'}`,
					]
				: []),
			`  hub:  http://localhost:${HUB_PORT}   (n8n's "Fanloop Hub" credential already points here)`,
			`  hub API key (already in that credential): ${apiKeyFile}`,
			...(smtpUrl
				? [`  n8n's "Team SMTP" credential sends the team's reports through the hub's SMTP server`]
				: []),
			`  insights: http://localhost:${HUB_PORT}/dashboard   (sign in with the hub API key kept in ${apiKeyFile})`,
			inbox
				? `  sandbox inbox: ${inbox.url.replace('127.0.0.1', 'localhost')}   (texts, emails and the Telegram bot's chats with sandbox fans land here; act as a fan from there)`
				: '  SMS and email go through the providers configured in the environment.',
			`  state: ${state}`,
			`  logs:  ${hubLogFile}  ${n8nLogFile}`,
			'Press Ctrl-C to stop everything.',
			'',
		].join('\n'),
	);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
main().catch((error: unknown) => {
	process.stderr.write(`fanloop: ${error instanceof Error ? error.message : String(error)}\n`);
	void stop(1);
});
