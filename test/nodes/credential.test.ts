import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { startHub, type RunningHub } from '../../hub/src';
import { testHubCredential } from '../../nodes/shared/credential-test';
import { freePort } from '../../scripts/n8n/free-port';
import { API_KEY, FakeHub } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';

/** n8n calls the test with helpers the function does not use; the credential is all it reads. */
function testCredential(baseUrl: string, apiKey: string): Promise<INodeCredentialTestResult> {
	return testHubCredential.call({} as ICredentialTestFunctions, {
		id: 'credential',
		name: 'Fanloop Hub',
		type: 'fanloopHubApi',
		data: { baseUrl, apiKey },
	});
}

describe('Fanloop Hub credential test', () => {
	let hub: RunningHub;
	let apiKey: string;
	let dataDir: string;
	beforeAll(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-credential-'));
		hub = await startHub({ port: 0, dataDir, sealingKey: randomBytes(32) });
		apiKey = await hub.createApiKey('credential test');
	});
	afterAll(async () => {
		await hub?.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it.each([
		["the hub's address", (url: string) => url],
		['a trailing slash', (url: string) => `${url}/`],
		['a trailing /v1', (url: string) => `${url}/v1`],
		['spaces and /v1/', (url: string) => ` ${url}/v1/ `],
	])('connects with %s', async (_, baseUrl) => {
		expect(await testCredential(baseUrl(hub.url), apiKey)).toEqual({
			status: 'OK',
			message: 'Connected to the Fanloop hub.',
		});
	});

	it('says the key was refused, and how to make one', async () => {
		const result = await testCredential(hub.url, 'not-a-key');
		expect(result.status).toBe('Error');
		expect(result.message).toContain('rejected the API key');
		expect(result.message).toContain('fanloop-hub api-key create');
	});

	it('says nothing answers at an address where no hub runs', async () => {
		const closed = `http://127.0.0.1:${await freePort()}`;
		const result = await testCredential(closed, apiKey);
		expect(result).toEqual({
			status: 'Error',
			message: `Could not reach the Fanloop hub at ${closed}: nothing accepts connections at that address. Check that the hub is running and that the Base URL is the address it answers at.`,
		});
		expect(result.message).not.toContain('ECONNREFUSED');
	});

	it('says a host name that does not exist cannot be reached', async () => {
		const result = await testCredential('http://fanloop-hub.invalid', apiKey);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^Could not reach the Fanloop hub at http:\/\/fanloop-hub\.invalid: that host name (does not exist|could not be looked up)\./,
		);
	});

	it('says a server that is not the hub is not the hub', async () => {
		// A web server of some other kind, answering 404 for paths it does not have.
		const other = createServer((_, response) => response.writeHead(404).end('Not Found'));
		await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = other.address() as AddressInfo;
			const result = await testCredential(`http://127.0.0.1:${port}/some/path`, apiKey);
			expect(result.status).toBe('Error');
			expect(result.message).toContain("but not the Fanloop hub's API");
		} finally {
			await new Promise((resolve) => other.close(resolve));
		}
	});

	it('asks for an http(s) address when the Base URL is not one', async () => {
		const result = await testCredential('hub.example.com', apiKey);
		expect(result.status).toBe('Error');
		expect(result.message).toContain('starting with http:// or https://');
	});

	it('never shows the API key in what it says', async () => {
		for (const baseUrl of [hub.url, 'http://127.0.0.1:1', 'nope']) {
			const result = await testCredential(baseUrl, `${apiKey}x`);
			expect(result.message).not.toContain(apiKey);
		}
	});

	describe('a Base URL ending in /v1 in the nodes', () => {
		const fakeHub = new FakeHub();
		beforeAll(async () => await fakeHub.start());
		afterAll(async () => await fakeHub.stop());

		it('reaches the same API paths', async () => {
			fakeHub.on('GET', /^\/v1\/fans\/fan_a$/, { status: 200, body: { id: 'fan_a' } });
			const run = await runWorkflow(
				readFixture('fan-get.workflow.json'),
				{ baseUrl: `${fakeHub.baseUrl}/v1/`, apiKey: API_KEY },
				[{ json: { fanId: 'fan_a' } }],
			);
			expect(outputsOf(run, 'Get Fan')[0]?.map((item) => item.json)).toEqual([{ id: 'fan_a' }]);
			expect(fakeHub.requests.map((request) => request.path)).toEqual(['/v1/fans/fan_a']);
		});
	});
});
