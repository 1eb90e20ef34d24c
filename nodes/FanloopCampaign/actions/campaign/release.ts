import { DateTime, IANAZone } from 'luxon';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readBoolean, readRequiredString, readString } from '../../../shared/parameters';

const DATE_EXAMPLE = '2026-12-04T00:00:00';

/**
 * The date picker writes 2026-12-04T00:00:00; an expression may hand over a JavaScript Date or
 * a Luxon DateTime (which reads as its ISO text), each an instant.
 */
function readWrittenDate(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('releaseDate', itemIndex, '');
	if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
	return readRequiredString(context, 'releaseDate', itemIndex, 'Release Date');
}

/**
 * Turns Release Date, Time Zone and Release at Local Midnight into the hub's releaseAtUtc,
 * timezone and localMidnight.
 *
 * A date and time written without an offset is read in the time zone. With local midnight
 * only the date counts: the hub releases at midnight of releaseAtUtc's UTC date in each fan's
 * own zone, so the node sends that date at 00:00 UTC, taken as the marketer wrote it.
 */
export function readRelease(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const written = readWrittenDate(context, itemIndex);
	const timezone = readString(context, 'timezone', itemIndex) || context.getTimezone();
	if (!IANAZone.isValidZone(timezone)) {
		throw new NodeOperationError(context.getNode(), `"${timezone}" is not a time zone`, {
			itemIndex,
			description:
				'Use a time zone name from the IANA list, such as Europe/Berlin, America/New_York or UTC.',
		});
	}
	const localMidnight = readBoolean(context, 'localMidnight', itemIndex);
	const release = DateTime.fromISO(written, { zone: timezone });
	if (!release.isValid) {
		throw new NodeOperationError(
			context.getNode(),
			`Release Date "${written}" is not a date and time`,
			{
				itemIndex,
				description: `Pick the date in the date picker, or write it as ${DATE_EXAMPLE} (the time is read in the Time Zone).`,
			},
		);
	}
	const releaseAtUtc = localMidnight
		? `${DateTime.fromISO(written, { setZone: true, zone: timezone }).toISODate()}T00:00:00.000Z`
		: release.toUTC().toISO();
	return { releaseAtUtc, timezone, localMidnight };
}
