import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { N8n } from './instance';

/**
 * Imports the workflow templates of a folder that this user folder has not imported yet, each
 * recorded as imported only once n8n has it: a marketer's edits to an imported template survive
 * a re-run, and a run stopped halfway imports the rest next time. Returns the names imported.
 */
export async function importNewTemplates(n8n: N8n, templatesDir: string): Promise<string[]> {
	if (!fs.existsSync(templatesDir)) return [];
	const doneFile = path.join(n8n.userFolder, 'imported-templates.txt');
	const done = new Set(
		fs.existsSync(doneFile) ? fs.readFileSync(doneFile, 'utf8').split('\n') : [],
	);
	const imported: string[] = [];
	for (const name of fs
		.readdirSync(templatesDir)
		.filter((f) => f.endsWith('.json'))
		.sort()) {
		if (done.has(name)) continue;
		const wf = JSON.parse(fs.readFileSync(path.join(templatesDir, name), 'utf8')) as {
			id?: string;
			[k: string]: unknown;
		};
		// Templates may ship without an id; a stable one keeps re-imports from duplicating them.
		const id = wf.id ?? createHash('sha256').update(name).digest('hex').slice(0, 16);
		await n8n.importJson('workflow', [{ ...wf, id }]);
		fs.appendFileSync(doneFile, `${name}\n`);
		imported.push(name);
	}
	return imported;
}
