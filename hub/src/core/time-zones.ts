/** Whether Intl knows the zone: an IANA name such as Europe/Berlin (or UTC). */
export function isTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

/** The zone when Intl knows it, else undefined: one fan's bad stored zone must not stop work for the others. */
export function knownZone(zone: string | null | undefined): string | undefined {
	return zone && isTimeZone(zone) ? zone : undefined;
}
