import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** The layers page is offered right after the pre-save; a fan who comes back later starts from the campaign page. */
export const LAYER_SESSION_LIFETIME_MS = 60 * 60_000;

const SIGNATURE_BYTES = 16;
const ACTION_ID = /^act_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The layers page's session reference: the pre-save action it follows and an expiry,
 * signed. It names an action, never a token, so it is safe in a URL: whoever holds it
 * can only offer the fan's next layers to the fan.
 */
export class LayerSessions {
	private readonly key: Buffer;

	constructor(
		sealingKey: Buffer,
		private readonly clock: () => number,
	) {
		this.key = Buffer.from(
			hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'fanloop layer session', 32),
		);
	}

	issue(presaveActionId: string): string {
		const body = `${presaveActionId}.${(this.clock() + LAYER_SESSION_LIFETIME_MS).toString(36)}`;
		return `${body}.${this.sign(body)}`;
	}

	/** The pre-save action id, or undefined for anything forged, malformed or expired. */
	read(session: string): string | undefined {
		const [actionId, expiresAt, signature, extra] = session.split('.');
		if (!actionId || !expiresAt || !signature || extra !== undefined || !ACTION_ID.test(actionId))
			return undefined;
		const expected = Buffer.from(this.sign(`${actionId}.${expiresAt}`));
		const given = Buffer.from(signature);
		if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
		return parseInt(expiresAt, 36) > this.clock() ? actionId : undefined;
	}

	private sign(body: string): string {
		return createHmac('sha256', this.key)
			.update(body)
			.digest()
			.subarray(0, SIGNATURE_BYTES)
			.toString('base64url');
	}
}
