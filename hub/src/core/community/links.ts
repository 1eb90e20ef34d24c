import { HubError } from '../errors';
import type { FanReferences } from '../fan-references';
import type { Ledger } from '../ledger';
import {
	DISCORD_INVITE_LIFETIME_MS,
	discordInviteUrl,
	type CommunityInvites,
	type CommunityPlatform,
} from './ports';

/** What Telegram allows in a start payload: plain attribution when no fan is named. */
const ATTRIBUTION = /^[A-Za-z0-9_-]{1,64}$/;
/** An invite handed out again has at least a day left, so a fan who opens it later that day still gets in. */
const REUSABLE_FOR_MS = DISCORD_INVITE_LIFETIME_MS - 24 * 3600 * 1000;

export interface CommunityLinkRequest {
	platform: CommunityPlatform;
	fanId?: string;
	actionId?: string;
	campaignId?: string;
	source?: string;
}

export interface CommunityLink {
	platform: CommunityPlatform;
	url: string;
	/** The signed fan reference (or the attribution) the link carries. */
	reference: string;
}

/** The refusal for a platform this hub has no bot for. */
export function notConfigured(platform: CommunityPlatform): HubError {
	const name = platform === 'telegram' ? 'Telegram' : 'Discord';
	return new HubError(
		'provider_not_configured',
		`${name} is not configured on this hub: set its bot token and settings first.`,
	);
}

/**
 * Attributed ways into the chats: a Telegram deep link whose start payload is a signed
 * fan reference, and for Discord a hub link that turns into a single-use invite
 * remembered against the fan, since Discord invites carry no payload.
 */
export class CommunityLinks {
	constructor(
		private readonly ledger: Ledger,
		private readonly references: FanReferences,
		private readonly invites: CommunityInvites,
		private readonly program: { readonly publicUrl: string },
		private readonly clock: () => number,
	) {}

	async create(request: CommunityLinkRequest): Promise<CommunityLink> {
		const reference = await this.referenceFor(request);
		if (request.platform === 'telegram') {
			return { platform: 'telegram', url: await this.telegramStartLink(reference), reference };
		}
		if (!this.invites.discordInvite) throw notConfigured('discord');
		if (!this.references.read(reference)) {
			throw new HubError(
				'validation_failed',
				'A Discord link names a fan: give fanId or actionId.',
			);
		}
		return {
			platform: 'discord',
			url: `${this.program.publicUrl}/l/discord/${reference}`,
			reference,
		};
	}

	/** The bot deep link behind /l/telegram/<ref>; undefined for a forged reference. */
	async telegramLinkFor(reference: string): Promise<string | undefined> {
		if (!this.references.read(reference)) return undefined;
		return this.telegramStartLink(reference);
	}

	/**
	 * A single-use Discord invite made for the fan behind /l/discord/<ref>; undefined for
	 * a forged reference. The bot attributes the member who uses it up (`CommunityDesk.joined`).
	 * The reference's open invite is handed out again, so reloads and link previews do not
	 * spend the bot's requests on new ones.
	 */
	async discordInviteFor(reference: string): Promise<string | undefined> {
		const target = this.references.read(reference);
		if (!target) return undefined;
		if (!this.invites.discordInvite) throw notConfigured('discord');
		const action =
			target.kind === 'action' ? await this.ledger.actions.get(target.actionId) : undefined;
		const fan = await this.ledger.fans.get(
			action?.fanId ?? (target.kind === 'fan' ? target.fanId : ''),
		);
		const open = await this.ledger.store.get<{ code: string }>(
			`SELECT code FROM community_invites WHERE platform = 'discord' AND fan_id = $1
			 AND COALESCE(parent_action_id, '') = $2 AND used_at IS NULL AND created_at > $3
			 ORDER BY created_at DESC LIMIT 1`,
			[fan.id, action?.id ?? '', this.clock() - REUSABLE_FOR_MS],
		);
		if (open) return discordInviteUrl(open.code);
		const invite = await this.invites.discordInvite();
		await this.ledger.store.run(
			`INSERT INTO community_invites (platform, code, fan_id, parent_action_id, created_at) VALUES ('discord', $1, $2, $3, $4)`,
			[invite.code, fan.id, action?.id ?? null, this.clock()],
		);
		return invite.url;
	}

	private async telegramStartLink(payload: string): Promise<string> {
		if (!this.invites.telegramStartLink) throw notConfigured('telegram');
		return this.invites.telegramStartLink(payload);
	}

	/** A reference to the action when given (it becomes the join's parent), else to the fan, else plain attribution. */
	private async referenceFor(request: CommunityLinkRequest): Promise<string> {
		if (request.actionId) {
			const action = await this.ledger.actions.get(request.actionId);
			if (
				request.fanId &&
				(await this.ledger.fans.get(request.fanId)).id !==
					(await this.ledger.fans.get(action.fanId)).id
			) {
				throw new HubError(
					'validation_failed',
					`Action ${action.id} belongs to another fan than ${request.fanId}.`,
				);
			}
			return this.references.issue({ kind: 'action', actionId: action.id });
		}
		if (request.fanId) {
			const fan = await this.ledger.fans.get(request.fanId);
			return this.references.issue({ kind: 'fan', fanId: fan.id });
		}
		const campaign = request.campaignId
			? await this.ledger.campaigns.get(request.campaignId)
			: undefined;
		const attribution = request.source ?? campaign?.slug;
		if (!attribution || !ATTRIBUTION.test(attribution)) {
			throw new HubError(
				'validation_failed',
				'Give fanId or actionId to link the chat to a fan, or a source of at most 64 letters, digits, "_" or "-" to attribute new fans.',
			);
		}
		return attribution;
	}
}
