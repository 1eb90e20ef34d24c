import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';

const show = { resource: ['fan'], operation: ['getStatus'] };

export const description: INodeProperties[] = [
	fanIdField(
		show,
		'whose community layers are read. The output has a telegram and a discord entry for each platform the fan is linked on, none for the others',
	),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: '/v1/community/status',
		qs: { fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID') },
		itemIndex,
	});
	return [{ json: result }];
}
