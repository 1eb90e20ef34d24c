import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlatformError } from '../../hub/src/core/streaming/platform';
import { CommunityPlatformError } from '../../hub/src/core/community/ports';
import { DeezerPlatform } from '../../hub/src/providers/deezer';
import {
	DEFAULT_RETRY_AFTER_MS,
	onProviderCall,
	sendProviderRequest,
	type LoggedProviderCall,
} from '../../hub/src/providers/http-client';
import { TelegramClient } from '../../hub/src/providers/telegram';

const BOT_TOKEN = '123456789:AAHsecretBotTokenPartThatMustNotLeak';
const ACCESS_TOKEN = 'deezer-access-token-that-must-not-leak';

/** A server that answers every request with what `answer` says, and remembers what it got. */
async function serve(
	answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<{ url: string; server: Server }> {
	const server = createServer((request, response) => {
		const reply = answer(request.url ?? '/');
		response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
		response.end(reply.body ?? '');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A port nothing listens on: the call gets no answer at all. */
async function deadUrl(): Promise<string> {
	const { url, server } = await serve(() => ({ status: 200 }));
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return url;
}

describe('the provider HTTP client', () => {
	let calls: LoggedProviderCall[];
	let stopListening: () => void;

	beforeEach(() => {
		calls = [];
		stopListening = onProviderCall((call) => calls.push(call));
	});

	afterEach(() => stopListening());

	it('reads Retry-After once, in seconds or as a date, with one default when it is missing', async () => {
		const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
		const waits: Record<string, Record<string, string>> = {
			'/seconds': { 'retry-after': '7' },
			'/date': { 'retry-after': inTwoMinutes },
		};
		const { url, server } = await serve((path) => ({ status: 429, headers: waits[path] ?? {} }));
		try {
			const get = (path: string) =>
				sendProviderRequest({ provider: 'test', method: 'GET', url: `${url}${path}` });
			expect((await get('/seconds')).retryAfterMs).toBe(7000);
			const byDate = (await get('/date')).retryAfterMs;
			expect(byDate).toBeGreaterThan(100_000);
			expect(byDate).toBeLessThanOrEqual(120_000);
			expect((await get('/none')).retryAfterMs).toBe(DEFAULT_RETRY_AFTER_MS);
		} finally {
			server.close();
		}
	});

	it('keeps a Telegram bot token (in the URL path) out of the error and the request log', async () => {
		const telegram = new TelegramClient({ botToken: BOT_TOKEN, apiRoot: await deadUrl() });
		const error = await telegram.sendDirect('42', 'hello').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CommunityPlatformError);
		expect((error as Error).message).toContain('Telegram did not answer sendMessage');
		expect((error as Error).message).not.toContain('AAHsecret');
		expect(JSON.stringify(calls)).not.toContain('AAHsecret');
		expect(calls[0].path).toBe('/bot<redacted>/sendMessage');
	});

	it('keeps a Deezer access token (in the query) out of the error and the request log', async () => {
		const deezer = new DeezerPlatform({ appId: '1', secret: 's', apiUrl: await deadUrl() });
		const grant = {
			accessToken: ACCESS_TOKEN,
			refreshToken: null,
			scopes: [],
			authorizedAtMs: 0,
			accessExpiresAtMs: null,
			refreshExpiresAtMs: null,
		};
		const error = await deezer
			.saveRelease(grant, { albumId: '302127', trackIds: [] })
			.catch((caught: unknown) => caught);
		expect(error).toMatchObject({ kind: 'transient' });
		expect(error).toBeInstanceOf(PlatformError);
		expect((error as Error).message).not.toContain(ACCESS_TOKEN);
		expect(JSON.stringify(calls)).not.toContain(ACCESS_TOKEN);
		expect(calls[0].query.access_token).toMatch(/^<redacted:[0-9a-f]{12}>$/);
	});

	it('logs each call with its body encoding, and credentials only as fingerprints', async () => {
		const { url, server } = await serve(() => ({
			status: 200,
			body: JSON.stringify({ access_token: 'issued-token-value', token_type: 'Bearer' }),
		}));
		try {
			await sendProviderRequest({
				provider: 'test',
				method: 'POST',
				url: `${url}/api/token`,
				headers: { authorization: 'Basic c2VjcmV0LWNyZWRlbnRpYWxz' },
				body: { form: { grant_type: 'refresh_token', refresh_token: 'held-refresh-token' } },
			});
		} finally {
			server.close();
		}
		const [call] = calls;
		expect(call).toMatchObject({
			provider: 'test',
			method: 'POST',
			path: '/api/token',
			bodyEncoding: 'form',
			body: { grant_type: 'refresh_token' },
			response: { status: 200, body: { token_type: 'Bearer' } },
		});
		expect(call.headers.authorization).toMatch(/^Basic <redacted:[0-9a-f]{12}>$/);
		const logged = JSON.stringify(call);
		for (const secret of ['c2VjcmV0LWNyZWRlbnRpYWxz', 'held-refresh-token', 'issued-token-value'])
			expect(logged).not.toContain(secret);
	});
});
