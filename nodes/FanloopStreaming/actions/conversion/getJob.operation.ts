import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		required: true,
		// jobId after Start Release-Day Conversion, id after an earlier Get Job (a polling loop).
		default: '={{ $json.jobId ?? $json.id }}',
		placeholder: 'job_01J…',
		description:
			'The job to look at. The default reads jobId from Start Release-Day Conversion, or ID from an earlier Get Job. The output status is queued, running, done or failed; progress counts converted, reconsent (fans who must reconnect), failed and waiting fans (release not visible yet, or not midnight for them yet), with notVisibleOn listing platforms that do not show the release yet.',
		displayOptions: { show: { resource: ['conversion'], operation: ['getJob'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const jobId = readRequiredString(this, 'jobId', itemIndex, 'Job ID');
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: `/v1/jobs/${encodeURIComponent(jobId)}`,
		itemIndex,
	});
	return [{ json: result }];
}
