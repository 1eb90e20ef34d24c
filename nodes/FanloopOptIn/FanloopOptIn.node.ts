import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as message from './actions/message';
import * as optIn from './actions/optIn';
import { router } from './actions/router';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export class FanloopOptIn implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Opt-In',
		name: 'fanloopOptIn',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Ask fans for SMS and email double opt-in, check and revoke their consent, and send them messages the hub keeps within consent, quiet hours and frequency caps',
		defaults: {
			name: 'Fanloop Opt-In',
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
				options: [
					{ name: 'Message', value: 'message' },
					{ name: 'Opt-In', value: 'optIn' },
				],
				default: 'optIn',
			},
			...optIn.description,
			...message.description,
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
