/**
 * The newcomer's `npm start`, run as they run it (with the sandbox stand-ins) against this
 * checkout, with its own state folder and free ports: it reaches its banner on the first run,
 * the hub answers, n8n has the Fanloop nodes, the credential and the templates, and Ctrl-C
 * leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../scripts/n8n/free-port';
import { repoRoot } from '../../scripts/n8n/paths';
import { N8nPublicApi } from '../../scripts/n8n/public-api';
import { eventually } from '../support/eventually';

const BANNER_END = 'Press Ctrl-C to stop everything.';

/** Processes whose environment carries this FANLOOP_HOME: everything `npm start` started. */
function processesOf(home: string): string[] {
	const found: string[] = [];
	for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
			if (!environ.includes(`FANLOOP_HOME=${home}`)) continue;
			found.push(`${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
		} catch {
			// gone meanwhile, or not ours to read
		}
	}
	return found;
}

function providerFreeEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (!key.startsWith('FANLOOP_') && !key.startsWith('JEST_') && key !== 'NODE_ENV')
			env[key] = value;
	}
	return env;
}

describe('npm start on a first run', () => {
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-start-'));
	let child: ChildProcess | undefined;
	let output = '';
	let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
		code: null,
		signal: null,
	});

	afterAll(async () => {
		// Only reached with something still running when a check failed before Ctrl-C.
		if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
			process.kill(-child.pid, 'SIGKILL');
			await exited;
		}
		for (const line of processesOf(home)) {
			try {
				process.kill(Number(line.split(':')[0]), 'SIGKILL');
			} catch {
				// ended on its own meanwhile
			}
		}
		fs.rmSync(home, { recursive: true, force: true });
	});

	it(
		'reaches its banner, serves the hub and an n8n with the package, credential and templates, and stops on Ctrl-C',
		async () => {
			const [hubPort, n8nPort, inboxPort] = [await freePort(), await freePort(), await freePort()];
			const started = spawn('npm', ['start'], {
				cwd: repoRoot,
				env: {
					...providerFreeEnv(),
					FANLOOP_HOME: home,
					FANLOOP_PORT: String(hubPort),
					FANLOOP_N8N_PORT: String(n8nPort),
					FANLOOP_SANDBOX_INBOX_PORT: String(inboxPort),
				},
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true, // its own process group, as a terminal's foreground job is
			});
			child = started;
			started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
			started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
			exited = new Promise((resolve) =>
				started.once('exit', (code, signal) => resolve({ code, signal })),
			);

			await eventually(
				'the banner',
				() => {
					if (started.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
					return output.includes(BANNER_END) ? true : undefined;
				},
				15 * 60_000,
				() => output,
				500,
			);
			expect(output.trimEnd().endsWith(BANNER_END)).toBe(true);
			expect(output).toContain(`http://localhost:${n8nPort}`);
			expect(output).toContain(`http://localhost:${hubPort}`);
			expect(output).toContain(`http://localhost:${inboxPort}`);
			expect(output).toContain(path.join(home, 'secrets', 'n8n-hub-api-key'));
			expect(output).not.toMatch(/ENOTFOUND|task runner|Python/i);

			const health = await fetch(`http://127.0.0.1:${hubPort}/health`);
			expect(health.status).toBe(200);

			const owner = {
				email: 'owner@fanloop.local',
				password: fs.readFileSync(path.join(home, 'secrets', 'n8n-owner-password'), 'utf8').trim(),
			};
			expect(output).toContain(`${owner.email} / ${owner.password}`);
			const n8nUrl = `http://127.0.0.1:${n8nPort}`;
			const n8n = new N8nPublicApi(n8nUrl, owner);
			const cookie = await n8n.login();

			const nodeTypes = (await (
				await fetch(`${n8nUrl}/types/nodes.json`, { headers: { cookie } })
			).json()) as Array<{ name: string }>;
			const fanloopNodes = nodeTypes
				.map((t) => t.name)
				.filter((n) => n.startsWith('n8n-nodes-fanloop.'));
			const shipped = (
				JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
					n8n: { nodes: string[] };
				}
			).n8n.nodes.map((file) => path.basename(file, '.node.js'));
			for (const node of shipped) {
				expect(fanloopNodes).toContain(
					`n8n-nodes-fanloop.${node[0].toLowerCase()}${node.slice(1)}`,
				);
			}

			const credentials = (await (
				await fetch(`${n8nUrl}/rest/credentials`, { headers: { cookie } })
			).json()) as { data: Array<{ name: string; type: string }> };
			expect(credentials.data).toEqual(
				expect.arrayContaining([
					expect.objectContaining({ name: 'Fanloop Hub', type: 'fanloopHubApi' }),
					// The weekly report's email goes out through the sandbox's SMTP server.
					expect.objectContaining({ name: 'Team SMTP', type: 'smtp' }),
				]),
			);

			const workflows = await n8n.get<{ data: Array<{ name: string }> }>('/workflows?limit=250');
			const templateNames = fs
				.readdirSync(path.join(repoRoot, 'workflows'))
				.filter((f) => f.endsWith('.json'))
				.map(
					(f) =>
						(
							JSON.parse(fs.readFileSync(path.join(repoRoot, 'workflows', f), 'utf8')) as {
								name: string;
							}
						).name,
				);
			expect(workflows.data.map((w) => w.name).sort()).toEqual(templateNames.sort());

			process.kill(-started.pid!, 'SIGINT'); // what Ctrl-C in a terminal does
			// npm itself ends by the signal it got; what it ran must have stopped cleanly, not crashed.
			const { code, signal } = await exited;
			expect(code === 0 || signal === 'SIGINT').toBe(true);
			expect(output).toContain('Stopping n8n and the hub');
			expect(output).not.toMatch(/The hub exited|fanloop: .*(error|failed)/i);
			await eventually(
				'every process npm start started to end',
				() => (processesOf(home).length === 0 ? true : undefined),
				30_000,
				() => processesOf(home).join('\n'),
			);
		},
		20 * 60_000,
	);
});
