import type { StandInResponse } from '../core/http-stand-in';

/** A refusal in Discord's JSON error shape: `{ message, code }`, plus `errors` for form validation. */
export class DiscordApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: number,
		message: string,
		readonly errors?: Record<string, unknown>,
	) {
		super(message);
		this.name = 'DiscordApiError';
	}

	toResponse(): StandInResponse {
		return {
			status: this.status,
			body: {
				message: this.message,
				code: this.code,
				...(this.errors ? { errors: this.errors } : {}),
			},
		};
	}
}

/** Discord's "Unknown …" errors, by what was not found. */
const UNKNOWN_CODES = {
	Channel: 10003,
	Guild: 10004,
	Invite: 10006,
	Member: 10007,
	Message: 10008,
	Role: 10011,
	Webhook: 10015,
	User: 10013,
	interaction: 10062,
	'application command': 10063,
} as const;

export function unknown(what: keyof typeof UNKNOWN_CODES): DiscordApiError {
	return new DiscordApiError(404, UNKNOWN_CODES[what], `Unknown ${what}`);
}

export const unauthorized = (): DiscordApiError => new DiscordApiError(401, 0, '401: Unauthorized');
export const missingAccess = (): DiscordApiError =>
	new DiscordApiError(403, 50001, 'Missing Access');
export const missingPermissions = (): DiscordApiError =>
	new DiscordApiError(403, 50013, 'Missing Permissions');
export const cannotMessageUser = (): DiscordApiError =>
	new DiscordApiError(403, 50007, 'Cannot send messages to this user');
export const emptyMessage = (): DiscordApiError =>
	new DiscordApiError(400, 50006, 'Cannot send an empty message');
export const alreadyAcknowledged = (): DiscordApiError =>
	new DiscordApiError(400, 40060, 'Interaction has already been acknowledged.');
export const notFound = (): DiscordApiError => new DiscordApiError(404, 0, '404: Not Found');
export const methodNotAllowed = (): DiscordApiError =>
	new DiscordApiError(405, 0, '405: Method Not Allowed');

/** 50035 with Discord's nested `errors` object naming the field at fault. */
export function invalidFormBody(field: string, code: string, message: string): DiscordApiError {
	const errors: Record<string, unknown> = {};
	let cursor = errors;
	const path = field.split('.');
	path.forEach((segment, index) => {
		const next: Record<string, unknown> =
			index === path.length - 1 ? { _errors: [{ code, message }] } : {};
		cursor[segment] = next;
		cursor = next;
	});
	return new DiscordApiError(400, 50035, 'Invalid Form Body', errors);
}
