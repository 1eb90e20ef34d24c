import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../../core/ledger';

const COOKIE = 'fanloop_dashboard';
const CONTEXT = 'dashboard-session';
const SESSION_MS = 12 * 60 * 60 * 1000;

interface SessionClaims {
	keyId: string;
	expiresAtMs: number;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
	for (const part of (request.headers.cookie ?? '').split(';')) {
		const [key, ...value] = part.trim().split('=');
		if (key === name) return decodeURIComponent(value.join('='));
	}
	return undefined;
}

/**
 * A marketer signs in to the dashboard with a hub API key once; the browser then holds
 * a sealed session cookie naming that key, never the key itself. HttpOnly keeps it from
 * scripts, SameSite=Strict from other sites' forms; revoking the key ends the session.
 */
export class DashboardSessions {
	constructor(
		private readonly ledger: Ledger,
		private readonly clock: () => number,
		/** Secure cookies only over https: a hub on http://127.0.0.1 is reached without TLS. */
		private readonly secure: boolean,
	) {}

	/** Exchanges an API key for a session cookie; throws the ledger's unauthorized error for a wrong key. */
	async signIn(reply: FastifyReply, apiKey: string): Promise<void> {
		const key = await this.ledger.apiKeys.verify(apiKey.trim());
		const claims: SessionClaims = { keyId: key.id, expiresAtMs: this.clock() + SESSION_MS };
		const sealed = this.ledger.sealer.seal(JSON.stringify(claims), CONTEXT);
		reply.header('set-cookie', this.cookie(encodeURIComponent(sealed), SESSION_MS / 1000));
	}

	signOut(reply: FastifyReply): void {
		reply.header('set-cookie', this.cookie('', 0));
	}

	/** Whether the request carries a live session whose API key is still valid. */
	async isSignedIn(request: FastifyRequest): Promise<boolean> {
		const sealed = cookieOf(request, COOKIE);
		if (!sealed) return false;
		let claims: SessionClaims;
		try {
			claims = JSON.parse(this.ledger.sealer.unseal(sealed, CONTEXT)) as SessionClaims;
		} catch {
			return false;
		}
		if (!(claims.expiresAtMs > this.clock())) return false;
		const key = await this.ledger.store.get(
			'SELECT 1 AS live FROM api_keys WHERE id = $1 AND revoked_at IS NULL',
			[claims.keyId],
		);
		return key !== undefined;
	}

	private cookie(value: string, maxAgeSeconds: number): string {
		return [
			`${COOKIE}=${value}`,
			'Path=/dashboard',
			`Max-Age=${maxAgeSeconds}`,
			'HttpOnly',
			'SameSite=Strict',
			...(this.secure ? ['Secure'] : []),
		].join('; ');
	}
}
