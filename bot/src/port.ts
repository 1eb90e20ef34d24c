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
/** What a bot connects under, so one hub process at a time holds its gateway connection or poller. */
export type { HeldLease, LeasedWork, Leases } from '../../hub/src/core/leases';
