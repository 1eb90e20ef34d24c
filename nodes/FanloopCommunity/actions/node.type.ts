import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	link: 'create';
	role: 'grant' | 'revoke';
	message: 'announce' | 'dmSegment';
	fan: 'getStatus';
};

export type FanloopCommunityType = AllEntities<NodeMap>;
