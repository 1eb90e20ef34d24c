import * as fs from 'node:fs';
import * as path from 'node:path';

/** The n8n release everything here is built and tested against (DESIGN.md §5: 2.41.3 cannot install). */
export const N8N_VERSION = '2.41.1';
/** The node package's name, which prefixes its node types in n8n (`n8n-nodes-fanloop.<node>`). */
export const PACKAGE_NAME = 'n8n-nodes-fanloop';

/** The clone's root, also when this file runs compiled from a build folder inside it. */
export const repoRoot = ((): string => {
	for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
		if (fs.existsSync(path.join(dir, 'scripts/install-n8n.sh'))) return dir;
	}
	throw new Error(`no scripts/install-n8n.sh above ${__dirname}`);
})();
