import { DateTime } from 'luxon';
import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readObject } from '../../shared/parameters';
import { hubRequest } from '../../shared/transport';

/** The window and source every insights request can be narrowed to. */
export function insightsOptions(show: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Options',
		name: 'insightsOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'From',
				name: 'from',
				type: 'dateTime',
				default: '',
				description:
					'Count only what happened from this moment on (read in the workflow’s time zone). Leave out for everything since the campaign began.',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'instagram',
				description:
					'Count only fans who came through this source: the src or utm_source of the pre-save page link (e.g. /c/my-release?src=instagram; the hub keeps these in lower case), or the source an action was recorded with',
			},
			{
				displayName: 'To',
				name: 'to',
				type: 'dateTime',
				default: '',
				description:
					'Count only what happened before this moment (read in the workflow’s time zone). Leave out for everything up to now.',
			},
		],
	};
}

/**
 * A moment as the hub reads it: an ISO instant with its offset. The date picker writes
 * 2026-12-01T00:00:00 with none, which means the workflow's time zone; an expression may hand
 * over a Luxon DateTime or a JavaScript Date, each an instant already.
 */
function instantOf(
	context: IExecuteFunctions,
	value: unknown,
	label: string,
	itemIndex: number,
): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
	if (DateTime.isDateTime(value) && value.isValid) return value.toUTC().toISO() ?? undefined;
	const parsed = DateTime.fromISO(String(value).trim(), { zone: context.getTimezone() });
	if (!parsed.isValid) {
		throw new NodeOperationError(context.getNode(), `${label} "${String(value)}" is not a date`, {
			itemIndex,
			description: 'Pick it in the date picker, or write it as 2026-12-01T00:00:00.',
		});
	}
	return parsed.toUTC().toISO() ?? undefined;
}

/** Reads the options, asks the hub for the insights at `path` and outputs the report. */
export async function readInsights(
	context: IExecuteFunctions,
	path: string,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const options = readObject(context, 'insightsOptions', itemIndex);
	const qs: IDataObject = {};
	const from = instantOf(context, options.from, 'From', itemIndex);
	const to = instantOf(context, options.to, 'To', itemIndex);
	const source = typeof options.source === 'string' ? options.source.trim() : '';
	if (from) qs.from = from;
	if (to) qs.to = to;
	if (source) qs.source = source;
	const report = await hubRequest.call(context, { method: 'GET', path, qs, itemIndex });
	return [{ json: report }];
}
