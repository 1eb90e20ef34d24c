/**
 * The one error type the hub's core throws. `code` is stable for programs (and the
 * n8n nodes), `message` is written for the marketer reading it on the canvas.
 */
export type HubErrorCode =
	| 'validation_failed'
	| 'unknown_channel'
	| 'invalid_identity'
	| 'identity_conflict'
	| 'identity_suppressed'
	| 'fan_not_found'
	| 'fan_erased'
	| 'identity_missing'
	| 'missing_scope'
	| 'campaign_not_found'
	| 'artist_not_found'
	| 'artist_name_taken'
	| 'action_not_found'
	| 'webhook_not_found'
	| 'unauthorized'
	| 'not_found'
	| 'invalid_json'
	| 'invalid_token'
	| 'bad_request'
	| 'configuration_invalid'
	| 'sealing_key_mismatch'
	| 'database_unreachable'
	| 'provider_not_configured'
	| 'internal_error';

const HTTP_STATUS: Record<HubErrorCode, number> = {
	validation_failed: 400,
	unknown_channel: 400,
	invalid_identity: 400,
	invalid_json: 400,
	invalid_token: 400,
	bad_request: 400,
	identity_conflict: 409,
	identity_suppressed: 409,
	fan_erased: 409,
	identity_missing: 409,
	/** The fan's consent on the platform does not cover the call: a new consent could, a retry cannot. */
	missing_scope: 409,
	unauthorized: 401,
	fan_not_found: 404,
	campaign_not_found: 404,
	artist_not_found: 404,
	artist_name_taken: 409,
	action_not_found: 404,
	webhook_not_found: 404,
	not_found: 404,
	configuration_invalid: 500,
	sealing_key_mismatch: 500,
	database_unreachable: 503,
	provider_not_configured: 503,
	internal_error: 500,
};

export class HubError extends Error {
	readonly httpStatus: number;

	constructor(
		readonly code: HubErrorCode,
		message: string,
		readonly details?: unknown,
	) {
		super(message);
		this.name = 'HubError';
		this.httpStatus = HTTP_STATUS[code];
	}
}
