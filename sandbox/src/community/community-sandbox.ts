import { startDiscordStandIn } from './discord-sandbox';
import type { DiscordStandIn } from './discord';
import { SANDBOX_TELEGRAM, startTelegramStandIn, type TelegramStandIn } from './telegram';

export interface CommunitySandbox {
	telegram: TelegramStandIn;
	discord: DiscordStandIn;
	/** The artist's private Telegram channel, with the sandbox bot as its admin. */
	telegramChannelId: number;
	stop(): Promise<void>;
}

/** Both community stand-ins with the sandbox artist's Telegram channel and Discord server, for `npm start`. */
export async function startCommunitySandbox(): Promise<CommunitySandbox> {
	const telegram = await startTelegramStandIn({
		token: SANDBOX_TELEGRAM.token,
		username: SANDBOX_TELEGRAM.username,
	});
	let discord: DiscordStandIn;
	try {
		discord = await startDiscordStandIn();
	} catch (error) {
		await telegram.close();
		throw error;
	}
	const channel = telegram.createChannel({ title: 'Fanloop Sandbox — release updates' });
	return {
		telegram,
		discord,
		telegramChannelId: channel.id,
		stop: async () => {
			await Promise.all([telegram.close(), discord.stop()]);
		},
	};
}
