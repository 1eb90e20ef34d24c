import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	campaign: 'upsert' | 'get' | 'getInsights';
	artist: 'getInsights';
};

export type FanloopCampaignType = AllEntities<NodeMap>;
