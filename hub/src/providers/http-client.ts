import { createHash } from 'node:crypto';
import axios, { type AxiosResponse } from 'axios';

/**
 * The one way the hub's provider adapters reach a provider: a timeout, no redirects, the
 * answer as text whatever its status (each adapter reads its provider's own refusals),
 * Retry-After read once, and every secret redacted from errors and from the request log.
 * grammY and discord.js keep their own transports; everything else goes through here.
 */

const TIMEOUT_MS = 15_000;
/** How long to wait when a provider says "slow down" without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Headers, query parameters and form or JSON fields whose values are credentials. */
const SECRET_HEADERS = new Set([
	'authorization',
	'api-key',
	'music-user-token',
	'x-api-key',
	'cookie',
]);
const SECRET_FIELDS = new Set([
	'access_token',
	'refresh_token',
	'id_token',
	'client_secret',
	'secret',
	'code',
	'code_verifier',
	'password',
]);
/** Telegram puts the bot token in the path: `/bot<id>:<secret>/<method>`. */
const BOT_TOKEN_IN_PATH = /\/bot\d+:[A-Za-z0-9_-]+/g;

export type ProviderBody = { json: unknown } | { form: Record<string, string> };

export interface ProviderRequest {
	/** Who is called, for messages and the request log: "spotify", "telegram", "twilio"… */
	provider: string;
	method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	/** Without the query; `query` is appended. */
	url: string;
	query?: Record<string, string>;
	headers?: Record<string, string>;
	body?: ProviderBody;
}

export interface ProviderResponse {
	status: number;
	ok: boolean;
	text: string;
	/** The body as JSON, or the text itself when it is not JSON (some refusals are plain text). */
	body: unknown;
	header(name: string): string | undefined;
	/** Retry-After (seconds or an HTTP date) in milliseconds; DEFAULT_RETRY_AFTER_MS when absent. */
	retryAfterMs: number;
}

/** No answer at all: refused connection, reset, timeout. Worth trying again later. */
export class ProviderUnreachable extends Error {
	constructor(
		readonly provider: string,
		message: string,
	) {
		super(message);
		this.name = 'ProviderUnreachable';
	}
}

/** One call as the request log keeps it: secrets replaced by `<redacted:fingerprint>`. */
export interface LoggedProviderCall {
	provider: string;
	method: string;
	/** Origin and path, the path's secrets redacted. */
	url: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	bodyEncoding: 'json' | 'form' | 'none';
	body: unknown;
	/** Absent when the provider never answered. */
	response?: { status: number; body: unknown };
}

type CallListener = (call: LoggedProviderCall) => void;
const listeners = new Set<CallListener>();

/** Hears every provider call (redacted), e.g. the contract tests; returns the way to stop listening. */
export function onProviderCall(listener: CallListener): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

export async function sendProviderRequest(request: ProviderRequest): Promise<ProviderResponse> {
	const query = new URLSearchParams(request.query ?? {}).toString();
	const url = `${request.url}${query ? `${request.url.includes('?') ? '&' : '?'}${query}` : ''}`;
	const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
	let data: string | undefined;
	if (request.body && 'json' in request.body) {
		headers['content-type'] = 'application/json';
		data = JSON.stringify(request.body.json);
	} else if (request.body && 'form' in request.body) {
		headers['content-type'] = 'application/x-www-form-urlencoded';
		data = new URLSearchParams(request.body.form).toString();
	}
	// Built only while someone listens: the log costs nothing in production.
	const logged = listeners.size > 0 ? loggedCall(request, url, headers) : undefined;
	let answer: AxiosResponse<string>;
	try {
		answer = await axios.request<string>({
			method: request.method,
			url,
			headers,
			data,
			timeout: TIMEOUT_MS,
			signal: AbortSignal.timeout(TIMEOUT_MS),
			responseType: 'text',
			// The raw text: adapters parse their provider's bodies (and plain-text refusals) themselves.
			transformResponse: [(text: string) => text],
			validateStatus: () => true,
			maxRedirects: 0,
			// Like fetch: no proxy from the environment, loopback stand-ins stay loopback.
			proxy: false,
		});
	} catch (error) {
		if (logged) publish(logged);
		throw new ProviderUnreachable(
			request.provider,
			redact(`${request.provider} did not answer: ${errorText(error)}`, secretsOf(request, url)),
		);
	}
	const text = typeof answer.data === 'string' ? answer.data : '';
	const body = parseBody(text);
	if (logged) publish({ ...logged, response: { status: answer.status, body: redactFields(body) } });
	const header = (name: string): string | undefined => {
		const value = answer.headers[name.toLowerCase()] as unknown;
		return value === undefined || value === null ? undefined : String(value);
	};
	return {
		status: answer.status,
		ok: answer.status >= 200 && answer.status < 300,
		text,
		body,
		header,
		retryAfterMs: retryAfterMsOf(header('retry-after')),
	};
}

