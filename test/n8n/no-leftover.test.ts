/**
 * A process that started n8n and ends without stopping it (an uncaught error, a test worker torn
 * down) takes n8n and its task runner with it: nothing keeps listening after a test run.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { repoRoot } from '../../scripts/n8n/paths';
import { eventually } from '../support/eventually';

jest.setTimeout(5 * 60_000);

/** Processes whose environment says they run n8n on this user folder. */
function n8nProcessesOn(userFolder: string): number[] {
	const found: number[] = [];
	for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
			if (environ.includes(`N8N_USER_FOLDER=${userFolder}`)) found.push(Number(pid));
		} catch {
			// gone meanwhile, or not ours to read
		}
	}
	return found;
}

it('ends n8n when the process that started it exits without stopping it', async () => {
	execFileSync(
		process.execPath,
		[path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'scripts/tsconfig.json'],
		{ cwd: repoRoot, stdio: 'inherit' },
	);
	const script = `
		const { N8n } = require(${JSON.stringify(path.join(repoRoot, '.fanloop/build/scripts/n8n/instance.js'))});
		N8n.start({ name: 'left-behind', installPackage: false }).then((n8n) => {
			process.stdout.write(n8n.userFolder + '\\n');
			process.exit(0); // no stop()
		});`;
	const owner = spawn(process.execPath, ['-e', script], {
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	let out = '';
	owner.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
	const code = await new Promise<number | null>((resolve) => owner.once('exit', resolve));
	expect(code).toBe(0);
	const userFolder = out.trim();
	expect(userFolder).not.toBe('');

	await eventually(
		'n8n to end with the process that started it',
		() => (n8nProcessesOn(userFolder).length === 0 ? true : undefined),
		15_000,
		() => `still running: ${n8nProcessesOn(userFolder).join(', ')}`,
	);
	fs.rmSync(userFolder, { recursive: true, force: true });
});
