import type { LogFields, Logger } from './core/logger';

const SECRET_FIELD = /key|token|secret|password|authorization|cookie/i;
// Telegram puts the bot token in the URL path; API keys and bearer tokens can end up in messages.
const SECRET_TEXT = [
	/bot\d+:[A-Za-z0-9_-]+/g,
	/flk_[A-Za-z0-9_-]+/g,
	/Bearer\s+[A-Za-z0-9._~+/=-]+/g,
];

export function redact(value: unknown, field = ''): unknown {
	if (SECRET_FIELD.test(field)) return '[redacted]';
	if (typeof value === 'string')
		return SECRET_TEXT.reduce((text, pattern) => text.replace(pattern, '[redacted]'), value);
	if (Array.isArray(value)) return value.map((item) => redact(item));
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item, key)]));
	}
	return value;
}

/** JSON lines on stderr, secrets redacted by field name and by shape. */
export function jsonLogger(
	write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
	const log =
		(level: string) =>
		(message: string, fields: LogFields = {}) =>
			write(
				`${JSON.stringify({ time: new Date().toISOString(), level, message: redact(message), ...(redact(fields) as LogFields) })}\n`,
			);
	return { info: log('info'), warn: log('warn'), error: log('error') };
}
