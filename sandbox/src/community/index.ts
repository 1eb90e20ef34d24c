export {
	SANDBOX_TELEGRAM,
	TelegramStandIn,
	startTelegramStandIn,
	type AnsweredCallback,
	type JoinOutcome,
	type NewTelegramChannel,
	type NewTelegramUser,
	type TelegramRateLimits,
	type TelegramStandInOptions,
	type UpdateKind,
	type WebhookAttempt,
} from './telegram';
export type { BotStatusInChannel, MemberStatus } from './telegram-chats';
