/**
 * A process that started n8n and ends without stopping it takes n8n and its task runner with it,
 * and a test run's sweep ends those whose process could not clean up (a jest worker torn down):
 * nothing keeps listening after a test run, and n8n's temporary data goes too.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { LEFTOVERS_ENV, sweepLeftovers } from '../../scripts/leftovers';
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

/** Starts n8n from a separate node process that then ends as `end` says, without stop(); returns n8n's user folder. */
async function startN8nAndEnd(end: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
	const script = `
		const { N8n } = require(${JSON.stringify(path.join(repoRoot, '.fanloop/build/scripts/n8n/instance.js'))});
		N8n.start({ name: 'left-behind', installPackage: false }).then((n8n) => {
			process.stdout.write(n8n.userFolder + '\\n', () => { ${end} });
		});`;
	const owner = spawn(process.execPath, ['-e', script], {
		cwd: repoRoot,
		env,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	let out = '';
	owner.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
	await new Promise((resolve) => owner.once('exit', resolve));
	const userFolder = out.trim();
	expect(userFolder).not.toBe('');
	return userFolder;
}

async function untilNoN8nOn(userFolder: string): Promise<void> {
	await eventually(
		'n8n to end',
		() => (n8nProcessesOn(userFolder).length === 0 ? true : undefined),
		15_000,
		() => `still running: ${n8nProcessesOn(userFolder).join(', ')}`,
	);
}

beforeAll(() => {
	execFileSync(
		process.execPath,
		[path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'scripts/tsconfig.json'],
		{ cwd: repoRoot, stdio: 'inherit' },
	);
});

it('ends n8n when the process that started it exits without stopping it', async () => {
	const userFolder = await startN8nAndEnd('process.exit(0);');
	await untilNoN8nOn(userFolder);
	expect(fs.existsSync(path.join(userFolder, '.n8n'))).toBe(false);
	fs.rmSync(userFolder, { recursive: true, force: true });
});

it("ends n8n at the run's sweep when the process that started it was killed outright", async () => {
	const leftovers = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-test-run-'));
	try {
		const userFolder = await startN8nAndEnd("process.kill(process.pid, 'SIGKILL');", {
			...process.env,
			[LEFTOVERS_ENV]: leftovers,
		});
		expect(n8nProcessesOn(userFolder)).not.toEqual([]); // nothing ran to stop it

		sweepLeftovers(leftovers);
		await untilNoN8nOn(userFolder);
		expect(fs.existsSync(path.join(userFolder, '.n8n'))).toBe(false);
		fs.rmSync(userFolder, { recursive: true, force: true });
	} finally {
		fs.rmSync(leftovers, { recursive: true, force: true });
	}
});
