import { newId } from './ids';
import { iso, type Action } from './model';

export const EVENT_TYPES = [
	'presave.completed',
	'presave.converted',
	'layer.accepted',
	'action.failed',
	'optin.requested',
	'optin.confirmed',
	'optin.revoked',
	'keyword.received',
	'community.joined',
	'community.left',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface ConsentReference {
	id: string;
	channel: 'sms' | 'email';
	purpose: string;
	status: 'pending' | 'granted' | 'revoked';
}

/** What n8n receives. Ids and states only: an event never carries a fan's contact details. */
export interface EventData {
	fan: { id: string };
	action?: Action;
	consent?: ConsentReference;
	keyword?: { word: string; channel: 'sms' };
	community?: {
		platform: 'telegram' | 'discord';
		what: 'chat' | 'release_updates' | 'channel' | 'guild';
	};
}

export interface HubEvent {
	id: string;
	type: EventType;
	createdAt: string;
	campaignId: string | null;
	data: EventData;
}

export const EVENT_ID_PREFIX = 'evt';

export function newEvent(
	type: EventType,
	nowMs: number,
	campaignId: string | null,
	data: EventData,
): HubEvent {
	return { id: newId(EVENT_ID_PREFIX, nowMs), type, createdAt: iso(nowMs), campaignId, data };
}

export function eventTypeOf(action: Action): EventType {
	if (action.status === 'failed') return 'action.failed';
	return action.kind === 'presave' ? 'presave.completed' : 'layer.accepted';
}
