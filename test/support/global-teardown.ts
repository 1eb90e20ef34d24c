import * as fs from 'node:fs';

import { sweepLeftovers } from '../../scripts/leftovers';

export default async function globalTeardown(): Promise<void> {
	await globalThis.fanloopPostgres?.stop();
	const leftovers = globalThis.fanloopLeftovers;
	if (leftovers) {
		sweepLeftovers(leftovers);
		fs.rmSync(leftovers, { recursive: true, force: true });
	}
}
