import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * What a signed fan reference names: the action a fan came from (a pre-save on the
 * layers page, so the next layer gets it as parent) or just the fan.
 */
export type FanReferenceTarget =
	{ kind: 'action'; actionId: string } | { kind: 'fan'; fanId: string };

const PREFIX = { action: 'act', fan: 'fan' } as const;
const MARK = { action: 'a', fan: 'f' } as const;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SIGNATURE_BYTES = 12;

/**
 * Short signed references that travel in links a fan carries to another channel:
 * Telegram's `/start` payload (at most 64 of A-Za-z0-9_-), a Discord invite's
 * attribution. 43 characters: one kind letter, the id's 26 ULID characters, a 96-bit
 * HMAC. They do not expire: a fan may open the bot weeks after pre-saving, and the
 * reference grants nothing but "this chat belongs to that fan".
 */
export class FanReferences {
	private readonly key: Buffer;

	constructor(sealingKey: Buffer) {
		this.key = Buffer.from(
			hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'fanloop fan references', 32),
		);
	}

	issue(target: FanReferenceTarget): string {
		const id = target.kind === 'action' ? target.actionId : target.fanId;
		const ulid = id.slice(PREFIX[target.kind].length + 1);
		if (id !== `${PREFIX[target.kind]}_${ulid}` || !ULID.test(ulid)) {
			throw new Error(`not a ${target.kind} id: ${id}`);
		}
		const body = MARK[target.kind] + ulid;
		return body + this.sign(body);
	}

	/** The target, or `undefined` for anything forged, truncated or malformed. */
	read(reference: string): FanReferenceTarget | undefined {
		const body = reference.slice(0, 27);
		const signature = reference.slice(27);
		const expected = this.sign(body);
		if (
			signature.length !== expected.length ||
			!timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
		) {
			return undefined;
		}
		const ulid = body.slice(1);
		if (!ULID.test(ulid)) return undefined;
		if (body[0] === MARK.action) return { kind: 'action', actionId: `${PREFIX.action}_${ulid}` };
		if (body[0] === MARK.fan) return { kind: 'fan', fanId: `${PREFIX.fan}_${ulid}` };
		return undefined;
	}

	private sign(body: string): string {
		return createHmac('sha256', this.key)
			.update(body)
			.digest()
			.subarray(0, SIGNATURE_BYTES)
			.toString('base64url');
	}
}
