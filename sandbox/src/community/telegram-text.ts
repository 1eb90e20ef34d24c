import type { InlineKeyboardMarkup, MessageEntity } from '@grammyjs/types';
import { badRequest } from './telegram-params';

export const MAX_MESSAGE_CHARS = 4096;
/** callback_data is 1–64 bytes. */
const MAX_CALLBACK_DATA_BYTES = 64;
const BOT_COMMAND = /(?<=^|\s)\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=$|\s)/g;

/** The `bot_command` entities Telegram marks in what a user types (offsets in UTF-16 units, like JS strings). */
export function commandEntities(text: string): MessageEntity[] {
	return [...text.matchAll(BOT_COMMAND)].map((match) => ({
		type: 'bot_command',
		offset: match.index,
		length: match[0].length,
	}));
}

const HTML_TAGS = new Set([
	'b',
	'strong',
	'i',
	'em',
	'u',
	'ins',
	's',
	'strike',
	'del',
	'span',
	'tg-spoiler',
	'a',
	'tg-emoji',
	'code',
	'pre',
	'blockquote',
]);
const HTML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
/** Outside code, MarkdownV2 reserves these; a bot must escape each with a backslash. */
const MARKDOWN_V2_RESERVED = new Set('_*[]()~`>#+-=|{}.!');

/**
 * The text as the chat shows it, after checking the markup the way Telegram refuses it
 * (`can't parse entities`): a fan's name with `<3` or a URL with an unescaped `.` fails
 * here exactly as it would in production.
 */
export function displayedText(text: string, parseMode: string | undefined): string {
	if (parseMode === undefined || parseMode === '') return text;
	if (parseMode === 'HTML') return htmlText(text);
	if (parseMode === 'MarkdownV2') return markdownV2Text(text);
	if (parseMode === 'Markdown') return text.replace(/[*_`]|\[([^\]]*)\]\([^)]*\)/g, '$1');
	throw badRequest('unsupported parse_mode');
}

function byteOffset(text: string, index: number): number {
	return Buffer.byteLength(text.slice(0, index), 'utf8');
}

function htmlText(text: string): string {
	const open: string[] = [];
	let shown = '';
	let index = 0;
	while (index < text.length) {
		const char = text[index];
		if (char === '&') {
			const entity = /^&(#\d+|#x[0-9a-fA-F]+|[a-z]+);/.exec(text.slice(index));
			if (entity) {
				const name = entity[1];
				const decoded = name.startsWith('#x')
					? String.fromCodePoint(parseInt(name.slice(2), 16))
					: name.startsWith('#')
						? String.fromCodePoint(Number(name.slice(1)))
						: HTML_ENTITIES[name];
				if (decoded === undefined) {
					throw badRequest(
						`can't parse entities: Unsupported HTML entity "${entity[0]}" at byte offset ${byteOffset(text, index)}`,
					);
				}
				shown += decoded;
				index += entity[0].length;
				continue;
			}
		}
		if (char !== '<') {
			shown += char;
			index += 1;
			continue;
		}
		const tag = /^<(\/?)([^\s>/]*)[^>]*>/.exec(text.slice(index));
		const name = (tag?.[2] ?? /^<\/?([^\s>]*)/.exec(text.slice(index))?.[1] ?? '').toLowerCase();
		if (!tag || !HTML_TAGS.has(name)) {
			const closing = text[index + 1] === '/';
			throw badRequest(
				`can't parse entities: Unsupported ${closing ? 'end' : 'start'} tag "${name}" at byte offset ${byteOffset(text, index)}`,
			);
		}
		if (tag[1] === '/') {
			if (open.pop() !== name) {
				throw badRequest(
					`can't parse entities: Unexpected end tag at byte offset ${byteOffset(text, index)}`,
				);
			}
		} else {
			open.push(name);
		}
		index += tag[0].length;
	}
	if (open.length > 0) {
		throw badRequest(
			`can't parse entities: Can't find end tag corresponding to start tag "${open[open.length - 1]}"`,
		);
	}
	return shown;
}

function markdownV2Text(text: string): string {
	let shown = '';
	let inCode = false;
	let inLinkTarget = false;
	for (let index = 0; index < text.length; index += 1) {
		const char = text[index];
		if (char === '\\') {
			shown += text[index + 1] ?? '';
			index += 1;
			continue;
		}
		if (char === '`') {
			inCode = !inCode;
			continue;
		}
		if (inCode) {
			shown += char;
			continue;
		}
		if (inLinkTarget) {
			if (char === ')') inLinkTarget = false;
			continue;
		}
		if (char === ']' && text[index + 1] === '(') {
			inLinkTarget = true;
			index += 1;
			continue;
		}
		if ('*_~|['.includes(char)) continue;
		if (char === '>' && (index === 0 || text[index - 1] === '\n')) continue;
		if (MARKDOWN_V2_RESERVED.has(char)) {
			throw badRequest(
				`can't parse entities: Character '${char}' is reserved and must be escaped with the preceding '\\'`,
			);
		}
		shown += char;
	}
	return shown;
}

/**
 * The reply_markup a message keeps: Telegram echoes inline keyboards on the message and
 * checks each button; other keyboards (reply, remove, force_reply) are for the client only.
 */
export function inlineKeyboardOf(markup: unknown): InlineKeyboardMarkup | undefined {
	if (markup === undefined) return undefined;
	if (markup === null || typeof markup !== 'object' || Array.isArray(markup)) {
		throw badRequest("can't parse reply keyboard markup JSON object");
	}
	if (!('inline_keyboard' in markup)) return undefined;
	const rows = (markup as { inline_keyboard: unknown }).inline_keyboard;
	if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) {
		throw badRequest(
			'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
		);
	}
	for (const row of rows as unknown[][]) {
		for (const button of row) checkInlineButton(button);
	}
	return { inline_keyboard: rows as InlineKeyboardMarkup['inline_keyboard'] };
}

function checkInlineButton(button: unknown): void {
	if (button === null || typeof button !== 'object') {
		throw badRequest("can't parse inline keyboard button");
	}
	const fields = button as Record<string, unknown>;
	if (typeof fields.text !== 'string' || fields.text === '') {
		throw badRequest('text buttons are unallowed in the inline keyboard');
	}
	const actions = Object.keys(fields).filter(
		(key) => !['text', 'style', 'icon_custom_emoji_id'].includes(key),
	);
	if (actions.length !== 1) throw badRequest('text buttons are unallowed in the inline keyboard');
	if ('callback_data' in fields) {
		const data = fields.callback_data;
		const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
		if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
	}
	if ('url' in fields) {
		const url = fields.url;
		if (typeof url !== 'string' || !/^(https?|tg):\/\/\S+$/i.test(url)) {
			throw badRequest('BUTTON_URL_INVALID');
		}
	}
}
