import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8N_VERSION, repoRoot } from './paths';
import { run } from './run';

/**
 * Ensures the pinned n8n is installed in the machine's cache (scripts/install-n8n.sh: once,
 * about 3 GB, under a lock) and returns its folder.
 */
export async function ensureN8nInstalled(): Promise<string> {
	const out = await run('bash', [path.join(repoRoot, 'scripts/install-n8n.sh')], {
		cwd: repoRoot,
		env: { ...process.env, FANLOOP_N8N_VERSION: N8N_VERSION },
		stderr: 'inherit',
		timeoutMs: 30 * 60_000,
	});
	const dir = out.trim().split('\n').pop() ?? '';
	if (!fs.existsSync(n8nBin(dir))) {
		throw new Error(`install-n8n.sh did not produce an n8n in "${dir}"`);
	}
	return dir;
}

/** n8n's command-line entry point inside an install folder. */
export function n8nBin(n8nDir: string): string {
	return path.join(n8nDir, 'node_modules/n8n/bin/n8n');
}
