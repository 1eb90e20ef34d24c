import type { Logger } from '../../hub/src/core/logger';
import { TelegramHub } from './telegram-hub';

/**
 * Telegram redelivers an update whose webhook call did not answer 200, again and again:
 * an update the bot could not answer is logged and acknowledged, never refused.
 */
describe('the Telegram webhook', () => {
	let h: TelegramHub | undefined;

	afterEach(async () => {
		await h?.close();
		h = undefined;
	});

	it('answers 200 and logs the failure when the bot cannot reply to a chat', async () => {
		const lines: Array<{ level: string; message: string }> = [];
		const capture = (level: string) => (message: string) => void lines.push({ level, message });
		const logger: Logger = {
			info: capture('info'),
			warn: capture('warn'),
			error: capture('error'),
		};
		const secretToken = 'webhook-secret-0123456789abcdef';
		h = await TelegramHub.start('sqlite', { logger, updates: { mode: 'webhook', secretToken } });

		// A chat the Bot API does not know: every reply to it is refused ("chat not found").
		const update = {
			update_id: 424242,
			message: {
				message_id: 1,
				date: 1_700_000_000,
				chat: { id: 777002, type: 'private', first_name: 'Ghost' },
				from: { id: 777002, is_bot: false, first_name: 'Ghost' },
				text: '/help',
				entities: [{ type: 'bot_command', offset: 0, length: 5 }],
			},
		};
		const response = await fetch(`${h.hub.url}/telegram/webhook`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-telegram-bot-api-secret-token': secretToken,
			},
			body: JSON.stringify(update),
		});
		expect(response.status).toBe(200);
		expect(lines).toContainEqual({ level: 'error', message: 'telegram: update failed' });
	});
});
