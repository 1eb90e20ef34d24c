import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { n8nEnv } from './env';
import { freePort } from './free-port';
import { ensureN8nInstalled, n8nBin } from './install';
import { buildAndPackNodePackage, installNodePackage } from './node-package';
import { ownerPasswordHash, type N8nOwner } from './owner';
import { N8N_VERSION } from './paths';
import { N8nProcess } from './process';
import { N8nPublicApi, type Execution } from './public-api';
import { RunError, run } from './run';
import { temporaryUserFolder } from './temp-folder';
import { isWebhookRegistered, webhookPaths } from './webhooks';

export interface N8nOptions {
	/** Names the user folder made when none is given. */
	name: string;
	userFolder?: string;
	port?: number;
	owner?: N8nOwner;
	/** Credentials in n8n's export format; `data` in clear text (n8n encrypts it on import). */
	credentials?: unknown[];
	/** Workflows in n8n's export format; each needs an `id`. */
	workflows?: Array<{ id: string; [k: string]: unknown }>;
	/** Publish the imported workflows and wait for their webhooks on start (default true). */
	publish?: boolean;
	/** Pack and install the node package into the user folder (default true). */
	installPackage?: boolean;
	/** Extra environment for `n8n start`. */
	env?: NodeJS.ProcessEnv;
	/** n8n's output and its CLI calls go here; defaults to n8n.log in the user folder. */
	logFile?: string;
}

/**
 * A real n8n (the pinned release, installed once per machine): the node package is packed and
 * installed into the user folder the way Settings → Community Nodes does, credentials and
 * workflows are imported and published with n8n's CLI, and `n8n start` runs as a child process
 * in its own process group whose output goes to a log file.
 */
export class N8n {
	readonly url: string;
	readonly logFile: string;
	private readonly publicApi: N8nPublicApi;
	/** Where production webhooks are served: this process, or an `n8n webhook` process in queue mode. */
	webhookBaseUrl: string;
	private main: N8nProcess | undefined;

	private constructor(
		readonly n8nDir: string,
		readonly userFolder: string,
		readonly port: number,
		readonly owner: N8nOwner,
		/** The environment every n8n command of this instance runs with. */
		readonly env: NodeJS.ProcessEnv,
		private readonly options: N8nOptions,
	) {
		this.url = `http://127.0.0.1:${port}`;
		this.webhookBaseUrl = this.url;
		this.logFile = options.logFile ?? path.join(userFolder, 'n8n.log');
		this.publicApi = new N8nPublicApi(this.url, owner);
	}

	/** Installs what is missing, imports and publishes, then starts n8n and waits until ready. */
	static async start(options: N8nOptions): Promise<N8n> {
		const instance = await N8n.prepare(options);
		try {
			await instance.start();
		} catch (error) {
			// Nobody else holds the instance yet: a half-started n8n would outlive the caller.
			await instance.stop();
			throw error;
		}
		return instance;
	}

