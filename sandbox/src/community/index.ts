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
export { DiscordStandIn, type DiscordStandInOptions } from './discord';
export type { RequestLogEntry } from './discord-http';
export type { DiscordInteractionView, InteractionCallbackRecord } from './discord-interactions';
export {
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordSandboxOptions,
} from './discord-sandbox';
export { GATEWAY_CLOSE, type GatewaySessionInfo } from './discord-gateway';
export { CHANNEL_TYPES, INTENTS, MESSAGE_FLAGS, PERMISSIONS } from './discord-model';
export type {
	DiscordChannel,
	DiscordComponent,
	DiscordGuild,
	DiscordInvite,
	DiscordMessage,
	DiscordRole,
	DiscordUser,
} from './discord-model';
export type { RouteBudget } from './discord-rate-limits';
export { startCommunitySandbox, type CommunitySandbox } from './community-sandbox';
