import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where every n8n started by this process and its children records itself, when the environment
 * names a folder (FANLOOP_N8N_LEFTOVERS; a test run sets it): a process that never got to stop
 * its n8n — a jest worker torn down, a crash — cannot clean up after itself, and one sweep at the
 * end of the run (sweepLeftovers) ends those n8n process groups and drops their temporary data.
 */
export const LEFTOVERS_ENV = 'FANLOOP_N8N_LEFTOVERS';

function entry(kind: 'group' | 'folder', id: string): string | undefined {
	const dir = process.env[LEFTOVERS_ENV];
	return dir ? path.join(dir, `${kind}-${id.replace(/[^\w.-]/g, '_')}`) : undefined;
}

export function recordLeftover(kind: 'group' | 'folder', id: string, content: string): void {
	const file = entry(kind, id);
	if (file) fs.writeFileSync(file, content);
}

export function forgetLeftover(kind: 'group' | 'folder', id: string): void {
	const file = entry(kind, id);
	if (file) fs.rmSync(file, { force: true });
}

/** Kills the n8n process groups still recorded and drops the data of temporary user folders. */
export function sweepLeftovers(dir: string): void {
	if (!fs.existsSync(dir)) return;
	for (const name of fs.readdirSync(dir)) {
		const content = fs.readFileSync(path.join(dir, name), 'utf8').trim();
		if (name.startsWith('group-')) {
			try {
				process.kill(-Number(content), 'SIGKILL');
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
