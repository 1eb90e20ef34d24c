import { configFromEnv } from '../../hub/src/config';
import { SANDBOX_TELEGRAM } from '../../sandbox/src/community';
import { TelegramHub } from './telegram-hub';

const SEALING_KEY = Buffer.alloc(32, 7).toString('base64');

describe('the community API refuses bad input clearly and records nothing', () => {
	let h: TelegramHub;

	beforeAll(async () => {
		h = await TelegramHub.start('sqlite');
	});

	afterAll(async () => {
		await h?.close();
	});

	it('makes attributed Telegram links and names what a link needs', async () => {
		const { campaignId, fanId, presaveId } = await h.presave();
		const attributed = await h.api.call('POST', '/v1/community/links', {
			platform: 'telegram',
			source: 'tiktok-bio',
		});
		expect(attributed.body).toEqual({
			platform: 'telegram',
			url: 'https://t.me/fanloop_sandbox_bot?start=tiktok-bio',
			reference: 'tiktok-bio',
		});
		const byCampaign = await h.api.call('POST', '/v1/community/links', {
			platform: 'telegram',
			campaignId,
		});
		expect(byCampaign.body.reference).toBe('nia-vale-halo');

		const refusals: [unknown, number, string][] = [
			[{ platform: 'telegram' }, 400, 'validation_failed'],
			[{ platform: 'telegram', source: 'has spaces' }, 400, 'validation_failed'],
			[{ platform: 'whatsapp', fanId }, 400, 'validation_failed'],
			[
				{ platform: 'telegram', actionId: 'act_01JZZZZZZZZZZZZZZZZZZZZZZZ' },
				404,
				'action_not_found',
			],
			[
				{ platform: 'telegram', fanId: 'fan_01JZZZZZZZZZZZZZZZZZZZZZZZ', actionId: presaveId },
				404,
				'fan_not_found',
			],
			[{ platform: 'discord', fanId }, 503, 'provider_not_configured'],
		];
		for (const [body, status, code] of refusals) {
			const answer = await h.api.call('POST', '/v1/community/links', body);
			expect([answer.status, answer.body.error.code]).toEqual([status, code]);
			expect(answer.body.error.message.length).toBeGreaterThan(10);
		}
	});

	it('refuses broadcasts, roles and announcements it cannot carry out, without starting a job', async () => {
		const { fanId } = await h.presave('second-release');
		const refusals: [string, string, unknown, number, string][] = [
			[
				'POST',
				'/v1/community/broadcasts',
				{ platform: 'telegram', text: 'hi', messageKey: 'has spaces' },
				400,
				'validation_failed',
			],
			[
				'POST',
				'/v1/community/broadcasts',
				{ platform: 'telegram', text: '   ', messageKey: 'k1' },
				400,
				'validation_failed',
			],
			[
				'POST',
				'/v1/community/broadcasts',
				{
					platform: 'telegram',
					text: 'hi',
					messageKey: 'k2',
					campaignId: 'cmp_01JZZZZZZZZZZZZZZZZZZZZZZZ',
				},
				404,
				'campaign_not_found',
			],
			[
				'POST',
				'/v1/community/broadcasts',
				{ platform: 'discord', text: 'hi', messageKey: 'k3' },
				503,
				'provider_not_configured',
			],
			['POST', '/v1/community/roles', { fanId, action: 'grant' }, 503, 'provider_not_configured'],
			['POST', '/v1/community/roles', { fanId, action: 'promote' }, 400, 'validation_failed'],
			[
				'POST',
				'/v1/community/announcements',
				{ platform: 'telegram', text: 'x'.repeat(2001) },
				400,
				'validation_failed',
			],
			[
				'GET',
				'/v1/community/status?fanId=fan_01JZZZZZZZZZZZZZZZZZZZZZZZ',
				undefined,
				404,
				'fan_not_found',
			],
		];
		for (const [method, path, body, status, code] of refusals) {
			const answer = await h.api.call(method, path, body);
			expect([path, answer.status, answer.body.error.code]).toEqual([path, status, code]);
		}
		const jobs = await h.hub.services.ledger.store.all(
			"SELECT id FROM jobs WHERE kind = 'community_broadcast'",
		);
		expect(jobs).toEqual([]);
	});

	it('declares its routes in the OpenAPI document and keeps them behind the API key', async () => {
		const document = (await (await fetch(`${h.hub.url}/v1/openapi.json`)).json()) as {
			paths: Record<string, unknown>;
		};
		for (const path of [
			'/v1/community/links',
			'/v1/community/roles',
			'/v1/community/announcements',
			'/v1/community/broadcasts',
			'/v1/community/status',
		]) {
			expect(Object.keys(document.paths)).toContain(path);
		}
		const anonymous = await fetch(`${h.hub.url}/v1/community/status?fanId=x`);
		expect(anonymous.status).toBe(401);
	});
});

describe('community settings from the environment', () => {
	const base = { FANLOOP_SEALING_KEY: SEALING_KEY };

	it('configures both bots, polling by default', () => {
		const config = configFromEnv({
			...base,
			FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token,
			FANLOOP_TELEGRAM_CHANNEL_ID: '-1001234567890',
			FANLOOP_DISCORD_BOT_TOKEN: 'discord-token-0123456789abcdef',
			FANLOOP_DISCORD_APPLICATION_ID: '130100000000000001',
			FANLOOP_DISCORD_GUILD_ID: '130100000000000100',
			FANLOOP_DISCORD_RELEASE_ROLE_ID: '130100000000000101',
			FANLOOP_DISCORD_ANNOUNCEMENT_CHANNEL_ID: '130100000000000200',
		});
		expect(config.community).toMatchObject({
			telegram: {
				botToken: SANDBOX_TELEGRAM.token,
				channelId: '-1001234567890',
				updates: { mode: 'polling' },
			},
			discord: { guildId: '130100000000000100', releaseRoleId: '130100000000000101' },
			runBots: true,
		});
	});

	it.each([
		[{ FANLOOP_TELEGRAM_BOT_TOKEN: 'not-a-token' }, 'FANLOOP_TELEGRAM_BOT_TOKEN'],
		[
			{ FANLOOP_TELEGRAM_BOT_TOKEN: SANDBOX_TELEGRAM.token, FANLOOP_TELEGRAM_UPDATES: 'webhook' },
			'FANLOOP_TELEGRAM_WEBHOOK_SECRET',
		],
		[{ FANLOOP_DISCORD_BOT_TOKEN: 'discord-token-0123456789abcdef' }, 'FANLOOP_DISCORD_GUILD_ID'],
		[{ FANLOOP_BOTS: 'sometimes' }, 'FANLOOP_BOTS'],
	])('names the setting to fix (%j)', (env, name) => {
		expect(() => configFromEnv({ ...base, ...env })).toThrow(name);
	});

	it('never puts the token in a configuration error', () => {
		const token = '12345:short';
		let message = '';
		try {
			configFromEnv({
				...base,
				FANLOOP_TELEGRAM_BOT_TOKEN: token,
				FANLOOP_TELEGRAM_UPDATES: 'webhook',
			});
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toContain('FANLOOP_TELEGRAM_WEBHOOK_SECRET');
		expect(message).not.toContain(token);
	});
});
