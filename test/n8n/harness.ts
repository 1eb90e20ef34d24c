/**
 * A real n8n (the pinned release, installed once per machine) for integration tests, the
 * benchmark and the main command: the node package is packed and installed into the user
 * folder the way Settings → Community Nodes does, credentials and workflows are imported and
 * published with n8n's CLI, and `n8n start` runs as a child process whose output goes to a
 * log file under .test-artifacts/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const N8N_VERSION = '2.41.1';
export const PACKAGE_NAME = 'n8n-nodes-fanloop';
/** The clone's root, also when this file runs compiled from a build folder inside it. */
export const repoRoot = ((): string => {
	for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
		if (fs.existsSync(path.join(dir, 'scripts/install-n8n.sh'))) return dir;
	}
	throw new Error(`no scripts/install-n8n.sh above ${__dirname}`);
})();
export const artifactsDir = path.join(repoRoot, '.test-artifacts');

/** Ensures the pinned n8n is installed in the shared cache; returns its folder. */
export function ensureN8nInstalled(): string {
	const out = execFileSync('bash', [path.join(repoRoot, 'scripts/install-n8n.sh')], {
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'inherit'],
		env: { ...process.env, FANLOOP_N8N_VERSION: N8N_VERSION },
		timeout: 30 * 60_000,
	});
	const dir = out.toString().trim().split('\n').pop() ?? '';
	if (!fs.existsSync(path.join(dir, 'node_modules/n8n/bin/n8n'))) {
		throw new Error(`install-n8n.sh did not produce an n8n in "${dir}"`);
	}
	return dir;
}

/** The files whose content decides what `gulp build` + `npm pack` produce. */
function packageSourceFiles(): string[] {
	const files: string[] = [];
	const walk = (dir: string): void => {
		if (!fs.existsSync(dir)) return;
		for (const entry of fs
			.readdirSync(dir, { withFileTypes: true })
			.sort((a, b) => a.name.localeCompare(b.name))) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else files.push(full);
		}
	};
	walk(path.join(repoRoot, 'nodes'));
	walk(path.join(repoRoot, 'credentials'));
	for (const f of [
		'package.json',
		'gulpfile.js',
		'tsconfig.json',
		'README.md',
		'LICENSE',
		'LICENSE.md',
	]) {
		const full = path.join(repoRoot, f);
		if (fs.existsSync(full)) files.push(full);
	}
	return files;
}

function withLock<T>(lockDir: string, fn: () => T): T {
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	const deadline = Date.now() + 10 * 60_000;
	for (;;) {
		try {
			fs.mkdirSync(lockDir);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			// A lock older than the deadline was left by a killed process.
			const age = Date.now() - fs.statSync(lockDir).mtimeMs;
			if (age > 10 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
		}
	}
	try {
		return fn();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}

/**
 * Builds (gulp build) and packs the node package once per content: test files running in
 * parallel workers and later runs with unchanged sources share one tarball.
 */
export function buildAndPackNodePackage(): string {
	const hash = createHash('sha256');
	for (const f of packageSourceFiles()) {
		hash.update(path.relative(repoRoot, f)).update('\0').update(fs.readFileSync(f)).update('\0');
	}
	const key = hash.digest('hex').slice(0, 16);
	const packDir = path.join(artifactsDir, 'pack', key);
	const done = path.join(packDir, 'tarball.txt');
	return withLock(path.join(artifactsDir, 'pack', '.lock'), () => {
		if (fs.existsSync(done)) return fs.readFileSync(done, 'utf8').trim();
		const run = (cmd: string, args: string[]): string =>
			execFileSync('bash', [path.join(repoRoot, 'scripts/with-node24.sh'), cmd, ...args], {
				cwd: repoRoot,
				stdio: ['ignore', 'pipe', 'inherit'],
				timeout: 10 * 60_000,
			}).toString();
		if (fs.existsSync(path.join(repoRoot, 'gulpfile.js'))) run('gulp', ['build']);
		fs.mkdirSync(packDir, { recursive: true });
		const packed = JSON.parse(
			run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir]),
		) as Array<{ filename: string }>;
		const tarball = path.join(packDir, packed[0].filename);
		fs.writeFileSync(done, tarball + '\n');
		return tarball;
	});
}

