import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as fan from './actions/fan';
import * as link from './actions/link';
import * as message from './actions/message';
import * as role from './actions/role';
import { router } from './actions/router';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export class FanloopCommunity implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Community',
		name: 'fanloopCommunity',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			"Bring fans into the artist's Telegram and Discord through the hub's bots: attributed invite links, the release updates role, channel announcements and paced direct messages to opted-in fans",
		defaults: {
			name: 'Fanloop Community',
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
					{ name: 'Fan', value: 'fan' },
					{ name: 'Invite Link', value: 'link' },
					{ name: 'Message', value: 'message' },
					{ name: 'Release Updates Role', value: 'role' },
				],
				default: 'link',
			},
			...link.description,
			...role.description,
			...message.description,
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
