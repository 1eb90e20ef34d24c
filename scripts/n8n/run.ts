import { spawn } from 'node:child_process';

export interface RunOptions {
	cwd: string;
	env?: NodeJS.ProcessEnv;
	/** Killed (SIGKILL) when it takes longer. */
	timeoutMs?: number;
	/** `inherit` shows the command's progress; `pipe` keeps it for the error message. */
	stderr?: 'pipe' | 'inherit' | 'ignore';
}

/**
 * Runs a command to its end and resolves with its stdout. Never blocks the event loop: the
 * sandbox stand-ins and the watchers living in the caller's process keep answering while an
 * n8n CLI call takes its 20–30 s.
 */
export function run(command: string, args: string[], options: RunOptions): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer =
			options.timeoutMs === undefined
				? undefined
				: setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			if (code === 0) return resolve(stdout);
			const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
			const said = stderr.trim() ? `:\n${stderr.trim()}` : '';
			reject(new RunError(`${command} ${args.join(' ')} ${how}${said}`, stdout, stderr));
		});
	});
}

/** A command that did not succeed, with what it printed. */
export class RunError extends Error {
	constructor(
		message: string,
		readonly stdout: string,
		readonly stderr: string,
	) {
		super(message);
		this.name = 'RunError';
	}
}
