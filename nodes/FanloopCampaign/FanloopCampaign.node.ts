import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as artist from './actions/artist';
import * as campaign from './actions/campaign';
import { router } from './actions/router';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export class FanloopCampaign implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Campaign',
		name: 'fanloopCampaign',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Create or update a release campaign in the Fanloop hub (release, platforms, layers offered after the pre-save, consent wordings) and get its pre-save page URL; read what layering earned per campaign or artist',
		defaults: {
			name: 'Fanloop Campaign',
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
					{ name: 'Artist', value: 'artist' },
					{ name: 'Campaign', value: 'campaign' },
				],
				default: 'campaign',
			},
			...campaign.description,
			...artist.description,
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
