import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/** Where a hub refusal keeps the hub's error code and hint on the NodeApiError (its `context`). */
export const HUB_ERROR_CODE = 'hubErrorCode';
export const HUB_ERROR_HINT = 'hubErrorHint';

/** The one credential every Fanloop node talks to the hub through. */
export const FANLOOP_CREDENTIAL = 'fanloopHubApi';

type HubContext = IExecuteFunctions | IHookFunctions;

export interface HubRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, starting with /v1/. */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	itemIndex?: number;
}

export interface HubResponse {
	statusCode: number;
	body: unknown;
}

/** The hub's error envelope: `{ "error": { "code", "message", "details"? } }`. */
interface HubErrorBody {
	code?: string;
	message?: string;
	details?: unknown;
}

const UNREACHABLE_CODES = [
	'ECONNREFUSED',
	'ENOTFOUND',
	'EHOSTUNREACH',
	'ECONNRESET',
	'ETIMEDOUT',
	'EAI_AGAIN',
];

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readHubError(body: unknown): HubErrorBody {
	if (isObject(body) && isObject(body.error)) {
		const { code, message, details } = body.error;
		return {
			code: typeof code === 'string' ? code : undefined,
			message: typeof message === 'string' ? message : undefined,
			details,
		};
	}
	return {};
}

/** Collects every text an HTTP client error may carry the socket error code in. */
function errorTexts(error: unknown, depth = 0): string[] {
	if (!isObject(error) && !(error instanceof Error)) return [];
	const record = error as unknown as Record<string, unknown>;
	const texts: string[] = [];
	for (const key of ['code', 'message', 'description']) {
		if (typeof record[key] === 'string') texts.push(record[key] as string);
	}
	if (Array.isArray(record.messages)) {
		texts.push(...record.messages.filter((m): m is string => typeof m === 'string'));
	}
	if (depth < 3) {
		texts.push(...errorTexts(record.cause, depth + 1), ...errorTexts(record.error, depth + 1));
	}
	return texts;
}

function isUnreachable(error: unknown): boolean {
	const texts = errorTexts(error).join(' ').toUpperCase();
	return UNREACHABLE_CODES.some((code) => texts.includes(code)) || texts.includes('OFFLINE');
}

/** The credential's Base URL as the hub's address: a trailing slash or /v1 is dropped, since the API paths start with /v1. */
export function hubBaseUrl(value: unknown): string {
	const baseUrl = typeof value === 'string' ? value.trim() : '';
	return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

async function readBaseUrl(context: HubContext): Promise<string> {
	const credentials = await context.getCredentials(FANLOOP_CREDENTIAL);
	return hubBaseUrl(credentials.baseUrl);
}

/**
 * Sends one request to the hub and returns its status and body without judging the status,
 * for callers to whom a 404 is an answer (the trigger's checkExists and delete).
 * Only a hub that cannot be reached throws.
 */
export async function hubRequestRaw(this: HubContext, request: HubRequest): Promise<HubResponse> {
	const baseUrl = await readBaseUrl(this);
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${baseUrl}${request.path}`,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	if (request.body !== undefined) options.body = request.body;
	if (request.qs !== undefined) options.qs = request.qs;
	try {
		const response = (await this.helpers.httpRequestWithAuthentication.call(
			this,
			FANLOOP_CREDENTIAL,
			options,
		)) as { statusCode?: number; body?: unknown };
		return { statusCode: response.statusCode ?? 0, body: response.body };
	} catch (error) {
		// A fresh error object on purpose: NodeApiError hands back an existing NodeApiError
		// unchanged, and the client's own message may carry request details.
		if (isUnreachable(error)) {
			throw new NodeApiError(this.getNode(), { message: 'hub unreachable' } as JsonObject, {
				message: `The Fanloop hub at ${baseUrl} is unreachable`,
				description:
					'Check that the hub is running and that the Base URL in the Fanloop Hub credential is right.',
				itemIndex: request.itemIndex,
			});
		}
		throw new NodeApiError(this.getNode(), { message: 'hub request failed' } as JsonObject, {
			message: `The request to the Fanloop hub at ${baseUrl} failed`,
			description: error instanceof Error ? error.message : undefined,
			itemIndex: request.itemIndex,
		});
	}
}

/** Turns a non-2xx hub answer into an error the marketer can act on. */
export function hubError(
	context: HubContext,
	response: HubResponse,
	itemIndex?: number,
): NodeApiError {
	const hubErrorBody = readHubError(response.body);
	const httpCode = String(response.statusCode);
	const errorResponse = {
		httpCode,
		error: { code: hubErrorBody.code ?? null, message: hubErrorBody.message ?? null },
	} as JsonObject;
	const error =
		response.statusCode === 401
			? new NodeApiError(context.getNode(), errorResponse, {
					message: 'The Fanloop hub rejected the API key',
					description: 'Check the API key in the Fanloop Hub credential.',
					httpCode,
					itemIndex,
				})
			: new NodeApiError(context.getNode(), errorResponse, {
					message: hubErrorBody.message ?? `The Fanloop hub answered HTTP ${httpCode}`,
					description: describe(hubErrorBody),
					httpCode,
					itemIndex,
				});
	if (hubErrorBody.code) error.context[HUB_ERROR_CODE] = hubErrorBody.code;
	// The item carries the code on its own; its hint is what the marketer can act on.
	error.context[HUB_ERROR_HINT] =
		response.statusCode === 401
			? error.description
			: hubErrorBody.details === undefined
				? undefined
				: `Details: ${JSON.stringify(hubErrorBody.details)}`;
	return error;
}

/** What the canvas shows under the message: the hub's code, then its details. */
function describe(hubErrorBody: HubErrorBody): string | undefined {
	const parts: string[] = [];
	if (hubErrorBody.code) parts.push(`Hub error code: ${hubErrorBody.code}`);
	if (hubErrorBody.details !== undefined)
		parts.push(`Details: ${JSON.stringify(hubErrorBody.details)}`);
	return parts.length > 0 ? parts.join('. ') : undefined;
}

/** Sends one request to the hub; any non-2xx answer becomes a NodeApiError with the hub's message. */
export async function hubRequest(this: HubContext, request: HubRequest): Promise<IDataObject> {
	const response = await hubRequestRaw.call(this, request);
	if (response.statusCode < 200 || response.statusCode >= 300) {
		throw hubError(this, response, request.itemIndex);
	}
	return (isObject(response.body) ? response.body : { data: response.body }) as IDataObject;
}
