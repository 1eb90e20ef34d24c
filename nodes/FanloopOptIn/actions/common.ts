/** The channels the hub asks consent on and sends marketing messages through. */
export const OPT_IN_CHANNEL_OPTIONS = [
	{ name: 'Email', value: 'email' },
	{ name: 'SMS', value: 'sms' },
];

export type OptInChannel = 'sms' | 'email';
