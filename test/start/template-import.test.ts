/**
 * `npm start` imports each template of workflows/ once. A template is recorded as imported only
 * after n8n took it, so a failed import (or a run stopped halfway) is retried on the next start
 * instead of being skipped for good. The sandbox stand-ins share npm start's process, so they
 * must keep answering while an import runs.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { N8n } from '../../scripts/n8n/instance';
import { importNewTemplates } from '../../scripts/n8n/templates';

jest.setTimeout(5 * 60_000);

describe('importing the templates into n8n', () => {
	const templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-templates-'));
	const bare = fs.readFileSync(
		path.join(__dirname, '../n8n/fixtures/bare-webhook.workflow.json'),
		'utf8',
	);
	let n8n: N8n;

	beforeAll(async () => {
		n8n = await N8n.prepare({ name: 'template-import', installPackage: false });
	});
	afterAll(() => {
		fs.rmSync(templatesDir, { recursive: true, force: true });
		fs.rmSync(n8n?.userFolder ?? '', { recursive: true, force: true });
	});

	it('records a template only once n8n imported it, and retries one that failed on the next run', async () => {
		fs.writeFileSync(path.join(templatesDir, 'a-bare.json'), bare);
		// Not a workflow n8n accepts: no nodes, no connections.
		fs.writeFileSync(
			path.join(templatesDir, 'b-next.json'),
			JSON.stringify({ name: 'Half-written' }),
		);

		await expect(importNewTemplates(n8n, templatesDir)).rejects.toThrow(/import:workflow/);
		const recorded = (): string[] =>
			fs
				.readFileSync(path.join(n8n.userFolder, 'imported-templates.txt'), 'utf8')
				.split('\n')
				.filter(Boolean);
		expect(recorded()).toEqual(['a-bare.json']);

		const fixed = { ...JSON.parse(bare), id: 'b-next-template', name: 'Next' } as Record<
			string,
			unknown
		>;
		fs.writeFileSync(path.join(templatesDir, 'b-next.json'), JSON.stringify(fixed));
		expect(await importNewTemplates(n8n, templatesDir)).toEqual(['b-next.json']);
		expect(recorded()).toEqual(['a-bare.json', 'b-next.json']);
	});

	it('keeps the process answering requests while n8n imports', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-templates-'));
		fs.writeFileSync(
			path.join(dir, 'c-other.json'),
			JSON.stringify({ ...JSON.parse(bare), id: 'c-other-template', name: 'Other' }),
		);
		const standIn = http.createServer((_req, res) => res.end('ok'));
		await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
		try {
			let imported = false;
			const importing = importNewTemplates(n8n, dir).then(() => (imported = true));
			const { port } = standIn.address() as AddressInfo;
			const answeredWhileImporting = await fetch(`http://127.0.0.1:${port}/`).then(() => !imported);
			await importing;
			expect(answeredWhileImporting).toBe(true);
		} finally {
			standIn.close();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
