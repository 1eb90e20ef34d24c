import { startHub, type RunningHub } from '../../hub/src';
import { HubError } from '../../hub/src/core/errors';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, type TestDatabase } from '../support/stores';

describe('the hub HTTP API', () => {
	let database: TestDatabase;
	let hub: RunningHub;
	let apiKey: string;
	const sealingKey = newSealingKey();

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		hub = await startHub({ port: 0, dataDir: database.dataDir, sealingKey });
		apiKey = await hub.createApiKey('api test');
	});

	afterAll(async () => {
		await hub?.close();
		await database?.drop();
	});

	async function call(method: string, path: string, body?: unknown, key: string | null = apiKey) {
		const response = await fetch(`${hub.url}${path}`, {
			method,
			headers: {
				...(key ? { authorization: `Bearer ${key}` } : {}),
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
		});
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : undefined };
	}

	it('answers health without a key and everything under /v1 only with a valid one', async () => {
		expect(await call('GET', '/health', undefined, null)).toEqual({
			status: 200,
			body: { status: 'ok', database: 'sqlite' },
		});
		expect((await call('GET', '/v1/whoami')).body).toEqual({
			apiKey: { id: expect.any(String), name: 'api test' },
		});

		for (const key of [null, 'flk_wrong']) {
			const refused = await call('GET', '/v1/whoami', undefined, key);
			expect(refused.status).toBe(401);
			expect(refused.body.error.code).toBe('unauthorized');
			expect(refused.body.error.message).toMatch(/Fanloop Hub credential/);
		}
	});

	it('stores only a hash of each API key', async () => {
		const stored = JSON.stringify(await hub.ledger.store.all('SELECT * FROM api_keys'));
		expect(stored).not.toContain(apiKey);
	});

	it('rejects bad input with a code and a sentence, and writes nothing', async () => {
		const cases = [
			{ identities: [{ channel: 'fax', value: '1' }] },
			{ identities: [{ channel: 'phone', value: '555' }] },
			{ identities: [{ channel: 'email', value: 'nobody@' }] },
			{ identities: [] },
		];
		for (const body of cases) {
			const response = await call('POST', '/v1/fans', body);
			expect(response.status).toBe(400);
			expect(response.body.error.message.length).toBeGreaterThan(20);
		}
		const malformed = await call('POST', '/v1/fans', '{"identities": [');
		expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
		expect((await call('GET', '/v1/fans')).body).toEqual({ fans: [], nextCursor: null });
	});

	it('walks a fan through campaign, pre-save, a layer and erasure', async () => {
		const campaign = await call('POST', '/v1/campaigns', {
			slug: 'midnight-city',
			artist: 'Nia <b>Vale</b>',
			title: 'Midnight City',
			releaseAtUtc: '2026-12-04T00:00:00Z',
			timezone: 'Europe/Berlin',
			layers: ['sms', 'telegram'],
		});
		expect(campaign.status).toBe(200);
		expect(campaign.body.campaign.artist).toBe('Nia <b>Vale</b>');
		const fan = await call('POST', '/v1/fans', {
			identities: [{ channel: 'phone', value: '+44 7911 123456' }],
			timezone: 'Europe/London',
		});
		expect(fan.body.fan.identities).toEqual([{ channel: 'phone', value: '+447911123456' }]);
		const fanId = fan.body.fan.id;

		const presave = await call('POST', '/v1/actions', {
			fanId,
			campaignId: campaign.body.campaign.id,
			kind: 'presave',
			platform: 'spotify',
			verification: 'hard',
		});
		expect(presave.status).toBe(201);
		const sms = {
			fanId,
			kind: 'optin_sms',
			status: 'pending',
			parentActionId: presave.body.action.id,
			idempotencyKey: 'k1',
		};
		const first = await call('POST', '/v1/actions', sms);
		const again = await call('POST', '/v1/actions', sms);
		expect(again.body).toEqual({ action: first.body.action, created: false });

		const next = await call('GET', `/v1/fans/${fanId}/next-layers?campaignId=midnight-city`);
		expect(next.body).toMatchObject({ taken: ['sms'], next: ['telegram'] });
		const exported = await call('GET', `/v1/fans/${fanId}/export`);
		expect(exported.body.actions.map((action: { kind: string }) => action.kind)).toEqual([
			'presave',
			'optin_sms',
		]);

		expect((await call('DELETE', `/v1/fans/${fanId}`)).body).toMatchObject({
			fanId,
			suppressed: 1,
		});
		expect((await call('GET', `/v1/fans/${fanId}`)).body.error.code).toBe('fan_erased');
		const again2 = await call('POST', '/v1/fans', {
			identities: [{ channel: 'phone', value: '+447911123456' }],
		});
		expect(again2).toMatchObject({ status: 409, body: { error: { code: 'identity_suppressed' } } });
	});

	it('manages webhook subscriptions the way the Fanloop Trigger uses them', async () => {
		const created = await call('POST', '/v1/webhooks', {
			url: 'http://127.0.0.1:5678/webhook/abc',
			events: ['presave.completed'],
		});
		expect(created.status).toBe(201);
		expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const id = created.body.webhook.id;
		expect((await call('GET', `/v1/webhooks/${id}`)).body.url).toBe(
			'http://127.0.0.1:5678/webhook/abc',
		);
		expect((await call('GET', `/v1/webhooks/${id}`)).body).not.toHaveProperty('secret');
		expect((await call('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
		expect((await call('GET', `/v1/webhooks/${id}`)).status).toBe(404);
		const invalid = await call('POST', '/v1/webhooks', {
			url: 'ftp://x',
			events: ['nothing.happened'],
		});
		expect(invalid.status).toBe(400);
		expect(invalid.body.error.message).toContain('"nothing.happened" is not a valid event type');
		expect(invalid.body.error.message).toContain('url must be an http or https address');
	});

	it('publishes an OpenAPI document that lists every route it serves', async () => {
		const document = (await call('GET', '/v1/openapi.json', undefined, null)).body;
		expect(document.openapi).toBe('3.1.0');
		expect(Object.keys(document.paths)).toEqual(
			expect.arrayContaining([
				'/v1/fans',
				'/v1/fans/{fanId}/next-layers',
				'/v1/actions',
				'/v1/campaigns',
				'/v1/webhooks/{id}',
			]),
		);
		const upsert = document.paths['/v1/fans'].post.requestBody.content['application/json'].schema;
		expect(upsert.properties.identities.items.properties.channel.enum).toContain('telegram');
		expect((await call('GET', '/v1/nothing-here')).body.error.code).toBe('not_found');
	});

	it('refuses to start with another sealing key than the ledger was sealed with', async () => {
		const error = await startHub({
			port: 0,
			dataDir: database.dataDir,
			sealingKey: newSealingKey(),
		}).catch((e) => e);
		expect(error).toBeInstanceOf(HubError);
		expect(error.code).toBe('sealing_key_mismatch');
	});
});

describe('starting the hub on PostgreSQL', () => {
	it('says where it could not connect, without the password', async () => {
		const error = await startHub({
			port: 0,
			databaseUrl: 'postgres://fanloop:s3cret-pass@127.0.0.1:1/ledger',
			sealingKey: newSealingKey(),
		}).catch((e) => e);
		expect(error).toBeInstanceOf(HubError);
		expect(error.code).toBe('database_unreachable');
		expect(error.message).toContain('127.0.0.1:1/ledger');
		expect(error.message).not.toContain('s3cret-pass');
	});

	it('serves the same API on a PostgreSQL ledger', async () => {
		const database = await createTestDatabase('postgres');
		const hub = await startHub({
			port: 0,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
		});
		try {
			const response = await fetch(`${hub.url}/health`);
			expect(await response.json()).toEqual({ status: 'ok', database: 'postgres' });
		} finally {
			await hub.close();
			await database.drop();
		}
	});
});
