import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Everything that reaches a page from outside goes through here. */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** A page's only style, inline; its hash in the CSP lets it through and nothing else. */
export class InlineStyle {
	readonly hash: string;

	constructor(readonly css: string) {
		this.hash = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
	}
}

const BASE_STYLE =
	new InlineStyle(`body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f0f14;color:#f4f4f6}
main{max-width:30rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem;color:#d6d6de}
button{display:block;width:100%;min-height:3rem;border:0;border-radius:.75rem;background:#ffd23f;color:#111;font:inherit;font-weight:700;cursor:pointer}
button:focus-visible{outline:3px solid #fff;outline-offset:3px}`);

export interface PageOptions {
	/** The page's language (`<html lang>`); default English. */
	lang?: string;
	style?: InlineStyle;
	/** Script sources beyond none: 'self' or an origin (no inline script). */
	scriptSrc?: string[];
	/** Image sources beyond none, e.g. 'https:' for a campaign's artwork. */
	imgSrc?: string[];
	/** Where forms may go (and be redirected to): 'self' plus, say, a platform's consent screen. */
	formAction?: string[];
	/** Extra elements for `<head>`, already escaped (a script tag). */
	head?: string;
}

function securityHeaders(options: PageOptions): Record<string, string> {
	const directives = [
		"default-src 'none'",
		`style-src ${(options.style ?? BASE_STYLE).hash}`,
		options.scriptSrc?.length ? `script-src ${options.scriptSrc.join(' ')}` : undefined,
		options.imgSrc?.length ? `img-src ${options.imgSrc.join(' ')}` : undefined,
		`form-action ${["'self'", ...(options.formAction ?? [])].join(' ')}`,
		"base-uri 'none'",
		"frame-ancestors 'none'",
	];
	return {
		'content-security-policy': directives.filter(Boolean).join('; '),
		// Nothing a page links to learns its URL, which can carry a session reference.
		'referrer-policy': 'no-referrer',
		'x-content-type-options': 'nosniff',
		'cache-control': 'no-store',
	};
}

/** A small, phone-first page with strict security headers. `body` must already be escaped HTML. */
export function sendPage(
	reply: FastifyReply,
	status: number,
	title: string,
	body: string,
	options: PageOptions = {},
): FastifyReply {
	const style = options.style ?? BASE_STYLE;
	return reply
		.code(status)
		.headers({ ...securityHeaders(options), 'content-type': 'text/html; charset=utf-8' })
		.send(
			`<!doctype html><html lang="${escapeHtml(options.lang ?? 'en')}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${style.css}</style>${options.head ?? ''}</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
		);
}
