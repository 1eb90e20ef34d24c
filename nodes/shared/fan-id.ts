import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/**
 * Default of a Fan ID field: the fan of a Fanloop Trigger event (data.fan.id), of a Fanloop
 * node result that holds a fan (fan.id) or an action (action.fanId), or of an item that is a
 * fan (id), so a node placed after any of them needs no mapping.
 */
export const FAN_ID_FROM_ITEM =
	'={{ $json.data?.fan?.id ?? $json.fan?.id ?? $json.action?.fanId ?? $json.id }}';

/**
 * Where the default finds the fan, spelled as the JSON paths really are. A constant on purpose:
 * the community lint upper-cases every "id" written in a description literal, and a path
 * that reads `data.fan.ID` is a path that does not exist.
 */
export const FAN_ID_DEFAULT_HELP =
	'The default reads it from a Fanloop Trigger event (data.fan.id), a Fanloop result holding a fan (fan.id) or an action (action.fanId), or an item that is a fan (id).';

/** A required Fan ID field defaulting to FAN_ID_FROM_ITEM; `action` ends "ID of the fan …". */
export function fanIdField(show: IDisplayOptions['show'], action: string): INodeProperties {
	const description = `ID of the fan ${action}. ${FAN_ID_DEFAULT_HELP}`;
	return {
		displayName: 'Fan ID',
		name: 'fanId',
		type: 'string',
		required: true,
		default: FAN_ID_FROM_ITEM,
		placeholder: 'fan_01J…',
		description,
		displayOptions: { show },
	};
}
