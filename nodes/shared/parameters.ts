import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { jsonParse, NodeOperationError } from 'n8n-workflow';

/** Typed parameter readers, so operations never cast what getNodeParameter returns. */

export function readString(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback = '',
): string {
	const value = context.getNodeParameter(name, itemIndex, fallback);
	if (value === undefined || value === null) return fallback;
	return String(value).trim();
}

export function readRequiredString(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	label: string,
): string {
	const value = readString(context, name, itemIndex);
	if (!value) {
		throw new NodeOperationError(context.getNode(), `${label} is empty`, {
			itemIndex,
			description: `Fill in "${label}", or map it from an earlier node.`,
		});
	}
	return value;
}

export function readNumber(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback: number,
): number {
	const value = Number(context.getNodeParameter(name, itemIndex, fallback));
	return Number.isFinite(value) ? value : fallback;
}

export function readBoolean(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback = false,
): boolean {
	return context.getNodeParameter(name, itemIndex, fallback) === true;
}

export function readObject(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): IDataObject {
	const value = context.getNodeParameter(name, itemIndex, {});
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as IDataObject)
		: {};
}

export function readStrings(context: IExecuteFunctions, name: string, itemIndex: number): string[] {
	const value = context.getNodeParameter(name, itemIndex, []);
	return Array.isArray(value) ? value.map((entry) => String(entry)) : [];
}

/** A JSON parameter arrives as a string typed in the editor or as an object from an expression. */
export function readJsonObject(
	context: IExecuteFunctions,
	value: unknown,
	itemIndex: number,
	label: string,
): IDataObject | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value === 'object' && !Array.isArray(value)) return value as IDataObject;
	if (typeof value === 'string') {
		try {
			const parsed = jsonParse<unknown>(value);
			if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
				return parsed as IDataObject;
			}
		} catch (error) {
			throw new NodeOperationError(context.getNode(), `${label} is not valid JSON`, {
				itemIndex,
				description: error instanceof Error ? error.message : undefined,
			});
		}
	}
	throw new NodeOperationError(context.getNode(), `${label} must be a JSON object`, { itemIndex });
}

/** Copies the non-empty entries of an "additional fields" collection. */
export function compact(fields: IDataObject): IDataObject {
	const result: IDataObject = {};
	for (const [key, value] of Object.entries(fields)) {
		if (value === undefined || value === null) continue;
		if (typeof value === 'string' && value.trim() === '') continue;
		result[key] = typeof value === 'string' ? value.trim() : value;
	}
	return result;
}
