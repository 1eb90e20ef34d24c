import type { Layer } from '../../hub/src/core/model';
import type { HubApi } from './hub-api';

export interface Presaved {
	campaignId: string;
	fanId: string;
	presaveId: string;
}

/** A campaign offering `layers` and a fan who pre-saved it: where a fan stands before the layers page sends them on. */
export async function presavedFan(api: HubApi, slug: string, layers: Layer[]): Promise<Presaved> {
	const campaign = await api.call('POST', '/v1/campaigns', {
		slug,
		artist: 'Nia Vale',
		title: 'Halo',
		releaseAtUtc: '2026-12-04T00:00:00Z',
		layers,
	});
	const fan = await api.call('POST', '/v1/fans', {
		identities: [{ channel: 'spotify', value: `listener-${slug}` }],
	});
	const presave = await api.call('POST', '/v1/actions', {
		fanId: fan.body.fan.id,
		campaignId: campaign.body.campaign.id,
		kind: 'presave',
		platform: 'spotify',
	});
	if (presave.status !== 201)
		throw new Error(`pre-save not recorded: ${JSON.stringify(presave.body)}`);
	return {
		campaignId: campaign.body.campaign.id,
		fanId: fan.body.fan.id,
		presaveId: presave.body.action.id,
	};
}
