import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/**
 * Default of a Fan ID field: the fan of a Fanloop Trigger event (data.fan.id), of a Fanloop
 * node result that holds a fan (fan.id), or of an item that is a fan (id), so a node placed
 * after any of them needs no mapping.
 */
export const FAN_ID_FROM_ITEM = '={{ $json.data?.fan?.id ?? $json.fan?.id ?? $json.id }}';

/** A required Fan ID field defaulting to FAN_ID_FROM_ITEM; `action` ends "ID of the fan …". */
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
