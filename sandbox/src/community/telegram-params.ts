import type { StandInRequest } from '../core/http-stand-in';
import { jsonObjectBody } from '../messaging/support';

/**
 * A refusal in the Bot API's own shape: the HTTP status equals `error_code`, and the
 * description starts with the status phrase (`Bad Request: …`, `Forbidden: …`).
 */
export class TelegramApiError extends Error {
	constructor(
		readonly errorCode: number,
		readonly description: string,
		readonly parameters?: { retry_after?: number },
	) {
		super(description);
		this.name = 'TelegramApiError';
	}
}

export function badRequest(reason: string): TelegramApiError {
	return new TelegramApiError(400, `Bad Request: ${reason}`);
}

export function forbidden(reason: string): TelegramApiError {
	return new TelegramApiError(403, `Forbidden: ${reason}`);
}

export function tooManyRequests(retryAfterSeconds: number): TelegramApiError {
	return new TelegramApiError(429, `Too Many Requests: retry after ${retryAfterSeconds}`, {
		retry_after: retryAfterSeconds,
	});
}

export function conflict(reason: string): TelegramApiError {
	return new TelegramApiError(409, `Conflict: ${reason}`);
}

/**
 * A method's parameters, however they came: the Bot API takes a JSON body, a form body or
 * the query string alike. Form and query values are text, so the readers convert them
 * (objects arrive JSON-encoded there) and refuse what does not fit.
 */
export class TelegramParams {
	private constructor(private readonly values: Record<string, unknown>) {}

	static of(values: Record<string, unknown>): TelegramParams {
		return new TelegramParams(values);
	}

	static from(request: StandInRequest): TelegramParams {
		const values: Record<string, unknown> = Object.fromEntries(request.query.entries());
		const type = String(request.headers['content-type'] ?? '');
		if (type.includes('multipart/form-data')) {
			// Only file uploads need multipart; no method the sandbox serves takes a file.
			throw badRequest(
				'the sandbox Bot API takes JSON, form or query parameters, not file uploads',
			);
		}
		if (type.includes('application/x-www-form-urlencoded')) {
			Object.assign(values, Object.fromEntries(new URLSearchParams(request.rawBody).entries()));
		} else if (request.rawBody.trim() !== '') {
			const body = jsonObjectBody(request);
			if (!body) throw badRequest("can't parse JSON object");
			Object.assign(values, body);
		}
		return new TelegramParams(values);
	}

	has(name: string): boolean {
		return this.values[name] !== undefined && this.values[name] !== null;
	}

	optionalString(name: string): string | undefined {
		const value = this.values[name];
		if (value === undefined || value === null) return undefined;
		if (typeof value === 'string') return value;
		if (typeof value === 'number' || typeof value === 'boolean') return String(value);
		throw badRequest(`field "${name}" must be of type String`);
	}

	string(name: string): string {
		const value = this.optionalString(name);
		if (value === undefined || value === '') throw badRequest(`${name} is empty`);
		return value;
	}

	optionalInteger(name: string): number | undefined {
		const value = this.values[name];
		if (value === undefined || value === null || value === '') return undefined;
		const number = typeof value === 'string' ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
			throw badRequest(`field "${name}" must be of type Integer`);
		}
		return number;
	}

	integer(name: string): number {
		const value = this.optionalInteger(name);
		if (value === undefined) throw badRequest(`${name} is empty`);
		return value;
	}

	optionalBoolean(name: string): boolean | undefined {
		const value = this.values[name];
		if (value === undefined || value === null) return undefined;
		if (value === true || value === 'true' || value === 1 || value === '1') return true;
		if (value === false || value === 'false' || value === 0 || value === '0') return false;
		throw badRequest(`field "${name}" must be of type Boolean`);
	}

	/** An object or array parameter; in form and query bodies it arrives JSON-encoded. */
	optionalJson(name: string): unknown {
		const value = this.values[name];
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'string') return value;
		try {
			return JSON.parse(value) as unknown;
		} catch {
			throw badRequest(`can't parse ${name} JSON object`);
		}
	}

	/** A chat: its numeric id or, for channels and public groups, `@username`. */
	chatId(name = 'chat_id'): number | string {
		const value = this.values[name];
		if (value === undefined || value === null || value === '') throw badRequest(`${name} is empty`);
		if (typeof value === 'string' && value.startsWith('@')) return value;
		const number = typeof value === 'string' ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
			throw badRequest('chat not found');
		}
		return number;
	}
}
