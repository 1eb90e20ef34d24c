import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/** The streaming platforms the hub saves and follows on; the hub's STREAMING_PLATFORMS. */
export const STREAMING_PLATFORM_OPTIONS = [
	{ name: 'Apple Music', value: 'apple_music' },
	{ name: 'Deezer', value: 'deezer' },
	{ name: 'Spotify', value: 'spotify' },
	{ name: 'YouTube', value: 'youtube' },
];

/**
 * Default of Save Release's Parent Action ID: the pre-save of a Fanloop Trigger event
 * (presave.completed), so the save is layered on it and the hub emits presave.converted.
 * Anything else leaves it empty and the save is recorded on its own.
 */
export const PRESAVE_ID_FROM_EVENT =
	"={{ $json.data?.action?.kind === 'presave' ? $json.data.action.id : '' }}";

/** What a save or a follow answers, worded once for both. */
export const OUTCOME_HINT =
	"The output status is done (recorded in the fan ledger; asked again, the hub answers the first result), reconsent (the fan's authorization on the platform is gone, revoked or expired: ask the fan to reconnect), failed (the platform refused for good, e.g. a wrong ID or the day's YouTube quota spent; recorded in the ledger) or missing_scope (the fan's consent does not cover this operation, e.g. a Spotify playlist follow for a campaign that names no playlist; the platform was not asked, and the action's error names the scope). None of these stop the workflow.";

export function platformField(show: IDisplayOptions['show'], description: string): INodeProperties {
	return {
		displayName: 'Platform',
		name: 'platform',
		type: 'options',
		options: STREAMING_PLATFORM_OPTIONS,
		default: 'spotify',
		description,
		displayOptions: { show },
	};
}

export function campaignIdField(
	show: IDisplayOptions['show'],
	description: string,
): INodeProperties {
	return {
		displayName: 'Campaign ID or Slug',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'cmp_01J… or mia-neon-nights',
		description,
		displayOptions: { show },
	};
}
