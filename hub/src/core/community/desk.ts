import type { Layer } from '../model';
import type { ChatUser, CommunityPlatform } from './ports';

export type { ChatUser, CommunityPlatform };

/**
 * Why the desk did not act for a chat user. The bots turn each into a polite sentence;
 * none of them is an error worth logging.
 * - erased: the fan asked to be forgotten; nothing is recorded and they are not contacted.
 * - invalid_reference: a deep-link or invite reference that is forged, truncated or names nothing.
 * - not_allowed: the platform refused the bot a right it needs (Discord: the release-updates role
 *   sits above the bot's own, or Manage Roles is missing); `reason` is a sentence for the fan.
 */
export type DeskRefusal = 'erased' | 'invalid_reference' | 'not_allowed';

export interface Refused {
	outcome: 'refused';
	refusal: DeskRefusal;
	reason?: string;
}

/** The release a fan is being asked about, for greetings and /presave. */
export interface CampaignSummary {
	id: string;
	artist: string;
	title: string;
	/** The campaign's pre-save page. */
	pageUrl: string;
}

export type StartResult =
	| {
			outcome: 'linked';
			fanId: string;
			/** The chat was not known before and no reference named a fan: a new fan was created. */
			newFan: boolean;
			/** The chat was linked to a fan before this call (a returning fan, not a new arrival). */
			alreadyLinked: boolean;
			/** Whether the fan already gets release updates here (so the bot offers /join only when not). */
			releaseUpdates: boolean;
			/** What `releaseUpdatesWording` would answer now: the bot's /join offer shows it without asking again. */
			releaseUpdatesWording: string;
			campaign?: CampaignSummary;
	  }
	| Refused;

export type JoinResult = { outcome: 'joined' | 'already_joined'; fanId: string } | Refused;

export type StopResult = { outcome: 'stopped' | 'not_joined' } | Refused;

export type StatusResult =
	| {
			outcome: 'status';
			/** Null when the chat is unknown to the hub (the fan never started the bot). */
			fanId: string | null;
			releaseUpdates: boolean;
			/** Layers the fan has taken and the ones still open, in the campaign's order. */
			taken: Layer[];
			next: Layer[];
	  }
	| Refused;

/**
 * "Save every release" from a chat: the exact wording to agree to, or why there is none
 * (`not_connected`: the fan has no streaming library connected, they pre-save first).
 */
export type FutureSavesOffer =
	| { outcome: 'offer'; wording: string }
	| { outcome: 'already_saving' }
	| { outcome: 'not_connected' }
	| Refused;

export type FutureSavesResult =
	{ outcome: 'saving' | 'already_saving' | 'not_connected' } | Refused;

export type ChannelInviteResult =
	| { outcome: 'invite'; url: string }
	/** No private channel is configured, or the bot is not its admin. */
	| { outcome: 'unavailable' }
	| Refused;

/**
 * What the Telegram and Discord bots ask of the hub (they import it as bot/src/port.ts);
 * ./community.ts implements it over the ledger: every call that changes something records
 * an action (with the deep link's action as parent) and queues its event for n8n in the
 * same transaction. Every method is safe to call twice with the same input.
 */
export interface CommunityDesk {
	/**
	 * `/start [payload]` (Telegram) or a first slash command (Discord). A payload that is a
	 * signed fan reference links the chat to that fan (parent: the referenced action); any
	 * other payload is kept as attribution (`source`) on a fan found or created for the chat.
	 */
	start(user: ChatUser, payload?: string): Promise<StartResult>;

	/** The exact consent wording to show before the fan opts in; `join` records this same text as proof. */
	releaseUpdatesWording(user: ChatUser): Promise<string>;

	/** Opt in to release updates: consent (wording) + join_telegram/join_discord action; on Discord, grants the role. */
	join(user: ChatUser): Promise<JoinResult>;

	/** Opt out of release updates: the consent is revoked; on Discord, the role is removed. */
	stop(user: ChatUser): Promise<StopResult>;

	status(user: ChatUser): Promise<StatusResult>;

	/**
	 * The exact wording of "save every release" for the artist of the campaign the fan came
	 * from, naming every library the fan connected; `saveEveryRelease` records this same text.
	 */
	futureSavesOffer(user: ChatUser): Promise<FutureSavesOffer>;

	/** The fan agreed: each connected library gets the artist's new releases saved on release day, until /stop. */
	saveEveryRelease(user: ChatUser): Promise<FutureSavesResult>;

	/** The pre-save page of the campaign the fan came from, else of the newest campaign; undefined when there is none. */
	presaveLink(user: ChatUser): Promise<CampaignSummary | undefined>;

	/** Telegram: an invite link to the artist's private channel, made for this fan. */
	channelInvite(user: ChatUser): Promise<ChannelInviteResult>;

	/**
	 * The fan joined the private channel (Telegram chat_member) or the guild (Discord
	 * GUILD_MEMBER_ADD). `inviteCode`: the Discord single-use invite that was used up, which
	 * the hub issued from /l/discord/<ref> and so attributes the join to that fan.
	 */
	joined(
		user: ChatUser,
		where: { what: 'channel' | 'guild'; inviteCode?: string },
	): Promise<StartResult>;

	/**
	 * The fan left the private channel or the guild, or (`chat`) blocked the bot in their
	 * private chat: then their release-updates opt-in is revoked and the block recorded.
	 */
	left(user: ChatUser, where: { what: 'chat' | 'channel' | 'guild' }): Promise<void>;

	/** Discord: the codes of single-use invites issued and not yet used, so the bot can tell which one a new member used. */
	openInviteCodes(): Promise<string[]>;

	/**
	 * Discord: open invites that vanished while the bot could not tell which member used which
	 * (several at once). They credit nobody, stop being candidates for later joins and are not
	 * handed out again by /l/discord links.
	 */
	invitesSpent(codes: string[]): Promise<void>;
}
