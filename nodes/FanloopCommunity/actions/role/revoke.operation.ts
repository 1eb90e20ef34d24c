import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { changeRole, ROLE_OUTCOME_HINT } from './change-role';

const show = { resource: ['role'], operation: ['revoke'] };

export const description: INodeProperties[] = [
	{
		...fanIdField(show, 'who loses the role'),
		hint: ROLE_OUTCOME_HINT,
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	return await changeRole(this, itemIndex, 'revoke');
}
