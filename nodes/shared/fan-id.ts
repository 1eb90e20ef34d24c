/**
 * Default of a Fan ID field: the fan of a Fanloop Trigger event (data.fan.id), of a Fanloop
 * node result that holds a fan (fan.id), or of an item that is a fan (id), so a node placed
 * after any of them needs no mapping.
 */
export const FAN_ID_FROM_ITEM = '={{ $json.data?.fan?.id ?? $json.fan?.id ?? $json.id }}';
