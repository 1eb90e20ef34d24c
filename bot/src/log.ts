import type { LogFields, Logger } from '../../hub/src/core/logger';
import { redact } from '../../hub/src/log';

function scrub(value: unknown, secrets: readonly string[]): unknown {
	if (typeof value === 'string')
		return secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), value);
	if (Array.isArray(value)) return value.map((item) => scrub(item, secrets));
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, item]) => [key, scrub(item, secrets)]),
		);
	}
	return value;
}

/**
 * A logger that never writes the bots' tokens, whatever logger it wraps: each secret is
 * cut out wherever it appears (grammY's network errors carry the token in the request
 * URL), and token-shaped text and secret-named fields are redacted as the hub's own
 * logger does.
 */
export function withoutSecrets(logger: Logger, secrets: readonly string[]): Logger {
	const present = secrets.filter((secret) => secret.length > 0);
	const clean = (message: string, fields: LogFields = {}) =>
		[
			scrub(redact(message), present) as string,
			scrub(redact(fields), present) as LogFields,
		] as const;
	return {
		info: (message, fields) => logger.info(...clean(message, fields)),
		warn: (message, fields) => logger.warn(...clean(message, fields)),
		error: (message, fields) => logger.error(...clean(message, fields)),
	};
}

/** An error's message with its causes, as one line for a log (grammY hides the network error in `error`). */
export function describeError(error: unknown): string {
	const parts: string[] = [];
	let current: unknown = error;
	for (let depth = 0; current && depth < 4; depth++) {
		if (current instanceof Error) {
			parts.push(`${current.name}: ${current.message}`);
			current = (current as Error & { error?: unknown }).error ?? current.cause;
		} else {
			parts.push(String(current));
			break;
		}
	}
	return parts.join(' <- ');
}
