import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField } from '../../../shared/fan-id';
import { fanPath } from './common';

export const description: INodeProperties[] = [
	fanIdField(
		{ resource: ['fan'], operation: ['export'] },
		'whose data is exported (GDPR access request)',
	),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: fanPath(fanId, '/export'),
		itemIndex,
	});
	return [{ json: result }];
}
