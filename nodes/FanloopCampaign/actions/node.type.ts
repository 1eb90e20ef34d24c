import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	campaign: 'upsert' | 'get';
};

export type FanloopCampaignType = AllEntities<NodeMap>;
