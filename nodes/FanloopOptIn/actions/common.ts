import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { FAN_ID_FROM_ITEM } from '../../shared/fan-id';

/** The channels the hub asks consent on and sends marketing messages through. */
export const OPT_IN_CHANNEL_OPTIONS = [
	{ name: 'Email', value: 'email' },
	{ name: 'SMS', value: 'sms' },
];

export type OptInChannel = 'sms' | 'email';

export function fanIdField(show: IDisplayOptions['show'], action: string): INodeProperties {
	return {
		displayName: 'Fan ID',
		name: 'fanId',
		type: 'string',
		required: true,
		default: FAN_ID_FROM_ITEM,
		placeholder: 'fan_01J…',
		description: `ID of the fan ${action}. The default reads it from a Fanloop Trigger event (data.fan.ID), a Fanloop result holding a fan (fan.ID) or an item that is a fan (ID).`,
		displayOptions: { show },
	};
}
