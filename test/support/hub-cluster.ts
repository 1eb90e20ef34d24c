import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../scripts/n8n/free-port';
import { HubProcess, hubProcessEnv } from './hub-process';
import type { TestDatabase } from './stores';

/** `count` distinct free ports, known before the processes (and the stand-ins naming them) start. */
export async function freePorts(count: number): Promise<number[]> {
	const ports: number[] = [];
	while (ports.length < count) {
		const port = await freePort();
		if (!ports.includes(port)) ports.push(port);
	}
	return ports;
}

/**
 * Hub processes on one PostgreSQL database, one per port, configured alike (the same
 * sealing key and `env`) as the README's "Several hub processes" asks; each has a data
 * folder of its own. Not started: a test starts and kills them as its story needs.
 */
export class HubCluster {
	private constructor(
		readonly hubs: HubProcess[],
		private readonly workDirs: string[],
	) {}

	static create(
		database: TestDatabase,
		ports: number[],
		sealingKey: Buffer,
		env: NodeJS.ProcessEnv,
	): HubCluster {
		const workDirs: string[] = [];
		const hubs = ports.map((port) => {
			const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-scale-'));
			workDirs.push(workDir);
			return new HubProcess(
				{
					...hubProcessEnv({
						port,
						dataDir: workDir,
						sealingKey,
						databaseUrl: database.databaseUrl,
					}),
					...env,
				},
				`http://127.0.0.1:${port}`,
			);
		});
		return new HubCluster(hubs, workDirs);
	}

	async close(): Promise<void> {
		await Promise.all(this.hubs.map((hub) => hub.kill('SIGTERM')));
		for (const workDir of this.workDirs) fs.rmSync(workDir, { recursive: true, force: true });
	}
}
