import type { Action } from './model';

export const EVENT_TYPES = ['presave.completed', 'layer.accepted', 'action.failed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What n8n receives. Only ids and the action: an event never carries a fan's contact details. */
export interface HubEvent {
	id: string;
	type: EventType;
	createdAt: string;
	campaignId: string | null;
	data: { fan: { id: string }; action: Action };
}

export function eventTypeOf(action: Action): EventType {
	if (action.status === 'failed') return 'action.failed';
	return action.kind === 'presave' ? 'presave.completed' : 'layer.accepted';
}
