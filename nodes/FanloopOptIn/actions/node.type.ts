import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	optIn: 'request' | 'confirm' | 'optOut' | 'checkConsent';
	message: 'send';
};

export type FanloopOptInType = AllEntities<NodeMap>;
