import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where every n8n and hub process a test run starts records itself, when the environment names a
 * folder (FANLOOP_LEFTOVERS; the jest global setup sets it): a process that never got to stop
 * what it started — a jest worker torn down, a crash — cannot clean up after itself, and one
 * sweep at the end of the run (sweepLeftovers) ends those processes and drops n8n's temporary data.
 */
export const LEFTOVERS_ENV = 'FANLOOP_LEFTOVERS';

/** A process group (n8n and its task runner), a single process (a hub), a temporary user folder. */
type Kind = 'group' | 'process' | 'folder';

function entry(kind: Kind, id: string): string | undefined {
	const dir = process.env[LEFTOVERS_ENV];
	return dir ? path.join(dir, `${kind}-${id.replace(/[^\w.-]/g, '_')}`) : undefined;
}

export function recordLeftover(kind: Kind, id: string, content: string): void {
	const file = entry(kind, id);
	if (file) fs.writeFileSync(file, content);
}

export function forgetLeftover(kind: Kind, id: string): void {
	const file = entry(kind, id);
	if (file) fs.rmSync(file, { force: true });
}

/** Kills the processes and groups still recorded and drops the data of temporary user folders. */
export function sweepLeftovers(dir: string): void {
	if (!fs.existsSync(dir)) return;
	for (const name of fs.readdirSync(dir)) {
		const content = fs.readFileSync(path.join(dir, name), 'utf8').trim();
		if (name.startsWith('group-') || name.startsWith('process-')) {
			const pid = Number(content);
			try {
				process.kill(name.startsWith('group-') ? -pid : pid, 'SIGKILL');
			} catch {
				// ended already
			}
		} else if (name.startsWith('folder-')) {
			removeN8nData(content);
		}
	}
}

/** n8n's database, installed package and ~50 MB cache; n8n.log stays for a reader. */
export function removeN8nData(userFolder: string): void {
	for (const data of ['.n8n', '.cache']) {
		fs.rmSync(path.join(userFolder, data), { recursive: true, force: true });
	}
}
