import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { readNumber, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { STREAMING_PLATFORM_OPTIONS } from '../common';

const show = { resource: ['connection'], operation: ['findExpiring'] };

const ALL_PLATFORMS = 'all';

export const description: INodeProperties[] = [
	{
		displayName: 'Within Days',
		name: 'withinDays',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 365 },
		default: 14,
		description:
			'Find connections whose authorization ends within this many days. A Spotify consent ends 6 months after it was given, an Apple Music one after about 6 months; only connections with a known end date are found.',
		displayOptions: { show },
	},
	{
		displayName: 'Platform',
		name: 'platform',
		type: 'options',
		options: [{ name: 'All Platforms', value: ALL_PLATFORMS }, ...STREAMING_PLATFORM_OPTIONS],
		default: ALL_PLATFORMS,
		description:
			'Outputs one item per connection (fanId, platform, refreshExpiresAt), ready for a re-consent message; none when no connection expires',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const qs: IDataObject = { withinDays: readNumber(this, 'withinDays', itemIndex, 14) };
	const platform = readString(this, 'platform', itemIndex, ALL_PLATFORMS);
	if (platform && platform !== ALL_PLATFORMS) qs.platform = platform;
	const result = await hubRequest.call(this, {
		method: 'GET',
		path: '/v1/connections/expiring',
		qs,
		itemIndex,
	});
	const connections = Array.isArray(result.connections) ? result.connections : [];
	return connections.map((connection) => ({ json: connection as IDataObject }));
}
