import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8n } from './harness';

const bare = JSON.parse(
	fs.readFileSync(path.join(__dirname, 'fixtures/bare-webhook.workflow.json'), 'utf8'),
) as { id: string };

jest.setTimeout(180_000);

describe('a real n8n started by the harness', () => {
	let n8n: N8n;
	beforeAll(async () => {
		n8n = await N8n.start({ name: 'smoke', workflows: [bare] });
	});
	afterAll(async () => {
		await n8n?.stop();
	});

	it('runs a published webhook workflow and reports the execution through the public API', async () => {
		const res = await fetch(n8n.webhookUrl('fanloop-bare'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ hello: 'fan' }),
		});
		expect(res.status).toBe(200);
		const [execution] = await n8n.waitForExecutions(bare.id, 1, 30_000, true);
		expect(execution.status).toBe('success');
		expect(execution.mode).toBe('webhook');
	});
});
