import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { FAN_ID_DEFAULT_HELP, FAN_ID_FROM_ITEM } from '../../../shared/fan-id';
import { compact, readObject, readRequiredString, readString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';
import { OPT_IN_CHANNEL_OPTIONS } from '../common';

const show = { resource: ['optIn'], operation: ['request'] };

/** Optional here: without a fan the hub finds one by the address, or creates one. */
const FAN_ID_HELP = `ID of a fan the hub already knows. ${FAN_ID_DEFAULT_HELP} When it is empty the hub finds the fan by the address, or creates one.`;

export const description: INodeProperties[] = [
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		options: OPT_IN_CHANNEL_OPTIONS,
		default: 'sms',
		description:
			'Where the fan is asked to confirm: by SMS they reply YES, by email they click the link in a confirmation email',
		displayOptions: { show },
	},
	{
		displayName: 'Phone Number',
		name: 'address',
		type: 'string',
		default: '',
		placeholder: '+14155550123',
		description:
			'The phone number in international format (+ and country code). A national number works only with Country set under Additional Fields. Leave empty to use the number on record for the fan in Fan ID.',
		displayOptions: { show: { ...show, channel: ['sms'] } },
	},
	{
		displayName: 'Email Address',
		name: 'address',
		type: 'string',
		default: '',
		placeholder: 'name@email.com',
		description:
			'The email address the confirmation link is sent to. Leave empty to use the address on record for the fan in Fan ID.',
		displayOptions: { show: { ...show, channel: ['email'] } },
	},
	{
		displayName: 'Fan ID',
		name: 'fanId',
		type: 'string',
		default: FAN_ID_FROM_ITEM,
		placeholder: 'fan_01J…',
		description: FAN_ID_HELP,
		displayOptions: { show },
	},
	{
		displayName: 'Consent Wording',
		name: 'wording',
		type: 'string',
		typeOptions: { rows: 3 },
		required: true,
		default: '',
		placeholder: 'Text me about new releases. Msg & data rates may apply. Reply STOP to opt out.',
		description:
			'The exact consent text the fan saw when signing up, word for word. The hub stores it with the consent as proof of what the fan agreed to.',
		displayOptions: { show },
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
				displayName: 'Campaign ID or Slug',
				name: 'campaignId',
				type: 'string',
				default: '',
				description: 'The campaign the opt-in is recorded under',
			},
			{
				displayName: 'Country',
				name: 'country',
				type: 'string',
				default: '',
				placeholder: 'US',
				description:
					'Two-letter country code such as US or DE, needed to read a phone number given without its country code',
			},
			{
				displayName: 'IP Address',
				name: 'ip',
				type: 'string',
				default: '',
				description: "The fan's IP address at sign-up, stored as proof",
			},
			{
				displayName: 'Parent Action ID',
				name: 'parentActionId',
				type: 'string',
				default: '',
				description: 'The earlier action this opt-in is layered on (e.g. the pre-save)',
			},
			{
				displayName: 'Purpose',
				name: 'purpose',
				type: 'string',
				default: '',
				placeholder: 'marketing',
				description:
					'What the fan agrees to receive. The hub uses "marketing" when empty; Send needs a granted marketing consent.',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'presave_page',
				description: 'Where the fan signed up, stored as proof',
			},
			{
				displayName: 'Timezone',
				name: 'timezone',
				type: 'string',
				default: '',
				placeholder: 'America/New_York',
				description:
					"Time zone name of the fan such as America/New_York, used for quiet hours. When empty the hub keeps quiet hours in every time zone of the phone number's country.",
			},
			{
				displayName: 'User Agent',
				name: 'userAgent',
				type: 'string',
				default: '',
				description: "The fan's browser user agent at sign-up, stored as proof",
			},
			{
				displayName: 'Wording Version',
				name: 'wordingVersion',
				type: 'string',
				default: '',
				placeholder: '2026-05',
				description: 'Your own label for this version of the consent wording',
			},
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const channel = readRequiredString(this, 'channel', itemIndex, 'Channel');
	const fields = compact(readObject(this, 'additionalFields', itemIndex));
	// Without an address the hub uses the one on record for the fan: a keyword texted in or a
	// pre-save event carries only the fan's id.
	const address = readString(this, 'address', itemIndex);
	const fanId = readString(this, 'fanId', itemIndex);
	if (!address && !fanId) {
		const label = channel === 'email' ? 'Email Address' : 'Phone Number';
		throw new NodeOperationError(this.getNode(), `${label} is empty`, {
			itemIndex,
			description: `Fill in "${label}", or set Fan ID to use the one on record.`,
		});
	}
	const body: IDataObject = {
		channel,
		...(address ? { address } : {}),
		...(fanId ? { fanId } : {}),
		wording: readRequiredString(this, 'wording', itemIndex, 'Consent Wording'),
		...fields,
	};
	const result = await hubRequest.call(this, {
		method: 'POST',
		path: '/v1/optins',
		body,
		itemIndex,
	});
	return [{ json: result }];
}
