import type { IAuthenticateGeneric, Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

export class FanloopHubApi implements ICredentialType {
	name = 'fanloopHubApi';

	displayName = 'Fanloop Hub API';

	icon: Icon = { light: 'file:fanloop.svg', dark: 'file:fanloop.dark.svg' };

	documentationUrl = 'https://github.com/fanloop/n8n-nodes-fanloop?tab=readme-ov-file#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8790',
			placeholder: 'https://hub.example.com',
			description:
				'Where the Fanloop hub answers, e.g. https://hub.example.com (a trailing /v1 is ignored)',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: "An API key created in the Fanloop hub's admin",
			required: true,
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};
}
