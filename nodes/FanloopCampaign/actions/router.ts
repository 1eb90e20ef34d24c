import { createRouter } from '../../shared/router';
import * as artist from './artist';
import * as campaign from './campaign';
import type { FanloopCampaignType } from './node.type';

export const router = createRouter<FanloopCampaignType>(
	{
		campaign: {
			upsert: campaign.upsert.execute,
			get: campaign.get.execute,
			getInsights: campaign.getInsights.execute,
		},
		artist: {
			getInsights: artist.getInsights.execute,
		},
	},
	'campaign',
);
