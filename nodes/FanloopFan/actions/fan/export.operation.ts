import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField, fanPath } from './common';

export const description: INodeProperties[] = [
	fanIdField('export', 'ID of the fan whose data is exported (GDPR access request)'),
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