/**
 * Installs a packed community package into `<userFolder>/.n8n/nodes` exactly as n8n 2.41's
 * CommunityPackagesService.downloadPackage does: unpack into node_modules/<name>, drop dev,
 * peer and optional dependencies from its package.json (n8n-workflow comes from n8n itself
 * and must not be installed twice), `npm install` there with n8n's flags, and record the
 * dependency in nodes/package.json. Node types then read `<name>.<node>`.
 */
export function installNodePackage(userFolder: string, tarball: string): string {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	const pkgPath = path.join(packageDir, 'package.json');
	const {
		devDependencies: _dev,
		peerDependencies: _peer,
		optionalDependencies: _optional,
		...pkg
	} = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as Record<string, unknown>;
	fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
	execFileSync(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] },
	);
	const nodesPkgPath = path.join(nodesDir, 'package.json');
	const nodesPkg: { dependencies?: Record<string, string>; [k: string]: unknown } = fs.existsSync(
		nodesPkgPath,
	)
		? JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'))
		: { name: 'installed-nodes', private: true };
	nodesPkg.dependencies = { ...nodesPkg.dependencies, [PACKAGE_NAME]: String(pkg.version) };
	fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
	return packageDir;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** A bcrypt hash for N8N_INSTANCE_OWNER_PASSWORD_HASH, made with n8n's own bcryptjs. */
export function bcryptHash(n8nDir: string, password: string): string {
	const req = createRequire(path.join(n8nDir, 'node_modules/n8n/package.json'));
	const bcrypt = req('bcryptjs') as { hashSync(s: string, rounds: number): string };
	return bcrypt.hashSync(password, 10);
}

export interface N8nOwner {
	email: string;
	password: string;
}

export interface N8nEnvOptions {
	n8nDir: string;
	userFolder: string;
	port: number;
	brokerPort: number;
	encryptionKey: string;
	owner: N8nOwner;
	/** Public base URL of the instance; defaults to http://127.0.0.1:<port>/ */
	publicUrl?: string;
}

/**
 * The environment every n8n we run gets: its own user folder and ports (the task broker
 * defaults to 5679, so parallel instances each get their own), an owner set from env so
 * nobody clicks through setup, and nothing that talks to the internet.
 */
export function n8nEnv(o: N8nEnvOptions): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	// Inherit the basics but none of the caller's n8n or database configuration, and not
	// jest's NODE_ENV=test: with it n8n's CLI commands silently do nothing.
	for (const [k, v] of Object.entries(process.env)) {
		if (!/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_ENV$|JEST_)/.test(k)) {
			env[k] = v;
		}
	}
	const publicUrl = o.publicUrl ?? `http://127.0.0.1:${o.port}/`;
	const ownerHashFile = path.join(o.userFolder, 'owner-password.bcrypt');
	let ownerHash = fs.existsSync(ownerHashFile) ? fs.readFileSync(ownerHashFile, 'utf8') : '';
	const [storedFor, storedHash] = ownerHash.split('\n');
	if (storedFor !== o.owner.email + ':' + sha256(o.owner.password) || !storedHash) {
		ownerHash = `${o.owner.email}:${sha256(o.owner.password)}\n${bcryptHash(o.n8nDir, o.owner.password)}`;
		fs.mkdirSync(o.userFolder, { recursive: true });
		fs.writeFileSync(ownerHashFile, ownerHash, { mode: 0o600 });
	}
	Object.assign(env, {
		N8N_USER_FOLDER: o.userFolder,
		N8N_PORT: String(o.port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: new URL(publicUrl).hostname,
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: publicUrl, // 2.41's name for WEBHOOK_URL (which it flags as deprecated)
		N8N_EDITOR_BASE_URL: publicUrl,
		N8N_SECURE_COOKIE: 'false',
		N8N_ENCRYPTION_KEY: o.encryptionKey,
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_RUNNERS_BROKER_PORT: String(o.brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: o.owner.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: 'Fanloop',
		N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
		N8N_INSTANCE_OWNER_PASSWORD_HASH: ownerHash.split('\n')[1],
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry', // refreshes a registry from api.n8n.io on start
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_PUBLIC_API_DISABLED: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_NO_COLOR: 'true',
		NO_COLOR: '1',
		GENERIC_TIMEZONE: 'UTC',
	});
	return env;
}

function sha256(s: string): string {
	return createHash('sha256').update(s).digest('hex');
}

export interface N8nOptions {
	/** Used for the log file name. */
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
	/** Logs go here; defaults to .test-artifacts/n8n-<name>.log */
	logFile?: string;
	/** Echo n8n's output to this stream as well. */
	echo?: NodeJS.WritableStream;
}

export interface Execution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	workflowId: string;
	startedAt: string;
	stoppedAt?: string | null;
	data?: {
		resultData: {
			runData: Record<string, Array<{ data?: { main: Array<Array<{ json: unknown }> | null> } }>>;
			error?: unknown;
		};
	};
}

