import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as fan from './actions/fan';
import { router } from './actions/router';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export class FanloopFan implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Fan',
		name: 'fanloopFan',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			"Get, upsert, merge, list, export and erase fans, and record their actions in the Fanloop hub's ledger",
		defaults: {
			name: 'Fanloop Fan',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'fanloopHubApi',
				required: true,
				testedBy: 'fanloopHubApiTest',
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Fan', value: 'fan' }],
				default: 'fan',
			},
			...fan.description,
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
