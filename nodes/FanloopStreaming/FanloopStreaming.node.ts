import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as connection from './actions/connection';
import * as conversion from './actions/conversion';
import * as library from './actions/library';
import { router } from './actions/router';
import { HUB_CREDENTIAL_TEST, testHubCredential } from '../shared/credential-test';

export class FanloopStreaming implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fanloop Streaming',
		name: 'fanloopStreaming',
		icon: { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' },
		group: ['transform'],
		version: [1],
		defaultVersion: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			"Save releases and follow artists or playlists in fans' Spotify, Apple Music, Deezer and YouTube accounts through the hub, convert pre-saves on release day, and find connections that need a new consent",
		defaults: {
			name: 'Fanloop Streaming',
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
					{ name: 'Connection', value: 'connection' },
					{ name: 'Fan Library', value: 'library' },
					{ name: 'Release-Day Conversion', value: 'conversion' },
				],
				default: 'library',
			},
			...library.description,
			...conversion.description,
			...connection.description,
		],
	};

	methods = {
		credentialTest: { [HUB_CREDENTIAL_TEST]: testHubCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
