import type { INodeProperties } from 'n8n-workflow';

import * as checkConsent from './checkConsent.operation';
import * as confirm from './confirm.operation';
import * as optOut from './optOut.operation';
import * as request from './request.operation';

export { checkConsent, confirm, optOut, request };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['optIn'] } },
		options: [
			{
				name: 'Check Consent',
				value: 'checkConsent',
				description: "Get a fan's consent on a channel: pending, granted, revoked or none",
				action: 'Check consent of a fan',
			},
			{
				name: 'Confirm',
				value: 'confirm',
				description:
					'Confirm an email opt-in with the token from its confirmation link, when your own page receives the link',
				action: 'Confirm an email consent',
			},
			{
				name: 'Opt Out',
				value: 'optOut',
				description: "Revoke a fan's consents on SMS, email or both",
				action: 'Opt a fan out',
			},
			{
				name: 'Request',
				value: 'request',
				description:
					'Ask a fan for double opt-in on SMS or email: the hub stores the pending consent with its proof and sends the confirmation request once',
				action: 'Request consent from a fan',
			},
		],
		default: 'request',
	},
	...request.description,
	...confirm.description,
	...optOut.description,
	...checkConsent.description,
];
