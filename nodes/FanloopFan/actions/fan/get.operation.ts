import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readRequiredString, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { fanIdField } from '../../../shared/fan-id';
import { CHANNEL_OPTIONS, fanPath } from './common';

const show = { resource: ['fan'], operation: ['get'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		default: 'id',
		displayOptions: { show },
		options: [
			{ name: 'Fan ID', value: 'id', description: "The hub's ID of the fan" },
			{
				name: 'Identity',
				value: 'identity',
				description: 'A channel and the value the fan has on it',
			},
		],
	},
	fanIdField({ ...show, findBy: ['id'] }, 'to get'),
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		options: CHANNEL_OPTIONS,
		default: 'email',
		displayOptions: { show: { ...show, findBy: ['identity'] } },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'fan@example.com',
		description:
			'Email address, phone number in international format (+ and country code, e.g. +14155550123), or the platform user ID',
		displayOptions: { show: { ...show, findBy: ['identity'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const findBy = readString(this, 'findBy', itemIndex, 'id');
	if (findBy === 'identity') {
		const result = await hubRequest.call(this, {
			method: 'GET',
			path: '/v1/fans/by-identity',
			qs: {
				channel: readRequiredString(this, 'channel', itemIndex, 'Channel'),
				value: readRequiredString(this, 'value', itemIndex, 'Value'),
			},
			itemIndex,
		});
		return [{ json: result }];
	}
	const fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
	const result = await hubRequest.call(this, { method: 'GET', path: fanPath(fanId), itemIndex });
	return [{ json: result }];
}
