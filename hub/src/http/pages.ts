import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LinkOutcome } from '../core/optins/optins';
import type { HubServices } from '../services';
import { escapeHtml, sendPage } from './html';

const OUTCOME_PAGES: Record<LinkOutcome, { status: number; title: string; text: string }> = {
	confirmed: {
		status: 200,
		title: 'You are subscribed',
		text: 'Thanks! Every email has a one-click unsubscribe link.',
	},
	already_confirmed: {
		status: 200,
		title: 'Already confirmed',
		text: 'This subscription was confirmed before; nothing changed.',
	},
	unsubscribed: {
		status: 200,
		title: 'You are unsubscribed',
		text: 'You will get no more messages from us.',
	},
	already_unsubscribed: {
		status: 200,
		title: 'Already unsubscribed',
		text: 'You were already unsubscribed; nothing changed.',
	},
	expired: {
		status: 410,
		title: 'This link has expired',
		text: 'Please sign up again to get a fresh link.',
	},
	invalid: {
		status: 400,
		title: 'This link does not work',
		text: 'It may have been copied incompletely. Please use the link from the email.',
	},
};

function tokenOf(request: FastifyRequest): string {
	const fromBody = (request.body as Record<string, string> | undefined)?.token;
	const fromQuery = (request.query as Record<string, string | undefined>).token;
	return String(fromBody ?? fromQuery ?? '');
}

/** A confirmation page with a button: mail scanners that open links must not confirm on a fan's behalf. */
function confirmForm(action: string, token: string, text: string, button: string): string {
	return `<p>${escapeHtml(text)}</p><form method="post" action="${action}"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">${escapeHtml(button)}</button></form>`;
}

/** The fan-facing pages behind the links in opt-in emails. */
export function registerPages(app: FastifyInstance, { optIns, program }: HubServices): void {
	const outcome = (reply: Parameters<typeof sendPage>[0], result: LinkOutcome) => {
		const page = OUTCOME_PAGES[result];
		return sendPage(reply, page.status, page.title, `<p>${escapeHtml(page.text)}</p>`);
	};

	app.get('/optin/confirm', async (request, reply) =>
		sendPage(
			reply,
			200,
			`Confirm ${program.name} emails`,
			confirmForm(
				'/optin/confirm',
				tokenOf(request),
				`Tap below to get emails from ${program.name}.`,
				'Yes, subscribe me',
			),
		),
	);
	app.post('/optin/confirm', async (request, reply) =>
		outcome(reply, await optIns.confirmByLink(tokenOf(request))),
	);
	// Where a list provider (Brevo) sends the fan after they confirmed in its own email.
	app.get('/optin/confirmed', async (request, reply) =>
		outcome(reply, await optIns.confirmByLink(tokenOf(request))),
	);

	app.get('/unsubscribe', async (request, reply) =>
		sendPage(
			reply,
			200,
			`Unsubscribe from ${program.name}`,
			confirmForm(
				'/unsubscribe',
				tokenOf(request),
				'You will stop getting messages from us.',
				'Unsubscribe',
			),
		),
	);
	// Also the RFC 8058 one-click target: mail clients POST "List-Unsubscribe=One-Click" to the link itself.
	app.post('/unsubscribe', async (request, reply) =>
		outcome(reply, await optIns.unsubscribeByLink(tokenOf(request))),
	);
}