	/** Everything but `n8n start`. */
	static async prepare(options: N8nOptions): Promise<N8n> {
		const n8nDir = await ensureN8nInstalled();
		const userFolder = options.userFolder ?? temporaryUserFolder(options.name);
		fs.mkdirSync(userFolder, { recursive: true });
		const port = options.port ?? (await freePort());
		const owner = options.owner ?? { email: 'owner@fanloop.test', password: 'Fanloop-test-1' };
		const keyFile = path.join(userFolder, 'encryption.key');
		if (!fs.existsSync(keyFile)) {
			fs.writeFileSync(keyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
		}
		const env = {
			...n8nEnv({
				userFolder,
				port,
				brokerPort: await freePort(),
				encryptionKey: fs.readFileSync(keyFile, 'utf8').trim(),
				ownerEmail: owner.email,
				ownerPasswordHash: await ownerPasswordHash(n8nDir, userFolder, owner),
			}),
			...options.env,
		};
		const instance = new N8n(n8nDir, userFolder, port, owner, env, options);
		fs.mkdirSync(path.dirname(instance.logFile), { recursive: true });
		fs.writeFileSync(instance.logFile, `n8n ${N8N_VERSION} in ${userFolder}\n`);
		if (options.installPackage !== false) {
			await installNodePackage(userFolder, await buildAndPackNodePackage());
		}
		if (options.credentials?.length) await instance.importJson('credentials', options.credentials);
		// One import for all workflows: each n8n CLI call spends seconds booting n8n. Publishing
		// has no batch form in 2.41 (`--all` is gone).
		const workflows = options.workflows ?? [];
		if (workflows.length) await instance.importJson('workflow', workflows);
		for (const wf of options.publish === false ? [] : workflows) {
			await instance.cli(['publish:workflow', `--id=${wf.id}`]);
		}
		return instance;
	}

	/** Runs an n8n CLI command against this instance's user folder and database. */
	async cli(args: string[]): Promise<string> {
		fs.appendFileSync(this.logFile, `\n$ n8n ${args.join(' ')}\n`);
		try {
			const out = await run(process.execPath, [n8nBin(this.n8nDir), ...args], {
				cwd: this.userFolder,
				env: this.env,
				timeoutMs: 5 * 60_000,
			});
			fs.appendFileSync(this.logFile, out);
			return out;
		} catch (error) {
			if (!(error instanceof RunError)) throw error;
			fs.appendFileSync(this.logFile, `${error.stdout}${error.stderr}`);
			throw new Error(`n8n ${args[0]} failed: ${error.message}\n${error.stdout}`);
		}
	}

	/** Imports credentials or workflows from a file written for the call and removed after it. */
	async importJson(kind: 'credentials' | 'workflow', items: unknown[]): Promise<void> {
		const file = path.join(
			this.userFolder,
			`import-${kind}-${randomBytes(4).toString('hex')}.json`,
		);
		fs.writeFileSync(file, JSON.stringify(items), { mode: 0o600 });
		try {
			await this.cli([`import:${kind}`, `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	get running(): boolean {
		return this.main?.running ?? false;
	}

	/** The main process's id while it runs, for a bench to read its CPU time. */
	get pid(): number | undefined {
		return this.main?.pid;
	}

	/** `n8n start`; resolves once n8n reports itself ready and every published webhook answers. */
	async start(timeoutMs = 120_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		await this.startMain(deadline);
		await this.waitForWebhooks(deadline);
	}

	/** `n8n start` (the main process) until /healthz/readiness answers, which comes with the editor's routes. */
	async startMain(deadline: number): Promise<void> {
		if (this.running) return;
		this.main = new N8nProcess(['start'], this.n8nDir, this.userFolder, this.env, this.logFile);
		this.main.spawn();
		await this.main.waitUntilReady(this.url, deadline);
	}

	/** Waits until whoever serves production webhooks answers every published workflow's. */
	async waitForWebhooks(deadline: number): Promise<void> {
		const hooks = (this.options.publish === false ? [] : (this.options.workflows ?? [])).flatMap(
			webhookPaths,
		);
		if (hooks.length) {
			// Read by whoever studies this log after a failure: these probes' 404s are not the failure.
			fs.appendFileSync(
				this.logFile,
				`\n[fanloop: probing ${hooks.length} production webhook(s) with OPTIONS until n8n serves them; "is not registered" errors before that are the probe]\n`,
			);
		}
		for (const hook of hooks) {
			await this.waitFor(`production webhook ${hook.method} ${hook.path}`, deadline, () =>
				this.isWebhookRegistered(hook.path, hook.method),
			);
		}
	}

	private async waitFor(
		what: string,
		deadline: number,
		check: () => Promise<boolean>,
	): Promise<void> {
		if (this.main) return this.main.waitFor(what, deadline, check);
		for (;;) {
			if (await check()) return;
			if (Date.now() > deadline)
				throw new Error(`timed out waiting for ${what}\n${this.logTail()}`);
			await sleep(250);
		}
	}

	/** Whether n8n serves the production webhook at this path yet. */
	isWebhookRegistered(webhookPath: string, method = 'POST'): Promise<boolean> {
		return isWebhookRegistered(this.webhookUrl(webhookPath), method);
	}

	webhookUrl(webhookPath: string): string {
		return `${this.webhookBaseUrl}/webhook/${webhookPath.replace(/^\//, '')}`;
	}

	/** Stops n8n (SIGTERM to its process group, SIGKILL after a grace period). */
	async stop(graceMs = 15_000): Promise<void> {
		if (!this.main) return;
		await this.main.stop(graceMs);
		this.publicApi.signedOut();
	}

	logTail(lines = 60): string {
		if (!fs.existsSync(this.logFile)) return '';
		const all = fs.readFileSync(this.logFile, 'utf8').split('\n');
		return `--- last ${lines} lines of ${this.logFile} ---\n${all.slice(-lines).join('\n')}`;
	}

	/** A public-API key for the owner (created once per instance object). */
	apiKey(): Promise<string> {
		return this.publicApi.apiKey();
	}

	/** GET on n8n's public API (/api/v1). */
	api<T>(pathAndQuery: string): Promise<T> {
		return this.publicApi.get<T>(pathAndQuery);
	}

	/** The owner's session cookie for n8n's internal REST API (/rest), which the editor uses. */
	login(): Promise<string> {
		return this.publicApi.login();
	}

	/** All executions of a workflow (newest first), with their data when asked. */
	executions(workflowId: string, includeData = false): Promise<Execution[]> {
		return this.publicApi.executions(workflowId, includeData);
	}

	/** Waits until a workflow has at least `count` finished executions; returns them. */
	waitForExecutions(
		workflowId: string,
		count: number,
		timeoutMs = 30_000,
		includeData = false,
	): Promise<Execution[]> {
		return this.publicApi.waitForExecutions(workflowId, count, timeoutMs, includeData, () =>
			this.logTail(),
		);
	}
}
