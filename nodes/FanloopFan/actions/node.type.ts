import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	fan: 'upsert' | 'get' | 'merge' | 'recordAction' | 'getMany' | 'export' | 'erase';
};

export type FanloopFanType = AllEntities<NodeMap>;
