import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { isTimeZone } from '../time-zones';

/** Messages go out only between 8:00 and 21:00 in the recipient's time zone. */
export const SEND_WINDOW = { fromHour: 8, toHour: 21 } as const;

const STEP_MS = 15 * 60_000;
const SEARCH_LIMIT_MS = 3 * 24 * 3_600_000;

/**
 * Where a number's country spans several zones, a message must fit the window in all
 * of them; one zone where it is night makes the moment quiet. Single-zone countries
 * not listed are found from the region's own zone when Intl knows it.
 */
const COUNTRY_ZONES: Record<string, string[]> = {
	US: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'],
	CA: [
		'America/Halifax',
		'America/Toronto',
		'America/Winnipeg',
		'America/Edmonton',
		'America/Vancouver',
	],
	MX: ['America/Mexico_City', 'America/Tijuana'],
	BR: ['America/Sao_Paulo', 'America/Manaus'],
	AU: ['Australia/Sydney', 'Australia/Adelaide', 'Australia/Perth'],
	RU: ['Europe/Moscow'],
	GB: ['Europe/London'],
	IE: ['Europe/Dublin'],
	DE: ['Europe/Berlin'],
	FR: ['Europe/Paris'],
	ES: ['Europe/Madrid'],
	IT: ['Europe/Rome'],
	NL: ['Europe/Amsterdam'],
	BE: ['Europe/Brussels'],
	SE: ['Europe/Stockholm'],
	NO: ['Europe/Oslo'],
	DK: ['Europe/Copenhagen'],
	PL: ['Europe/Warsaw'],
	PT: ['Europe/Lisbon'],
	AT: ['Europe/Vienna'],
	CH: ['Europe/Zurich'],
	IN: ['Asia/Kolkata'],
	JP: ['Asia/Tokyo'],
	KR: ['Asia/Seoul'],
	NG: ['Africa/Lagos'],
	ZA: ['Africa/Johannesburg'],
	NZ: ['Pacific/Auckland'],
};

/** The zones a message to this fan must respect: the fan's own zone, else the phone number's country. */
export function recipientZones(timezone: string | null, phone: string | null): string[] {
	// A zone Intl does not know (stored before zones were checked) counts as none given.
	if (timezone && isTimeZone(timezone)) return [timezone];
	const country = phone ? parsePhoneNumberFromString(phone)?.country : undefined;
	return (country && COUNTRY_ZONES[country]) || ['UTC'];
}

function localHour(epochMs: number, zone: string): number {
	const parts = new Intl.DateTimeFormat('en-GB', {
		timeZone: zone,
		hour: 'numeric',
		hourCycle: 'h23',
	}).formatToParts(new Date(epochMs));
	return Number(parts.find((part) => part.type === 'hour')?.value);
}

export function isQuiet(epochMs: number, zones: string[]): boolean {
	return zones.some((zone) => {
		const hour = localHour(epochMs, zone);
		return hour < SEND_WINDOW.fromHour || hour >= SEND_WINDOW.toHour;
	});
}

/** The first moment at or after `epochMs` outside quiet hours in every zone (quarter-hour steps keep DST honest). */
export function nextSendableAt(epochMs: number, zones: string[]): number {
	if (!isQuiet(epochMs, zones)) return epochMs;
	let candidate = Math.ceil(epochMs / STEP_MS) * STEP_MS;
	for (const limit = epochMs + SEARCH_LIMIT_MS; candidate < limit; candidate += STEP_MS) {
		if (!isQuiet(candidate, zones)) return candidate;
	}
	throw new Error(`No sending window within three days for zones ${zones.join(', ')}`);
}
