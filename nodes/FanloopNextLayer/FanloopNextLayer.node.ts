import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { FAN_ID_DEFAULT_HELP, FAN_ID_FROM_ITEM } from '../shared/fan-id';
import { configuredOutputs, LAYER_OPTIONS } from './actions/layers';
import { route } from './actions/route.operation';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

const FAN_ID_HELP = `ID of the fan. ${FAN_ID_DEFAULT_HELP}`;

export class FanloopNextLayer implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Next Layer',
		name: 'fanloopNextLayer',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle:
			'={{$parameter["mode"] === "everyUntaken" ? "Every untaken layer" : "Next layer only"}}',
		description:
			'Routes each fan to the next conversion layer they have not taken yet (SMS, email, Telegram, Discord, follow, save), or to Done',
		defaults: {
			name: 'Fanloop Next Layer',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		credentials: [
			{
				name: 'fanloopHubApi',
				required: true,
				testedBy: 'fanloopHubApiTest',
			},
		],
		properties: [
			{
				displayName: 'Fan ID',
				name: 'fanId',
				type: 'string',
				required: true,
				default: FAN_ID_FROM_ITEM,
				description: FAN_ID_HELP,
			},
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				description:
					'Count only layers taken in this campaign. Leave empty to count every campaign.',
			},
			{
				displayName: 'Layers',
				name: 'layers',
				type: 'multiOptions',
				noDataExpression: true,
				required: true,
				options: LAYER_OPTIONS,
				default: ['sms', 'email', 'telegram', 'discord', 'follow', 'save'],
				description:
					'The layers to offer, in order of preference. Each becomes an output, followed by Done.',
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				default: 'nextOnly',
				options: [
					{
						name: 'Every Untaken Layer',
						value: 'everyUntaken',
						description: "The item goes to the output of every layer the fan hasn't taken",
					},
					{
						name: 'Next Layer Only',
						value: 'nextOnly',
						description:
							"The item goes to the first layer, in the order above, the fan hasn't taken",
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await route.call(this);
	}
}