export class N8n {
	readonly url: string;
	readonly logFile: string;
	private child: ChildProcess | undefined;
	private exited: Promise<void> = Promise.resolve();
	private cookie: string | undefined;
	private apiKeyValue: string | undefined;

	private constructor(
		readonly n8nDir: string,
		readonly userFolder: string,
		readonly port: number,
		readonly owner: N8nOwner,
		private readonly env: NodeJS.ProcessEnv,
		private readonly options: N8nOptions,
	) {
		this.url = `http://127.0.0.1:${port}`;
		this.logFile = options.logFile ?? path.join(artifactsDir, `n8n-${options.name}.log`);
	}

	/** Installs what is missing, imports and publishes, then starts n8n and waits until ready. */
	static async start(options: N8nOptions): Promise<N8n> {
		const instance = await N8n.prepare(options);
		await instance.start();
		return instance;
	}

	/** Everything but `n8n start`. */
	static async prepare(options: N8nOptions): Promise<N8n> {
		const n8nDir = ensureN8nInstalled();
		const userFolder =
			options.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), `fanloop-n8n-${options.name}-`));
		fs.mkdirSync(userFolder, { recursive: true });
		const port = options.port ?? (await freePort());
		const brokerPort = await freePort();
		const owner = options.owner ?? {
			email: 'owner@fanloop.test',
			password: 'Fanloop-test-1',
		};
		const keyFile = path.join(userFolder, 'encryption.key');
		if (!fs.existsSync(keyFile)) {
			fs.writeFileSync(keyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
		}
		const env = {
			...n8nEnv({
				n8nDir,
				userFolder,
				port,
				brokerPort,
				encryptionKey: fs.readFileSync(keyFile, 'utf8').trim(),
				owner,
			}),
			...options.env,
		};
		const instance = new N8n(n8nDir, userFolder, port, owner, env, options);
		fs.mkdirSync(path.dirname(instance.logFile), { recursive: true });
		fs.writeFileSync(instance.logFile, `n8n ${N8N_VERSION} in ${userFolder}\n`);
		if (options.installPackage !== false) {
			installNodePackage(userFolder, buildAndPackNodePackage());
		}
		if (options.credentials?.length) instance.importJson('credentials', options.credentials);
		for (const wf of options.workflows ?? []) {
			instance.importJson('workflow', [wf]);
			if (options.publish !== false) instance.cli(['publish:workflow', `--id=${wf.id}`]);
		}
		return instance;
	}

	/** Runs an n8n CLI command against this instance's user folder and database. */
	cli(args: string[]): string {
		fs.appendFileSync(this.logFile, `\n$ n8n ${args.join(' ')}\n`);
		try {
			const out = execFileSync(process.execPath, [this.bin, ...args], {
				env: this.env,
				cwd: this.userFolder,
				stdio: ['ignore', 'pipe', 'pipe'],
				timeout: 5 * 60_000,
			}).toString();
			fs.appendFileSync(this.logFile, out);
			return out;
		} catch (error) {
			const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
			fs.appendFileSync(this.logFile, `${e.stdout ?? ''}${e.stderr ?? ''}`);
			throw new Error(`n8n ${args[0]} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
		}
	}

	importJson(kind: 'credentials' | 'workflow', items: unknown[]): void {
		const file = path.join(
			this.userFolder,
			`import-${kind}-${randomBytes(4).toString('hex')}.json`,
		);
		fs.writeFileSync(file, JSON.stringify(items), { mode: 0o600 });
		try {
			this.cli([`import:${kind}`, `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	private get bin(): string {
		return path.join(this.n8nDir, 'node_modules/n8n/bin/n8n');
	}

	get running(): boolean {
		return (
			this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
		);
	}

	/** `n8n start`; resolves once /healthz is 200 and every published webhook answers. */
	async start(timeoutMs = 120_000): Promise<void> {
		if (this.running) return;
		fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
		const log = fs.createWriteStream(this.logFile, { flags: 'a' });
		log.write(`\n$ n8n start (port ${this.port})\n`);
		const child = spawn(process.execPath, [this.bin, 'start'], {
			env: this.env,
			cwd: this.userFolder,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true, // own process group: stop() also ends the task runner it spawns
		});
		this.child = child;
		for (const stream of [child.stdout, child.stderr]) {
			stream?.on('data', (chunk: Buffer) => {
				log.write(chunk);
				this.options.echo?.write(chunk);
			});
		}
		this.exited = new Promise((resolve) => {
			child.on('exit', (code, signal) => {
				log.end(`\n[n8n exited code=${code} signal=${signal}]\n`);
				resolve();
			});
		});
		const deadline = Date.now() + timeoutMs;
		await this.waitFor('n8n /healthz', deadline, async () => {
			const res = await fetch(`${this.url}/healthz`).catch(() => undefined);
			return res?.status === 200;
		});
		for (const wf of this.options.publish === false ? [] : (this.options.workflows ?? [])) {
			for (const hook of webhookPaths(wf)) {
				await this.waitFor(`production webhook ${hook.method} ${hook.path}`, deadline, () =>
					this.isWebhookRegistered(hook.path, hook.method),
				);
			}
		}
	}

	private async waitFor(
		what: string,
		deadline: number,
		check: () => Promise<boolean>,
	): Promise<void> {
		for (;;) {
			if (this.child && !this.running) {
				throw new Error(`n8n exited while waiting for ${what}\n${this.logTail()}`);
			}
			if (await check()) return;
			if (Date.now() > deadline)
				throw new Error(`timed out waiting for ${what}\n${this.logTail()}`);
			await sleep(250);
		}
	}

	/**
	 * A CORS preflight asks n8n which methods a production webhook path has without running
	 * anything: 204 with the method listed once registered, 404 before.
	 */
	async isWebhookRegistered(webhookPath: string, method = 'POST'): Promise<boolean> {
		const res = await fetch(this.webhookUrl(webhookPath), {
			method: 'OPTIONS',
			headers: { origin: 'http://127.0.0.1', 'access-control-request-method': method },
		}).catch(() => undefined);
		const allowed = res?.headers.get('access-control-allow-methods') ?? '';
		return res?.status === 204 && allowed.split(/,\s*/).includes(method);
	}

	webhookUrl(webhookPath: string): string {
		return `${this.url}/webhook/${webhookPath.replace(/^\//, '')}`;
	}

	/** Stops n8n (SIGTERM to its process group, SIGKILL after a grace period). */
	async stop(graceMs = 15_000): Promise<void> {
		const child = this.child;
		if (!child || !this.running || child.pid === undefined) return;
		const pid = child.pid;
		const signal = (sig: NodeJS.Signals): void => {
			try {
				process.kill(-pid, sig);
			} catch {
				// already gone
			}
		};
		signal('SIGTERM');
		let timer: NodeJS.Timeout | undefined;
		const killed = await Promise.race([
			this.exited.then(() => false),
			new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
		]);
		clearTimeout(timer);
		if (killed) signal('SIGKILL');
		await this.exited;
		signal('SIGKILL'); // a runner left behind in the group
		this.cookie = undefined;
	}

	logTail(lines = 60): string {
		if (!fs.existsSync(this.logFile)) return '';
		const all = fs.readFileSync(this.logFile, 'utf8').split('\n');
		return `--- last ${lines} lines of ${this.logFile} ---\n${all.slice(-lines).join('\n')}`;
	}

	private async login(): Promise<string> {
		if (this.cookie) return this.cookie;
		const res = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: this.owner.email, password: this.owner.password }),
		});
		if (res.status !== 200) throw new Error(`n8n login: ${res.status} ${await res.text()}`);
		const cookie = res.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.find((c) => c.startsWith('n8n-auth='));
		if (!cookie) throw new Error('n8n login: no n8n-auth cookie');
		this.cookie = cookie;
		return cookie;
	}

	/** A public-API key for the owner (created once per instance object). */
	async apiKey(): Promise<string> {
		if (this.apiKeyValue) return this.apiKeyValue;
		const cookie = await this.login();
		const scopesRes = await fetch(`${this.url}/rest/api-keys/scopes`, { headers: { cookie } });
		const scopes = scopesRes.ok
			? ((await scopesRes.json()) as { data: string[] }).data
			: ['execution:list', 'execution:read', 'workflow:list', 'workflow:read'];
		const res = await fetch(`${this.url}/rest/api-keys`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'application/json' },
			body: JSON.stringify({
				label: `fanloop-${randomBytes(3).toString('hex')}`,
				expiresAt: null,
				scopes,
			}),
		});
		if (!res.ok) throw new Error(`n8n api key: ${res.status} ${await res.text()}`);
		const body = (await res.json()) as { data: { rawApiKey: string } };
		this.apiKeyValue = body.data.rawApiKey;
		return this.apiKeyValue;
	}

	/** GET on n8n's public API (/api/v1). */
	async api<T>(pathAndQuery: string): Promise<T> {
		const res = await fetch(`${this.url}/api/v1${pathAndQuery}`, {
			headers: { 'X-N8N-API-KEY': await this.apiKey(), accept: 'application/json' },
		});
		if (!res.ok) throw new Error(`GET /api/v1${pathAndQuery}: ${res.status} ${await res.text()}`);
		return (await res.json()) as T;
	}

	/** All executions of a workflow (newest first), with their data when asked. */
	async executions(workflowId: string, includeData = false): Promise<Execution[]> {
		const all: Execution[] = [];
		let cursor: string | undefined;
		do {
			const q = new URLSearchParams({ workflowId, limit: '250', includeData: String(includeData) });
			if (cursor) q.set('cursor', cursor);
			const page = await this.api<{ data: Execution[]; nextCursor?: string | null }>(
				`/executions?${q}`,
			);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all;
	}

	/** Waits until a workflow has at least `count` finished executions; returns them. */
	async waitForExecutions(
		workflowId: string,
		count: number,
		timeoutMs = 30_000,
		includeData = false,
	): Promise<Execution[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const done = (await this.executions(workflowId, includeData)).filter(
				(e) => e.stoppedAt || e.finished,
			);
			if (done.length >= count) return done;
			if (Date.now() > deadline) {
				throw new Error(
					`workflow ${workflowId}: ${done.length} of ${count} executions after ${timeoutMs} ms\n${this.logTail()}`,
				);
			}
			await sleep(250);
		}
	}
}

