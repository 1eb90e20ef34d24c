import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { readRequiredString, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { campaignIdField, OUTCOME_HINT, platformField, PRESAVE_ID_FROM_EVENT } from '../common';

const show = { resource: ['library'], operation: ['saveRelease'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'whose library the release is saved to'),
	campaignIdField(show, 'The campaign whose release (its UPC and ISRCs) is saved'),
	platformField(
		show,
		`Where the release is saved. ${OUTCOME_HINT} Save Release can also answer not_released: the platform does not show the release yet (nothing is recorded), so try again later or let Start Release-Day Conversion retry every pending pre-save.`,
	),
	{
		displayName: 'Parent Action ID',
		name: 'parentActionId',
		type: 'string',
		default: PRESAVE_ID_FROM_EVENT,
		placeholder: 'act_01J…',
		description:
			'The pre-save this save converts, so the ledger links them and the hub emits presave.converted. The default takes the pre-save of a Fanloop Trigger event (data.action when its kind is presave); anywhere else it is empty and the save is recorded on its own.',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const body: IDataObject = {
		fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
		campaignId: readRequiredString(this, 'campaignId', itemIndex, 'Campaign ID or Slug'),
		platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
	};
	const parentActionId = readString(this, 'parentActionId', itemIndex);
	if (parentActionId) body.parentActionId = parentActionId;
	// reconsent, failed and not_released are answers about the fan, not failures of the node:
	// they come out as ordinary items so the workflow can branch on status.
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/streaming/save',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
