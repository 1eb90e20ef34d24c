import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { recordLeftover, removeN8nData } from '../leftovers';

const made = new Set<string>();
let exitHookInstalled = false;

/**
 * A user folder for an n8n nobody asked to keep (a test's). n8n's data in it goes when the
 * process exits, or at the test run's sweep when the process cannot clean up itself.
 */
export function temporaryUserFolder(name: string): string {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), `fanloop-n8n-${name}-`));
	made.add(folder);
	recordLeftover('folder', path.basename(folder), folder);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.once('exit', () => made.forEach(removeN8nData));
	}
	return folder;
}
