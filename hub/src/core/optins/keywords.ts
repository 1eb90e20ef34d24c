/** Carrier-standard SMS keywords. Matching ignores case and surrounding space, as carriers do. */
const STOP_WORDS = new Set([
	'STOP',
	'STOPALL',
	'UNSUBSCRIBE',
	'CANCEL',
	'END',
	'QUIT',
	'REVOKE',
	'OPTOUT',
]);
const START_WORDS = new Set(['START', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);
const CONFIRM_WORDS = new Set(['YES', 'Y']);

export type Keyword =
	| { kind: 'stop' }
	| { kind: 'start' }
	| { kind: 'help' }
	| { kind: 'confirm' }
	| { kind: 'custom'; word: string };

export function normalizeKeyword(body: string): string {
	return body
		.trim()
		.replace(/[.!]+$/, '')
		.toUpperCase();
}

export function classifyKeyword(body: string): Keyword {
	const word = normalizeKeyword(body);
	if (STOP_WORDS.has(word)) return { kind: 'stop' };
	if (START_WORDS.has(word)) return { kind: 'start' };
	if (HELP_WORDS.has(word)) return { kind: 'help' };
	if (CONFIRM_WORDS.has(word)) return { kind: 'confirm' };
	return { kind: 'custom', word };
}