/** The production webhook paths a workflow registers (Webhook nodes and trigger nodes with a webhookId). */
export function webhookPaths(workflow: {
	[k: string]: unknown;
}): Array<{ path: string; method: string }> {
	const nodes = (workflow.nodes ?? []) as Array<{
		type: string;
		webhookId?: string;
		disabled?: boolean;
		parameters?: { path?: string; httpMethod?: string };
	}>;
	const hooks: Array<{ path: string; method: string }> = [];
	for (const node of nodes) {
		if (node.disabled) continue;
		if (node.type === 'n8n-nodes-base.webhook') {
			hooks.push({
				path: node.parameters?.path ?? node.webhookId ?? '',
				method: node.parameters?.httpMethod ?? 'GET',
			});
		} else if (node.webhookId && /trigger$/i.test(node.type)) {
			hooks.push({ path: `${node.webhookId}/webhook`, method: 'POST' });
		}
	}
	return hooks;
}

export interface TemplateNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: unknown;
	[k: string]: unknown;
}

/** A workflow template as shipped in workflows/. */
export interface WorkflowTemplate {
	id: string;
	name: string;
	nodes: TemplateNode[];
	[k: string]: unknown;
}

export function loadTemplate(file: string): WorkflowTemplate {
	return JSON.parse(fs.readFileSync(path.join(repoRoot, 'workflows', file), 'utf8')) as WorkflowTemplate;
}

