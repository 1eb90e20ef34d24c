import { createServer, type Server } from 'node:http';
import type { TelegramStandIn } from './community/telegram';
import { escape, time, withLinks } from './inbox-html';
import { TelegramPanel } from './inbox-telegram';
import type { MessagingSandbox } from './messaging';

export interface SandboxInbox {
	url: string;
	stop(): Promise<void>;
}

export interface SandboxInboxOptions {
	/** The SMS and email stand-ins, and where the hub takes inbound texts. */
	messaging?: { sandbox: MessagingSandbox; hubInboundSmsUrl: string };
	telegram?: TelegramStandIn;
	port?: number;
}

function messagingSection(sandbox: MessagingSandbox): string {
	const texts = [...sandbox.twilio.sent()]
		.reverse()
		.map(
			(sms) =>
				`<li><b>${escape(sms.from)} → ${escape(sms.to)}</b> <small>${time(sms.acceptedAtMs)}</small><br>${withLinks(sms.body)}</li>`,
		)
		.join('');
	const emails = [...sandbox.smtp.messages()]
		.reverse()
		.map(
			(mail) =>
				`<li><b>${escape(mail.to.join(', '))}: ${escape(mail.subject)}</b> <small>${time(mail.receivedAtMs)}</small><pre>${withLinks(mail.text)}</pre></li>`,
		)
		.join('');
	return `<h2>Text the hub as a fan</h2>
<form method="post" action="/text"><label>From <input name="from" value="+4915112345678" required></label>
<label>Message <input name="body" placeholder="JOIN, YES, STOP, HELP…" required></label> <button>Send</button></form>
<h2>Texts</h2><ul>${texts || '<li>none yet</li>'}</ul>
<h2>Emails</h2><ul>${emails || '<li>none yet</li>'}</ul>`;
}

/**
 * A page that shows what the sandbox providers "delivered" (texts, emails, the Telegram bot's
 * answers) and lets you act as a fan: text the hub, open the bot's deep link, press its
 * buttons. The whole loop on one laptop; nothing leaves the machine.
 */
export async function startSandboxInbox(options: SandboxInboxOptions): Promise<SandboxInbox> {
	const telegram = options.telegram && new TelegramPanel(options.telegram);
	const page = (
		notice: string,
	) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Fanloop sandbox inbox</title></head>
<body style="font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem">
<h1>Fanloop sandbox inbox</h1>
<p>What the hub sent through the sandbox providers. Nothing here leaves this machine.</p>
${notice ? `<p role="status"><b>${escape(notice)}</b></p>` : ''}
${options.messaging ? messagingSection(options.messaging.sandbox) : ''}
${telegram?.section() ?? ''}</body></html>`;

	const act = async (path: string, form: URLSearchParams): Promise<string> => {
		if (path === '/text' && options.messaging) {
			const { sandbox, hubInboundSmsUrl } = options.messaging;
			const result = await sandbox.twilio.inbound(hubInboundSmsUrl, {
				From: form.get('from') ?? '',
				To: sandbox.credentials.twilio.from,
				Body: form.get('body') ?? '',
			});
			return `The hub answered HTTP ${result.status}.`;
		}
		return telegram?.handle(path, form) ?? 'Nothing here answers that form.';
	};

	const server: Server = createServer(async (request, response) => {
		let notice = '';
		if (request.method === 'POST') {
			let raw = '';
			for await (const chunk of request) raw += chunk;
			notice = await act(request.url ?? '', new URLSearchParams(raw));
		}
		response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(notice));
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const address = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${address.port}`,
		stop: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
