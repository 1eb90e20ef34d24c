/**
 * The one interface the bots reach the hub through: `CommunityDesk` and what its methods
 * answer. The hub's core defines it next to its implementation, so the core depends on
 * nothing in bot/; the bots import it from here.
 */
export type {
	CampaignSummary,
	ChannelInviteResult,
	ChatUser,
	CommunityDesk,
	CommunityPlatform,
	DeskRefusal,
	FutureSavesOffer,
	FutureSavesResult,
	JoinResult,
	Refused,
	StartResult,
	StatusResult,
	StopResult,
} from '../../hub/src/core/community/desk';