/**
 * A copy of the template whose one trigger of `triggerType` (a schedule, a manual start) is a
 * Webhook node of the same name and place at `hookPath`, so a test starts it on demand;
 * connections stay as shipped. `webhook` adds to the Webhook node's parameters, `adjust` may
 * change any other node of the copy.
 */
export function triggeredByWebhook(
	template: WorkflowTemplate,
	triggerType: string,
	hookPath: string,
	options: { webhook?: Record<string, unknown>; adjust?: (node: TemplateNode) => void } = {},
): WorkflowTemplate {
	const copy = structuredClone(template);
	const triggers = copy.nodes.filter((node) => node.type === triggerType);
	if (triggers.length !== 1) throw new Error(`${template.name} has ${triggers.length} ${triggerType} nodes, not one`);
	copy.nodes = copy.nodes.map((node) =>
		node.type === triggerType
			? {
					id: node.id,
					name: node.name,
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: node.position,
					webhookId: `${hookPath}-0000-4000-8000-000000000000`.slice(0, 36),
					parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {}, ...options.webhook },
				}
			: node,
	);
	copy.nodes.forEach((node) => options.adjust?.(node));
	return copy;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export { eventually } from '../support/eventually';

/**
 * Wraps a test body so a failure carries the tail of n8n's log: jest has no "after a failed
 * test" hook, and what n8n printed is usually the explanation.
 */
