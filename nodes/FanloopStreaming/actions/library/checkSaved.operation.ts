import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fanIdField } from '../../../shared/fan-id';
import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { campaignIdField, platformField } from '../common';

const show = { resource: ['library'], operation: ['checkSaved'] };

export const description: INodeProperties[] = [
	fanIdField(show, 'whose library is checked'),
	campaignIdField(show, 'The campaign whose release is looked for'),
	platformField(
		show,
		'The library to look in. The output saved is true or false, or null while the platform does not show the release yet. A fan without a working connection on the platform fails the item; with Continue On Fail the workflow goes on.',
	),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: '/v1/streaming/saved',
		qs: {
			fanId: readRequiredString(this, 'fanId', itemIndex, 'Fan ID'),
			campaignId: readRequiredString(this, 'campaignId', itemIndex, 'Campaign ID or Slug'),
			platform: readRequiredString(this, 'platform', itemIndex, 'Platform'),
		},
		itemIndex,
	});
	return [{ json: result }];
}
