import { createHash, randomBytes } from 'node:crypto';
import type { StandInRequest, StandInResponse } from '../core/http-stand-in';

/** Opaque, unguessable token text; the prefix only helps a human reading a request log. */
export function randomToken(prefix: string, bytes = 24): string {
	return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** Form fields of an `application/x-www-form-urlencoded` body (what OAuth token endpoints take). */
export function formBody(request: StandInRequest): URLSearchParams {
	return new URLSearchParams(request.rawBody);
}

export function bearerToken(request: StandInRequest): string | undefined {
	const header = request.headers.authorization;
	if (typeof header !== 'string') return undefined;
	const match = /^Bearer\s+(.+)$/i.exec(header.trim());
	return match ? match[1].trim() : undefined;
}

/** Client credentials from an HTTP Basic header, as RFC 6749 §2.3.1 lets a client send them. */
export function basicCredentials(
	request: StandInRequest,
): { clientId: string; clientSecret: string } | undefined {
	const header = request.headers.authorization;
	if (typeof header !== 'string') return undefined;
	const match = /^Basic\s+(.+)$/i.exec(header.trim());
	if (!match) return undefined;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

/** RFC 7636 S256: BASE64URL(SHA256(code_verifier)) must equal the code_challenge sent to /authorize. */
export function pkceS256(codeVerifier: string): string {
	return createHash('sha256').update(codeVerifier).digest('base64url');
}

export function redirectTo(
	base: string,
	params: Record<string, string | undefined>,
): StandInResponse {
	const target = new URL(base);
	for (const [name, value] of Object.entries(params)) {
		if (value !== undefined) target.searchParams.set(name, value);
	}
	return { status: 302, headers: { location: target.toString() } };
}

export function textResponse(status: number, text: string): StandInResponse {
	return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

function escapeHtml(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

export interface ConsentPage {
	provider: string;
	appName: string;
	/** Where the form posts back to (the stand-in's own path). */
	action: string;
	/** Carried through the POST unchanged so the stand-in can re-check them. */
	hiddenFields: Record<string, string>;
	permissions: string[];
	suggestedUserId: string;
}

/**
 * A deliberately plain consent page: a sandbox user id field and two buttons with stable ids
 * (`#user-id`, `#agree`, `#cancel`) so a headless browser can drive the whole redirect flow.
 */
export function consentPage(page: ConsentPage): StandInResponse {
	const hidden = Object.entries(page.hiddenFields)
		.map(
			([name, value]) =>
				`<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
		)
		.join('\n\t\t');
	const permissions = page.permissions
		.map((permission) => `<li>${escapeHtml(permission)}</li>`)
		.join('');
	const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(page.provider)} (sandbox) — authorize ${escapeHtml(page.appName)}</title></head>
<body>
	<h1>${escapeHtml(page.provider)} sandbox</h1>
	<p><strong>${escapeHtml(page.appName)}</strong> would like to:</p>
	<ul id="permissions">${permissions}</ul>
	<form method="post" action="${escapeHtml(page.action)}">
		${hidden}
		<label for="user-id">Sandbox user id</label>
		<input id="user-id" name="user_id" value="${escapeHtml(page.suggestedUserId)}" required pattern="[A-Za-z0-9._-]{1,64}">
		<button id="agree" type="submit" name="decision" value="agree">Agree</button>
		<button id="cancel" type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
	</form>
</body>
</html>`;
	return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

export const SANDBOX_USER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Splits a comma-separated query value, dropping empty entries. */
export function commaList(value: string | null): string[] {
	if (!value) return [];
	return value
		.split(',')
		.map((item) => item.trim())
		.filter((item) => item.length > 0);
}

export const DAY_MS = 24 * 60 * 60 * 1000;
/** "Six months" as the providers count it for token lifetimes: 15,777,000 s is Apple's documented cap. */
export const SIX_MONTHS_MS = 15_777_000 * 1000;

/** The named query parameters that are present, carried through the consent form unchanged. */
export function presentParams(params: URLSearchParams, names: string[]): Record<string, string> {
	const present: Record<string, string> = {};
	for (const name of names) {
		const value = params.get(name);
		if (value !== null) present[name] = value;
	}
	return present;
}
