/** Identity channels the hub stitches into one fan. */
export const CHANNEL_OPTIONS = [
	{ name: 'Apple Music', value: 'apple_music' },
	{ name: 'Deezer', value: 'deezer' },
	{ name: 'Discord', value: 'discord' },
	{ name: 'Email', value: 'email' },
	{ name: 'Phone', value: 'phone' },
	{ name: 'Spotify', value: 'spotify' },
	{ name: 'Telegram', value: 'telegram' },
	{ name: 'YouTube', value: 'youtube' },
];

/** Action kinds of the ledger. */
export const ACTION_KIND_OPTIONS = [
	{ name: 'Click', value: 'click' },
	{ name: 'Follow', value: 'follow' },
	{ name: 'Join Discord', value: 'join_discord' },
	{ name: 'Join Telegram', value: 'join_telegram' },
	{ name: 'Opt-In Email', value: 'optin_email' },
	{ name: 'Opt-In SMS', value: 'optin_sms' },
	{ name: 'Pre-Save', value: 'presave' },
	{ name: 'Save', value: 'save' },
];

export function fanPath(fanId: string, suffix = ''): string {
	return `/v1/fans/${encodeURIComponent(fanId)}${suffix}`;
}
