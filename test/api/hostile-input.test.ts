import { connect } from 'node:net';
import { startHub, type RunningHub } from '../../hub/src';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** Input no client should send: each is answered 4xx with the hub's error body, and nothing half-done is stored. */
describe('the hub API facing hostile input', () => {
	let database: TestDatabase;
	let hub: RunningHub;
	let apiKey: string;
	let fanId: string;

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		hub = await startHub({ port: 0, dataDir: database.dataDir, sealingKey: newSealingKey() });
		apiKey = await hub.createApiKey('hostile input');
		fanId = (
			await call('POST', '/v1/fans', {
				identities: [{ channel: 'email', value: 'probe@example.com' }],
			})
		).body.fan.id;
		await call('POST', '/v1/campaigns', campaignOn('2026-12-04T00:00:00Z'));
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	function campaignOn(releaseAtUtc: string, slug = 'probe-release') {
		return { slug, artist: 'Probe', title: 'Probe', releaseAtUtc };
	}

	async function call(method: string, path: string, body?: unknown) {
		const response = await fetch(`${hub.url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${apiKey}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
		});
		const text = await response.text();
		return {
			status: response.status,
			type: response.headers.get('content-type') ?? '',
			body: text ? JSON.parse(text) : undefined,
		};
	}

	/** Sends bytes no HTTP client library would, and returns the raw answer. */
	function rawRequest(bytes: string): Promise<string> {
		const { port } = new URL(hub.url);
		return new Promise((resolve, reject) => {
			const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
			let answer = '';
			socket.on('data', (chunk) => (answer += chunk.toString()));
			socket.on('end', () => resolve(answer));
			socket.on('error', reject);
		});
	}

	function expectHubError(
		response: { status: number; body: { error?: { code?: unknown; message?: unknown } } },
		status: number,
	) {
		expect(response.status).toBe(status);
		expect(response.body.error).toEqual(
			expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
		);
	}

	async function actionCount(): Promise<number> {
		const row = await hub.ledger.store.get<{ n: number | string }>(
			'SELECT COUNT(*) AS n FROM actions',
		);
		return Number(row?.n);
	}

	it('refuses action data nested thousands of levels deep', async () => {
		// Spelled as text: JSON.stringify itself runs out of stack on an object this deep.
		const data = `${'{"inner":'.repeat(5000)}true${'}'.repeat(5000)}`;
		const before = await actionCount();
		const response = await call(
			'POST',
			'/v1/actions',
			`{"fanId":"${fanId}","kind":"click","data":${data}}`,
		);
		expectHubError(response, 400);
		expect(response.body.error.code).toBe('validation_failed');
		expect(response.body.error.message).toMatch(/data/);
		expect(await actionCount()).toBe(before);
	});

	it('refuses action data too large to keep', async () => {
		const response = await call('POST', '/v1/actions', {
			fanId,
			kind: 'click',
			data: { note: 'x'.repeat(100_000) },
		});
		expectHubError(response, 400);
		expect(response.body.error.message).toMatch(/data/);
	});

	it('still records an action with modest nested data', async () => {
		const response = await call('POST', '/v1/actions', {
			fanId,
			kind: 'click',
			data: { utm: { source: 'ig', tags: ['a', { b: 1 }] } },
		});
		expect(response.status).toBe(201);
		expect(response.body.action.data).toEqual({ utm: { source: 'ig', tags: ['a', { b: 1 }] } });
	});

	it('refuses a date that is not a date', async () => {
		const connection = await call('POST', `/v1/fans/${fanId}/connections/spotify`, {
			accessToken: 'access',
			accessExpiresAt: 'never',
		});
		expectHubError(connection, 400);
		expect(connection.body.error.message).toContain('accessExpiresAt');
		const tokens = await hub.ledger.store.get<{ n: number | string }>(
			'SELECT COUNT(*) AS n FROM tokens',
		);
		expect(Number(tokens?.n)).toBe(0);
	});

	it('refuses a calendar date that does not exist instead of rolling it over', async () => {
		const response = await call(
			'POST',
			'/v1/campaigns',
			campaignOn('2026-02-30T00:00:00Z', 'no-such-day'),
		);
		expectHubError(response, 400);
		expect(response.body.error.message).toContain('releaseAtUtc');
		expect((await call('GET', '/v1/campaigns/no-such-day')).status).toBe(404);
		expect(
			(await call('POST', '/v1/campaigns', campaignOn('2028-02-29T09:30:00+01:00', 'leap-day')))
				.status,
		).toBe(200);
	});

	it('refuses a webhook for a campaign that does not exist', async () => {
		const response = await call('POST', '/v1/webhooks', {
			url: 'http://127.0.0.1:5678/webhook/probe',
			events: ['*'],
			campaignId: 'cmp_does_not_exist',
		});
		expectHubError(response, 404);
		expect(response.body.error.code).toBe('campaign_not_found');
		expect((await call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
	});

	it('refuses a forged opt-in confirmation token', async () => {
		const response = await call('POST', '/v1/optins/confirm', {
			token: 'forged-token-that-the-hub-never-signed',
		});
		expectHubError(response, 400);
		expect(response.body.error.code).toBe('invalid_token');
	});

	it('answers an over-long path parameter with the hub error body', async () => {
		const response = await call('GET', `/v1/fans/${'f'.repeat(5000)}`);
		expect(response.status).toBeGreaterThanOrEqual(400);
		expect(response.status).toBeLessThan(500);
		expect(response.type).toContain('application/json');
		expect(response.body.error.code).toEqual(expect.any(String));
		expect(response.body.error.message).toEqual(expect.any(String));
	});

	it('answers a malformed URL with the hub error body', async () => {
		const response = await call('GET', '/v1/fans/%E0%A4%A');
		expectHubError(response, 400);
	});

	it('answers a request it cannot parse as HTTP with the hub error body', async () => {
		const answer = await rawRequest(
			'GET /v1/whoami HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n',
		);
		expect(answer).toMatch(/^HTTP\/1\.1 400/);
		const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
		expect(body.error).toEqual({ code: 'bad_request', message: expect.any(String) });
	});
});
