import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField } from '../../../shared/fan-id';
import { fanPath } from './common';

export const description: INodeProperties[] = [
	fanIdField(
		{ resource: ['fan'], operation: ['erase'] },
		'to erase (GDPR): tokens and personal data are deleted, a minimal suppression entry stays',
	),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
	const result = await hubRequest.call(this, { method: 'DELETE', path: fanPath(fanId), itemIndex });
	return [{ json: result }];
}
