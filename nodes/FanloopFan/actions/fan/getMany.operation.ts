import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { compact, readBoolean, readNumber, readObject } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { ACTION_KIND_OPTIONS, CHANNEL_OPTIONS } from './common';

const show = { resource: ['fan'], operation: ['getMany'] };

/** The largest page the node asks the hub for. */
export const PAGE_SIZE = 100;

export const description: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
			},
			{
				displayName: 'Has Action',
				name: 'hasAction',
				type: 'options',
				options: ACTION_KIND_OPTIONS,
				default: 'presave',
				description: 'Only fans who took an action of this kind',
			},
			{
				displayName: 'Has Channel',
				name: 'channel',
				type: 'options',
				options: CHANNEL_OPTIONS,
				default: 'email',
				description: 'Only fans with an identity on this channel',
			},
			{
				displayName: 'Lacks Action',
				name: 'lacksAction',
				type: 'options',
				options: ACTION_KIND_OPTIONS,
				default: 'optin_sms',
				description: 'Only fans who have not taken an action of this kind',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const returnAll = readBoolean(this, 'returnAll', itemIndex);
	const limit = returnAll
		? Infinity
		: Math.max(1, Math.floor(readNumber(this, 'limit', itemIndex, 50)));
	const filters = compact(readObject(this, 'filters', itemIndex));

	const fans: IDataObject[] = [];
	let cursor: string | undefined;
	do {
		const qs: IDataObject = { ...filters, limit: Math.min(PAGE_SIZE, limit - fans.length) };
		if (cursor) qs.cursor = cursor;
		const page = await hubRequest.call(this, { method: 'GET', path: '/v1/fans', qs, itemIndex });
		const pageFans = Array.isArray(page.fans) ? (page.fans as IDataObject[]) : [];
		fans.push(...pageFans);
		cursor =
			typeof page.nextCursor === 'string' && page.nextCursor !== '' ? page.nextCursor : undefined;
		// An empty page with a cursor would loop forever; the hub should not send one, but stop anyway.
		if (pageFans.length === 0) break;
	} while (cursor && fans.length < limit);

	return fans.slice(0, limit).map((fan) => ({ json: fan }));
}
