import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { escapeHtml, sendPage } from './html';

/** Paths a fan opens in a browser: they get a page, never a JSON body. */
const FAN_PAGE_PREFIXES = ['/c/', '/l/', '/oauth/', '/optin/', '/unsubscribe'];

export function isFanPage(url: string): boolean {
	const path = url.split('?')[0];
	return FAN_PAGE_PREFIXES.some((prefix) => path.startsWith(prefix));
}

const FAN_PAGE_TITLES: Record<number, string> = {
	404: 'Page not found',
	500: 'Something went wrong',
};

/**
 * The hub's one error shape: `{error:{code,message}}` for programs, a small page for fans.
 * A fan page never shows the technical sentence: it may name internals a fan cannot act on.
 */
export function sendError(
	reply: FastifyReply,
	url: string,
	status: number,
	error: { code: string; message: string; details?: unknown },
): FastifyReply {
	if (isFanPage(url)) {
		const title =
			FAN_PAGE_TITLES[status] ?? (status >= 500 ? FAN_PAGE_TITLES[500] : 'This link does not work');
		const text =
			status >= 500
				? 'Please try again in a moment.'
				: 'It may have been copied incompletely. Please open the link you were given again.';
		return sendPage(reply, status, title, `<p>${escapeHtml(text)}</p>`);
	}
	return reply.code(status).send({ error });
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; message: string }> = {
	ERR_HTTP_REQUEST_TIMEOUT: {
		status: 408,
		reason: 'Request Timeout',
		message: 'The request took too long to arrive.',
	},
	HPE_HEADER_OVERFLOW: {
		status: 431,
		reason: 'Request Header Fields Too Large',
		message: 'The request headers are larger than the hub accepts.',
	},
};

/**
 * Requests Node cannot even parse as HTTP never reach a route, so no page can be chosen
 * by path: they get the API's error body, written straight to the socket.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
	if (error.code === 'ECONNRESET' || socket.destroyed) return;
	const known = (error.code && CLIENT_ERRORS[error.code]) || {
		status: 400,
		reason: 'Bad Request',
		message: 'The request is not valid HTTP.',
	};
	const body = JSON.stringify({ error: { code: 'bad_request', message: known.message } });
	if (socket.writable) {
		socket.write(
			`HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
		);
	}
	socket.destroy(error);
}
