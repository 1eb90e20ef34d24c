import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Token',
		name: 'token',
		type: 'string',
		typeOptions: { password: true },
		required: true,
		default: '',
		description:
			'The token from the confirmation link the fan clicked (its ?token= value), when your own page receives the link. The output outcome is confirmed, already_confirmed or expired. A token the hub never issued, or one cut short, fails the item with the code invalid_token.',
		displayOptions: { show: { resource: ['optIn'], operation: ['confirm'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/optins/confirm',
		body: { token: readRequiredString(this, 'token', itemIndex, 'Token') },
		itemIndex,
	});
	return [{ json: result }];
}
