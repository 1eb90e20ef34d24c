import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { compact, readObject } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { CHANNEL_OPTIONS } from './common';

const show = { resource: ['fan'], operation: ['upsert'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Identities',
		name: 'identities',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		required: true,
		default: {},
		placeholder: 'Add Identity',
		description:
			'Channels that identify the fan. A fan already known on any of them is updated, otherwise a new fan is created.',
		displayOptions: { show },
		options: [
			{
				displayName: 'Identity',
				name: 'identity',
				values: [
					{
						displayName: 'Channel',
						name: 'channel',
						type: 'options',
						options: CHANNEL_OPTIONS,
						default: 'email',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: 'fan@example.com',
						description:
							'Email address, phone number in international format (+ and country code, e.g. +14155550123), or the platform user ID',
					},
				],
			},
		],
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Country',
				name: 'country',
				type: 'string',
				default: '',
				placeholder: 'DE',
				description: 'Two-letter country code, e.g. DE or US',
			},
			{
				displayName: 'Locale',
				name: 'locale',
				type: 'string',
				default: '',
				placeholder: 'de-DE',
				description: 'Language code for messages to the fan, e.g. en, de or pt-BR',
			},
			{
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				placeholder: 'Mia',
				description:
					'What to call the fan in messages. Left empty, an earlier name is kept; it is erased with the fan.',
			},
			{
				displayName: 'Timezone',
				name: 'timezone',
				type: 'string',
				default: '',
				placeholder: 'Europe/Berlin',
				description:
					'Time zone name such as Europe/Berlin or America/New_York, used for quiet hours and local-midnight releases',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const collection = readObject(this, 'identities', itemIndex);
	const rows = Array.isArray(collection.identity) ? (collection.identity as IDataObject[]) : [];
	const identities = rows
		.map((row) => ({ channel: String(row.channel ?? ''), value: String(row.value ?? '').trim() }))
		.filter((identity) => identity.channel !== '' && identity.value !== '');
	if (identities.length === 0) {
		throw new NodeOperationError(this.getNode(), 'Add at least one identity', {
			itemIndex,
			description:
				'A fan is found or created by a channel and value, e.g. Email + fan@example.com.',
		});
	}
	const body: IDataObject = {
		identities,
		...compact(readObject(this, 'additionalFields', itemIndex)),
	};
	const result = await hubRequest.call(this, { method: 'POST', path: '/v1/fans', body, itemIndex });
	// The same fan shape as Get, plus whether this call created the fan.
	const { fan, created } = result as { fan: IDataObject; created: boolean };
	return [{ json: { ...fan, created } }];
}