/** A wait the provider gave in seconds (Telegram's and Discord's bodies), or the default. */
export function retryAfterMsFromSeconds(seconds: unknown): number {
	const value = Number(seconds);
	return Number.isFinite(value) && value > 0 ? Math.ceil(value * 1000) : DEFAULT_RETRY_AFTER_MS;
}

function retryAfterMsOf(value: string | undefined): number {
	if (value === undefined || value.trim() === '') return DEFAULT_RETRY_AFTER_MS;
	if (/^\d+(\.\d+)?$/.test(value.trim())) return retryAfterMsFromSeconds(value);
	const atMs = Date.parse(value);
	return Number.isFinite(atMs) && atMs > Date.now() ? atMs - Date.now() : DEFAULT_RETRY_AFTER_MS;
}

function parseBody(text: string): unknown {
	if (text === '') return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

function errorText(error: unknown): string {
	if (axios.isAxiosError(error))
		return error.code ? `${error.code} (${error.message})` : error.message;
	return error instanceof Error ? error.message : String(error);
}

function publish(call: LoggedProviderCall): void {
	for (const listener of listeners) listener(call);
}

/** Every secret value the request carries, to scrub from messages whatever shape they take. */
function secretsOf(request: ProviderRequest, url: string): string[] {
	const secrets: string[] = [];
	for (const [name, value] of Object.entries(request.headers ?? {}))
		if (SECRET_HEADERS.has(name.toLowerCase())) secrets.push(value, value.replace(/^\S+\s+/, ''));
	for (const [name, value] of new URL(url).searchParams)
		if (SECRET_FIELDS.has(name)) secrets.push(value);
	if (request.body && 'form' in request.body)
		for (const [name, value] of Object.entries(request.body.form))
			if (SECRET_FIELDS.has(name)) secrets.push(value);
	for (const match of url.matchAll(BOT_TOKEN_IN_PATH)) secrets.push(match[0].slice('/bot'.length));
	return secrets.filter((secret) => secret.length >= 4);
}

function redact(text: string, secrets: string[]): string {
	let out = text.replace(BOT_TOKEN_IN_PATH, '/bot<redacted>');
	for (const secret of secrets) out = out.split(secret).join('<redacted>');
	return out;
}

/** A short, one-way name for a secret, so a log reader can tell two tokens apart without holding either. */
export function secretFingerprint(secret: string): string {
	return `<redacted:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}>`;
}

function loggedCall(
	request: ProviderRequest,
	url: string,
	headers: Record<string, string>,
): LoggedProviderCall {
	const parsed = new URL(url);
	const path = parsed.pathname.replace(BOT_TOKEN_IN_PATH, '/bot<redacted>');
	const query: Record<string, string> = {};
	for (const [name, value] of parsed.searchParams)
		query[name] = SECRET_FIELDS.has(name) ? secretFingerprint(value) : value;
	const loggedHeaders: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		const lower = name.toLowerCase();
		if (!SECRET_HEADERS.has(lower)) loggedHeaders[lower] = value;
		else {
			// Keep the scheme ("Bearer", "Basic", "Bot"): the contract tests check how a call authenticates.
			const scheme = /^(\S+)\s+(.+)$/.exec(value);
			loggedHeaders[lower] = scheme
				? `${scheme[1]} ${secretFingerprint(scheme[2])}`
				: secretFingerprint(value);
		}
	}
	let bodyEncoding: LoggedProviderCall['bodyEncoding'] = 'none';
	let body: unknown;
	if (request.body && 'json' in request.body) {
		bodyEncoding = 'json';
		body = redactFields(request.body.json);
	} else if (request.body && 'form' in request.body) {
		bodyEncoding = 'form';
		body = redactFields(request.body.form);
	}
	return {
		provider: request.provider,
		method: request.method,
		url: `${parsed.origin}${path}`,
		path,
		query,
		headers: loggedHeaders,
		bodyEncoding,
		body,
	};
}

/** A copy of a JSON value with every credential-named field replaced by its fingerprint. */
function redactFields(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(redactFields);
	if (typeof value !== 'object' || value === null) return value;
	return Object.fromEntries(
		Object.entries(value).map(([name, field]) => [
			name,
			SECRET_FIELDS.has(name) && typeof field === 'string'
				? secretFingerprint(field)
				: redactFields(field),
		]),
	);
}
