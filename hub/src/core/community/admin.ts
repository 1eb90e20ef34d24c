import { HubError } from '../errors';
import type { Ledger } from '../ledger';
import type { Community, CommunityPlatforms } from './community';
import { notConfigured } from './links';
import type { CommunityMessenger, CommunityPlatform } from './ports';

export interface PlatformStatus {
	userId: string;
	releaseUpdates: boolean;
}

export interface CommunityStatusView {
	fanId: string;
	telegram?: PlatformStatus;
	discord?: PlatformStatus;
}

/** What the marketer does to the chats from n8n: roles, announcements, a fan's community status. */
export class CommunityAdmin {
	constructor(
		private readonly ledger: Ledger,
		private readonly community: Community,
		private readonly platforms: CommunityPlatforms,
	) {}

	async setRole(
		fanId: string,
		action: 'grant' | 'revoke',
	): Promise<{ fanId: string; platform: 'discord'; hasRole: boolean }> {
		const role = this.platforms.releaseRole;
		if (!role) {
			throw new HubError(
				'provider_not_configured',
				'Discord is not configured on this hub, or no release-updates role is set.',
			);
		}
		const fan = await this.ledger.fans.get(fanId);
		const identity = fan.identities.find((item) => item.channel === 'discord');
		if (!identity) {
			throw new HubError(
				'identity_missing',
				`Fan ${fan.id} has no Discord account on record: they need to join the server through their invite or run a bot command first.`,
			);
		}
		if (action === 'grant') await role.grant(identity.value);
		else await role.revoke(identity.value);
		return { fanId: fan.id, platform: 'discord', hasRole: action === 'grant' };
	}

	async announce(
		platform: CommunityPlatform,
		text: string,
		campaignId?: string,
	): Promise<{ platform: CommunityPlatform; messageId: string }> {
		if (campaignId) await this.ledger.campaigns.get(campaignId);
		const { messageId } = await this.messenger(platform).announce(text);
		return { platform, messageId };
	}

	async status(fanId: string): Promise<CommunityStatusView> {
		const fan = await this.ledger.fans.get(fanId);
		const view: CommunityStatusView = { fanId: fan.id };
		for (const platform of ['telegram', 'discord'] as const) {
			const identity = fan.identities.find((item) => item.channel === platform);
			if (!identity) continue;
			view[platform] = {
				userId: identity.value,
				releaseUpdates: await this.community.getsReleaseUpdates(
					this.ledger.store,
					fan.id,
					platform,
				),
			};
		}
		return view;
	}

	messenger(platform: CommunityPlatform): CommunityMessenger {
		const messenger = this.platforms.messengers[platform];
		if (!messenger) throw notConfigured(platform);
		return messenger;
	}
}
