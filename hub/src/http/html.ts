import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Everything that reaches a page from outside goes through here. */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

const STYLE = `body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f0f14;color:#f4f4f6}
main{max-width:30rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem;color:#d6d6de}
button{display:block;width:100%;min-height:3rem;border:0;border-radius:.75rem;background:#ffd23f;color:#111;font:inherit;font-weight:700;cursor:pointer}
button:focus-visible{outline:3px solid #fff;outline-offset:3px}`;

// The page's only style is inline; its hash in the CSP lets it through and nothing else.
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

const SECURITY_HEADERS = {
	'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
	'referrer-policy': 'no-referrer',
	'x-content-type-options': 'nosniff',
	'cache-control': 'no-store',
};

/** A small, script-free, phone-first page. `body` must already be escaped HTML. */
export function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
	return reply
		.code(status)
		.headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' })
		.send(
			`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
		);
}
