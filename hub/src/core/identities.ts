import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { HubError } from './errors';

export const CHANNELS = [
	'email',
	'phone',
	'spotify',
	'apple_music',
	'deezer',
	'youtube',
	'telegram',
	'discord',
] as const;

export type Channel = (typeof CHANNELS)[number];

export interface Identity {
	channel: Channel;
	value: string;
}

// Deliberately plain: one @, the characters an address may hold (letters of any script too), a dot in the
// domain. No markup, quotes or control characters. Deliverability is proven by double opt-in, not by a regex.
const EMAIL = /^[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+$/u;
const NUMERIC_ID = /^\d{1,20}$/;
const PLATFORM_ID = /^[A-Za-z0-9._:=-]{1,200}$/;

function normalizeEmail(raw: string): string {
	const value = raw.trim().toLowerCase();
	if (value.length > 254 || !EMAIL.test(value)) {
		throw new HubError('invalid_identity', `"${raw}" is not a valid email address.`);
	}
	return value;
}

function normalizePhone(raw: string, countryHint?: string): string {
	const country = countryHint?.trim().toUpperCase() as CountryCode | undefined;
	const phone = parsePhoneNumberFromString(
		raw.trim(),
		country ? { defaultCountry: country } : undefined,
	);
	if (!phone?.isValid()) {
		throw new HubError(
			'invalid_identity',
			`"${raw}" is not a valid phone number. Use international format such as +14155550123, or give the fan's country.`,
		);
	}
	return phone.number;
}

function normalizeId(channel: Channel, raw: string, pattern: RegExp, what: string): string {
	const value = raw.trim();
	if (!pattern.test(value)) {
		throw new HubError('invalid_identity', `"${raw}" is not a valid ${channel} ${what}.`);
	}
	return value;
}

export function isChannel(value: string): value is Channel {
	return (CHANNELS as readonly string[]).includes(value);
}

/** Validates and puts an identity in the one form the ledger stores (E.164 phones, lower-case emails). */
export function normalizeIdentity(channel: string, value: string, countryHint?: string): Identity {
	if (!isChannel(channel)) {
		throw new HubError(
			'unknown_channel',
			`"${channel}" is not a channel Fanloop knows. Use one of: ${CHANNELS.join(', ')}.`,
		);
	}
	switch (channel) {
		case 'email':
			return { channel, value: normalizeEmail(value) };
		case 'phone':
			return { channel, value: normalizePhone(value, countryHint) };
		case 'telegram':
		case 'discord':
			return { channel, value: normalizeId(channel, value, NUMERIC_ID, 'user id') };
		default:
			return { channel, value: normalizeId(channel, value, PLATFORM_ID, 'account id') };
	}
}

/** What an erased fan leaves behind: enough to recognise them again, nothing to read back. */
export function suppressionHash(identity: Identity): string {
	return createHash('sha256').update(`${identity.channel}:${identity.value}`).digest('hex');
}
