const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

export function escape(text: string): string {
	return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Links in captured messages become clickable, so a confirmation or invite link can be followed from the inbox. */
export function withLinks(text: string): string {
	return escape(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
}

export function time(epochMs: number): string {
	return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19);
}
