import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	library: 'saveRelease' | 'follow' | 'checkSaved';
	conversion: 'start' | 'getJob';
	connection: 'findExpiring';
};

export type FanloopStreamingType = AllEntities<NodeMap>;
