import { HubError } from '../core/errors';
import type { Action, Campaign } from '../core/model';
import { PRESAVE_PAGE_SOURCE, type OptInProof } from '../core/presave/presaves';
import type { StreamingPlatformName } from '../core/streaming/platform';
import type { HubServices } from '../services';
import { PLATFORM_NAMES, type PresaveStrings } from './presave-strings';
import type { LayersView } from './presave-views';

/** A layers page's pre-save and its campaign. */
interface LayersPresave {
	presave: Action;
	campaign: Campaign;
}

function platformOf(found: LayersPresave): StreamingPlatformName {
	return found.presave.platform as StreamingPlatformName;
}

/** "Save every release" on the layers page: offered where the pre-save's platform has a library. */
export async function futureSavesOffer(
	services: HubServices,
	found: LayersPresave,
): Promise<LayersView['futureSaves']> {
	const platform = platformOf(found);
	if (!services.streaming.withLibrary().includes(platform)) return undefined;
	return {
		agreed: await services.ledger.futureSaves.isActive(
			found.presave.fanId,
			found.campaign.id,
			platform,
		),
	};
}

/** The fan ticked "save every release": the wording they saw, in their language, becomes the consent's proof. */
export async function agreeToFutureSaves(
	services: HubServices,
	found: LayersPresave,
	strings: PresaveStrings,
	proof: OptInProof,
): Promise<void> {
	const platform = platformOf(found);
	if (!services.streaming.withLibrary().includes(platform)) {
		throw new HubError(
			'validation_failed',
			`${PLATFORM_NAMES[platform]} has no library to save releases to.`,
		);
	}
	await services.ledger.futureSaves.agree({
		fanId: found.presave.fanId,
		campaignId: found.campaign.id,
		platform,
		wording: strings.futureSavesWording(found.campaign.artist, PLATFORM_NAMES[platform]),
		parentActionId: found.presave.id,
		source: PRESAVE_PAGE_SOURCE,
		ip: proof.ip,
		userAgent: proof.userAgent,
	});
}
