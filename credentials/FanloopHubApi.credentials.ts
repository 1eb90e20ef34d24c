import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

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

	// n8n shows a rule's message for a status it matches, else only the bare status text
	// ("Unauthorized", "Not Found"): the hub's own sentences are spelled here. A Base URL
	// ending in /v1 is what the hub's API paths start with, so it is read as meant, as the nodes do.
	test: ICredentialTestRequest = {
		request: {
			baseURL: "={{ $credentials.baseUrl.trim().replace(/\\/+$/, '').replace(/\\/v1$/, '') }}",
			url: '/v1/whoami',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'The Fanloop hub rejected the API key: it is missing, wrong or revoked. Create one with "fanloop-hub api-key create --name n8n" and paste it here.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'Something answers at this Base URL, but not the Fanloop hub API: give the address the hub runs at, e.g. https://hub.example.com, without a path.',
				},
			},
		],
	};
}
