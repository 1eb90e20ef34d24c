import {
	CommunityPlatformError,
	type CommunityErrorKind,
	type CommunityInvites,
	type CommunityMessenger,
} from '../core/community/ports';
import { ProviderUnreachable, retryAfterMsFromSeconds, sendProviderRequest } from './http-client';

export const TELEGRAM_API_ROOT = 'https://api.telegram.org';

export interface TelegramClientConfig {
	botToken: string;
	/** Default https://api.telegram.org; calls go to `{apiRoot}/bot<token>/<method>`. */
	apiRoot?: string;
	/** The artist's private channel (the bot is its admin): announcements go there, invites lead there. */
	channelId?: string;
	/** Telegram's overall budget for one bot; default 30. */
	messagesPerSecond?: number;
}

interface BotApiAnswer {
	ok?: boolean;
	result?: unknown;
	error_code?: number;
	description?: string;
	parameters?: { retry_after?: number };
}

/** Telegram's answers as the community reads them. 403 is a fan who blocked the bot (or never started it). */
function kindOf(status: number, description: string): CommunityErrorKind {
	if (status === 429) return 'rate_limited';
	if (status === 403) return 'blocked';
	if (status >= 500) return 'transient';
	if (/not enough rights|need administrator rights|not a member/i.test(description))
		return 'not_allowed';
	return 'permanent';
}

/**
 * The hub's own calls to the Bot API (the bot itself runs on grammY): direct messages
 * for broadcasts, channel posts, deep links and channel invites. The token travels only
 * in the request URL and never appears in an error.
 */
export class TelegramClient implements CommunityMessenger, CommunityInvites {
	readonly platform = 'telegram' as const;
	readonly messagesPerSecond: number;
	private readonly apiRoot: string;
	private username: Promise<string> | undefined;

	constructor(private readonly config: TelegramClientConfig) {
		this.apiRoot = (config.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/$/, '');
		this.messagesPerSecond = config.messagesPerSecond ?? 30;
	}

	async sendDirect(userId: string, text: string): Promise<{ messageId: string }> {
		const message = await this.call<{ message_id: number }>('sendMessage', {
			chat_id: userId,
			text,
		});
		return { messageId: String(message.message_id) };
	}

	async announce(text: string): Promise<{ messageId: string }> {
		const message = await this.call<{ message_id: number }>('sendMessage', {
			chat_id: this.channel(),
			text,
		});
		return { messageId: String(message.message_id) };
	}

	async telegramStartLink(payload: string): Promise<string> {
		return `https://t.me/${await this.botUsername()}?start=${payload}`;
	}

	async telegramChannelInvite(name: string): Promise<string> {
		// One person per link: the link a fan got is the link that fan used.
		const invite = await this.call<{ invite_link: string }>('createChatInviteLink', {
			chat_id: this.channel(),
			name: name.slice(0, 32),
			member_limit: 1,
		});
		return invite.invite_link;
	}

	/** The bot's @username, asked once (getMe) and remembered; a failed ask is asked again next time. */
	botUsername(): Promise<string> {
		this.username ??= this.call<{ username: string }>('getMe', {}).then(
			(me) => me.username,
			(error: unknown) => {
				this.username = undefined;
				throw error;
			},
		);
		return this.username;
	}

	private channel(): string {
		if (!this.config.channelId) {
			throw new CommunityPlatformError(
				'telegram',
				'not_allowed',
				'No Telegram channel is configured (FANLOOP_TELEGRAM_CHANNEL_ID).',
			);
		}
		return this.config.channelId;
	}

	private async call<T>(method: string, body: Record<string, unknown>): Promise<T> {
		let response;
		try {
			response = await sendProviderRequest({
				provider: 'telegram',
				method: 'POST',
				url: `${this.apiRoot}/bot${this.config.botToken}/${method}`,
				body: { json: body },
			});
		} catch (error) {
			if (!(error instanceof ProviderUnreachable)) throw error;
			throw new CommunityPlatformError(
				'telegram',
				'transient',
				`Telegram did not answer ${method} (${error.message}).`,
			);
		}
		const answer: BotApiAnswer =
			typeof response.body === 'object' && response.body !== null
				? (response.body as BotApiAnswer)
				: {};
		if (response.ok && answer.ok) return answer.result as T;
		const description = answer.description ?? `HTTP ${response.status}`;
		const status = answer.error_code ?? response.status;
		throw new CommunityPlatformError(
			'telegram',
			kindOf(status, description),
			`Telegram refused ${method}: ${description}`,
			// Telegram says how long to wait in the body's parameters.retry_after, not a header.
			status === 429 ? retryAfterMsFromSeconds(answer.parameters?.retry_after) : undefined,
		);
	}
}
