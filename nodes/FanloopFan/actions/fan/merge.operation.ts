import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField } from '../../../shared/fan-id';
import { fanPath } from './common';

export const description: INodeProperties[] = [
	fanIdField({ resource: ['fan'], operation: ['merge'] }, 'that is kept'),
	{
		displayName: 'Other Fan ID',
		name: 'otherFanId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'fan_01J…',
		description:
			'ID of the fan merged into the kept one: its identities, consents and actions move over and it stops existing',
		displayOptions: { show: { resource: ['fan'], operation: ['merge'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
	const otherFanId = readRequiredString(this, 'otherFanId', itemIndex, 'Other Fan ID');
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: fanPath(fanId, '/merge'),
		body: { otherFanId },
		itemIndex,
	});
	// The kept fan, in the same shape as Get.
	return [{ json: (result as { fan: IDataObject }).fan }];
}
