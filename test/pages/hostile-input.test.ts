import { startHub, type RunningHub } from '../../hub/src';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** A fan who opens a mangled link gets a page in their browser, never a JSON error or a stack. */
describe('fan pages facing hostile input', () => {
	let database: TestDatabase;
	let hub: RunningHub;

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		hub = await startHub({ port: 0, dataDir: database.dataDir, sealingKey: newSealingKey() });
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	async function open(path: string, init: RequestInit = {}) {
		const response = await fetch(`${hub.url}${path}`, { redirect: 'manual', ...init });
		return {
			status: response.status,
			type: response.headers.get('content-type') ?? '',
			text: await response.text(),
		};
	}

	function expectPage(page: { status: number; type: string; text: string }) {
		expect(page.status).toBeGreaterThanOrEqual(400);
		expect(page.status).toBeLessThan(500);
		expect(page.type).toContain('text/html');
		expect(page.text).toMatch(/^<!doctype html>/);
		expect(page.text).not.toMatch(/FST_ERR|"error"/);
	}

	it('answers an over-long campaign slug with a page', async () => {
		expectPage(await open(`/c/${'a'.repeat(5000)}`));
		expectPage(await open(`/l/telegram/${'r'.repeat(5000)}`));
	});

	it('answers a malformed link with a page', async () => {
		expectPage(await open('/c/%E0%A4%A'));
		expectPage(await open('/l/discord/%E0%A4%A'));
	});

	it('answers a path that leads nowhere with a page', async () => {
		expectPage(await open('/c/some-release/nowhere/at-all'));
	});

	it('answers a form it cannot read with a page', async () => {
		expectPage(
			await open('/c/some-release/layers/sms', {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{"not json',
			}),
		);
	});
});
