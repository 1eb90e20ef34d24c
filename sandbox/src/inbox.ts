import { createServer, type Server } from 'node:http';
import type { MessagingSandbox } from './messaging';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
	return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Links in captured messages become clickable, so a confirmation link can be followed from here. */
function withLinks(text: string): string {
	return escape(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
}

function time(epochMs: number): string {
	return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19);
}

export interface SandboxInbox {
	url: string;
	stop(): Promise<void>;
}

/**
 * A page that shows what the sandbox providers "delivered" (texts and emails) and lets
 * you text the hub as a fan would: the whole SMS and email loop on one laptop.
 */
export async function startSandboxInbox(
	sandbox: MessagingSandbox,
	hubInboundSmsUrl: string,
	port = 0,
): Promise<SandboxInbox> {
	const page = (notice = '') => {
		const texts = [...sandbox.twilio.sent()]
			.reverse()
			.map((sms) => `<li><b>${escape(sms.from)} → ${escape(sms.to)}</b> <small>${time(sms.acceptedAtMs)}</small><br>${withLinks(sms.body)}</li>`)
			.join('');
		const emails = [...sandbox.smtp.messages()]
			.reverse()
			.map(
				(mail) =>
					`<li><b>${escape(mail.to.join(', '))}: ${escape(mail.subject)}</b> <small>${time(mail.receivedAtMs)}</small><pre>${withLinks(mail.text)}</pre></li>`,
			)
			.join('');
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Fanloop sandbox inbox</title></head>
<body style="font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem">
<h1>Fanloop sandbox inbox</h1>
<p>Texts and emails the hub sent through the sandbox providers. Nothing here leaves this machine.</p>
${notice ? `<p><b>${escape(notice)}</b></p>` : ''}
<h2>Text the hub as a fan</h2>
<form method="post" action="/text"><label>From <input name="from" value="+4915112345678" required></label>
<label>Message <input name="body" placeholder="JOIN, YES, STOP, HELP…" required></label> <button>Send</button></form>
<h2>Texts</h2><ul>${texts || '<li>none yet</li>'}</ul>
<h2>Emails</h2><ul>${emails || '<li>none yet</li>'}</ul></body></html>`;
	};

	const server: Server = createServer(async (request, response) => {
		let notice = '';
		if (request.method === 'POST' && request.url === '/text') {
			let raw = '';
			for await (const chunk of request) raw += chunk;
			const form = new URLSearchParams(raw);
			const result = await sandbox.twilio.inbound(hubInboundSmsUrl, {
				From: form.get('from') ?? '',
				To: sandbox.credentials.twilio.from,
				Body: form.get('body') ?? '',
			});
			notice = `The hub answered HTTP ${result.status}.`;
		}
		response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(notice));
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const address = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${address.port}`,
		stop: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