export function withN8nLog(
	instance: () => N8n | undefined,
	body: () => Promise<void>,
): () => Promise<void> {
	return async () => {
		try {
			await body();
		} catch (error) {
			const tail = instance()?.logTail(80);
			if (tail && error instanceof Error && !error.message.includes(tail)) {
				error.message += `\n\n${tail}`;
			}
			throw error;
		}
	};
}

/**
 * n8n serves a trigger's webhook before the trigger's `create` has registered it with the
 * hub, and the hub fans an event out only to subscriptions that exist when it is recorded.
 * Tests wait for every Fanloop Trigger's subscription before recording anything.
 */
export async function untilHubSubscribed(
	hub: { ledger: { webhooks: { list(): Promise<unknown[]> } } },
	workflows: Array<{ [k: string]: unknown }>,
	timeoutMs = 60_000,
): Promise<void> {
	const expected = workflows
		.flatMap((workflow) => (workflow.nodes ?? []) as Array<{ type: string; disabled?: boolean }>)
		.filter((node) => !node.disabled && node.type === 'n8n-nodes-fanloop.fanloopTrigger').length;
	const deadline = Date.now() + timeoutMs;
	while ((await hub.ledger.webhooks.list()).length < expected) {
		if (Date.now() > deadline) throw new Error(`only some of ${expected} Fanloop Triggers subscribed to the hub in time`);
		await sleep(100);
	}
}
