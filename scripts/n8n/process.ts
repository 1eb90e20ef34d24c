import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { n8nBin } from './install';
import { signalGroup, trackGroup, untrackGroup } from './process-group';

/**
 * One long-running n8n command (`start`, `worker`, `webhook`) as a child process in its own
 * process group (n8n spawns a task runner), its output appended to a log file.
 */
export class N8nProcess {
	private child: ChildProcess | undefined;
	private exited: Promise<void> = Promise.resolve();

	constructor(
		readonly command: string[],
		private readonly n8nDir: string,
		private readonly cwd: string,
		private readonly env: NodeJS.ProcessEnv,
		readonly logFile: string,
	) {}

	get pid(): number | undefined {
		return this.child?.pid;
	}

	get running(): boolean {
		return (
			this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
		);
	}

	/** Whether it was started and is gone since. */
	get died(): boolean {
		return this.child !== undefined && !this.running;
	}

	spawn(): void {
		if (this.running) return;
		const log = fs.createWriteStream(this.logFile, { flags: 'a' });
		log.write(`\n$ n8n ${this.command.join(' ')}\n`);
		const child = spawn(process.execPath, [n8nBin(this.n8nDir), ...this.command], {
			env: this.env,
			cwd: this.cwd,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true, // own process group: stop() also ends the task runner it spawns
		});
		this.child = child;
		if (child.pid !== undefined) trackGroup(child.pid);
		child.stdout?.pipe(log, { end: false });
		child.stderr?.pipe(log, { end: false });
		this.exited = new Promise((resolve) => {
			child.on('exit', (code, signal) => {
				log.write(`\n[n8n ${this.command[0]} exited code=${code} signal=${signal}]\n`);
				resolve();
			});
		});
		// Output can still arrive between `exit` and the pipes closing.
		child.on('close', () => log.end());
	}

	/** Waits until `check` holds; fails early when the process dies meanwhile. */
	async waitFor(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
		for (;;) {
			if (this.died) {
				throw new Error(
					`n8n ${this.command[0]} exited while waiting for ${what}\n${this.logTail()}`,
				);
			}
			if (await check()) return;
			if (Date.now() > deadline)
				throw new Error(`timed out waiting for ${what}\n${this.logTail()}`);
			await sleep(250);
		}
	}

	/** Waits for an n8n server's /healthz/readiness (the main, webhook and worker servers all have it). */
	waitUntilReady(baseUrl: string, deadline: number): Promise<void> {
		return this.waitFor(
			`n8n ${this.command[0]} ${baseUrl}/healthz/readiness`,
			deadline,
			async () => {
				const res = await fetch(`${baseUrl}/healthz/readiness`).catch(() => undefined);
				return res?.status === 200;
			},
		);
	}

	/** Kills the whole group at once, the way a crashed machine would: no graceful shutdown. */
	async kill(): Promise<void> {
		const pid = this.child?.pid;
		if (pid === undefined) return;
		signalGroup(pid, 'SIGKILL');
		await this.exited;
		untrackGroup(pid);
	}

	/** SIGTERM to its process group, SIGKILL after a grace period. */
	async stop(graceMs = 15_000): Promise<void> {
		const child = this.child;
		if (!child || child.pid === undefined) return;
		const pid = child.pid;
		if (this.running) {
			signalGroup(pid, 'SIGTERM');
			let timer: NodeJS.Timeout | undefined;
			const ignoredTerm = await Promise.race([
				this.exited.then(() => false),
				new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
			]);
			clearTimeout(timer);
			if (ignoredTerm) signalGroup(pid, 'SIGKILL');
			await this.exited;
		}
		signalGroup(pid, 'SIGKILL'); // a task runner left behind in the group
		untrackGroup(pid);
	}

	logTail(lines = 60): string {
		if (!fs.existsSync(this.logFile)) return '';
		const all = fs.readFileSync(this.logFile, 'utf8').split('\n');
		return `--- last ${lines} lines of ${this.logFile} ---\n${all.slice(-lines).join('\n')}`;
	}
}
