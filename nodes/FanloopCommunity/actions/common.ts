import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/** The chat platforms the hub's bots run on; the hub's COMMUNITY_PLATFORMS. */
export const COMMUNITY_PLATFORM_OPTIONS = [
	{ name: 'Discord', value: 'discord' },
	{ name: 'Telegram', value: 'telegram' },
];

export function platformField(show: IDisplayOptions['show'], description: string): INodeProperties {
	return {
		displayName: 'Platform',
		name: 'platform',
		type: 'options',
		options: COMMUNITY_PLATFORM_OPTIONS,
		default: 'telegram',
		description,
		displayOptions: { show },
	};
}
