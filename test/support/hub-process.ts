import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { forgetLeftover, recordLeftover } from '../../scripts/leftovers';
import { eventually } from './eventually';

const repoRoot = path.resolve(__dirname, '../..');
const CLI = path.join(repoRoot, 'hub/dist/hub/src/cli.js');

/** Under jest, one log file per test file, holding what every hub process it started printed. */
function suiteLogFile(): string {
	// Read through globalThis: benchmarks run this class outside jest, and name their own log file.
	const jest = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect;
	const testPath = jest?.getState().testPath ?? 'unknown';
	const name = path.relative(repoRoot, testPath).replace(/[^\w.-]+/g, '_');
	const dir = path.join(repoRoot, '.test-artifacts', 'hub-logs');
	fs.mkdirSync(dir, { recursive: true });
	return path.join(dir, `${name}.log`);
}

/** Compiles the hub into hub/dist, so a test runs it from its build as `serve` does in production. */
export function buildHub(): void {
	execFileSync(
		process.execPath,
		[
			path.join(repoRoot, 'node_modules/typescript/bin/tsc'),
			'-p',
			path.join(repoRoot, 'hub/tsconfig.json'),
		],
		{
			cwd: repoRoot,
			stdio: 'inherit',
		},
	);
}

/** Where a `hub serve` process listens, keeps its files and finds its ledger, as its environment says it. */
export function hubProcessEnv(options: {
	port: number;
	dataDir: string;
	sealingKey: Buffer;
	/** A shared PostgreSQL ledger; SQLite in `dataDir` when not given. */
	databaseUrl?: string;
}): NodeJS.ProcessEnv {
	return {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		FANLOOP_HOST: '127.0.0.1',
		FANLOOP_PORT: String(options.port),
		FANLOOP_PUBLIC_URL: `http://127.0.0.1:${options.port}`,
		FANLOOP_DATA_DIR: options.dataDir,
		...(options.databaseUrl ? { FANLOOP_DATABASE_URL: options.databaseUrl } : {}),
		FANLOOP_SEALING_KEY: options.sealingKey.toString('base64'),
	};
}

export interface HubProcessOptions {
	/** The compiled CLI to run: hub/dist's (buildHub) unless a benchmark brings its own build. */
	cli?: string;
	/** Where the process's output goes; under jest, the test file's hub log. */
	logFile?: string;
}

/**
 * The hub as its own process (`cli.js serve`, configured only through the environment), for
 * tests that kill it mid-work and start it again on the same data folder, and benchmarks that
 * run several.
 */
export class HubProcess {
	private child: ChildProcess | undefined;
	private output = '';
	private exited: Promise<void> = Promise.resolve();

	constructor(
		private readonly env: NodeJS.ProcessEnv,
		readonly url: string,
		private readonly options: HubProcessOptions = {},
	) {}

	get pid(): number | undefined {
		return this.running ? this.child?.pid : undefined;
	}

	get running(): boolean {
		return (
			this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
		);
	}

	cli(args: string[]): string {
		return execFileSync(process.execPath, [this.options.cli ?? CLI, ...args], {
			env: this.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		}).toString();
	}

	/** Creates an API key through the CLI, as an operator does before the hub serves; returns the key. */
	createApiKey(name: string): string {
		return this.cli(['api-key', 'create', '--name', name]).trim().split('\n').pop() as string;
	}

	async start(): Promise<void> {
		const child = spawn(process.execPath, [this.options.cli ?? CLI, 'serve'], {
			env: this.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child = child;
		// A hub a failed test never killed is ended by the test run's sweep.
		const pid = String(child.pid);
		recordLeftover('process', pid, pid);
		const logFile = this.options.logFile ?? suiteLogFile();
		fs.appendFileSync(logFile, `\n--- hub ${this.url} started ${new Date().toISOString()}\n`);
		const record = (chunk: Buffer): void => {
			this.output += chunk.toString();
			fs.appendFileSync(logFile, chunk);
		};
		child.stdout?.on('data', record);
		child.stderr?.on('data', record);
		this.exited = new Promise((resolve) =>
			child.once('exit', () => {
				forgetLeftover('process', pid);
				resolve();
			}),
		);
		await eventually(
			'the hub to listen',
			async () => {
				if (child.exitCode !== null)
					throw new Error(`the hub exited (${child.exitCode}), log in ${logFile}:\n${this.output}`);
				const response = await fetch(`${this.url}/health`).catch(() => undefined);
				return response?.ok ? true : undefined;
			},
			30_000,
			undefined,
			50,
		);
	}

	/** With SIGKILL no shutdown handler runs: the process is gone mid-write, as after a power cut or the OOM killer. */
	async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
		if (!this.running) return;
		this.child?.kill(signal);
		await this.exited;
	}

	get log(): string {
		return this.output;
	}
}
