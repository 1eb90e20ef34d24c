import * as fs from 'node:fs';

import { sweepLeftovers } from '../../scripts/n8n/leftovers';

export default async function globalTeardown(): Promise<void> {
	await globalThis.fanloopPostgres?.stop();
	const leftovers = globalThis.fanloopN8nLeftovers;
	if (leftovers) {
		sweepLeftovers(leftovers);
		fs.rmSync(leftovers, { recursive: true, force: true });
	}
}
