import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger';
import { verifyTwilioSignature } from '../providers/twilio';
import type { HubServices } from '../services';
import { escapeHtml } from './html';

export const TWILIO_INBOUND_PATH = '/webhooks/twilio/sms';

function twiml(reply: string | undefined): string {
	const message = reply ? `<Message>${escapeHtml(reply)}</Message>` : '';
	return `<?xml version="1.0" encoding="UTF-8"?><Response>${message}</Response>`;
}

/**
 * Twilio's inbound SMS webhook. Only a request signed with the account's auth token
 * over the URL Twilio called is read; anything else gets 403 and changes nothing.
 */
export function registerTwilioInbound(
	app: FastifyInstance,
	{ optIns, twilio, program }: HubServices,
	logger: Logger,
): void {
	app.post(TWILIO_INBOUND_PATH, async (request, reply) => {
		if (!twilio)
			return reply
				.code(404)
				.send({ error: { code: 'not_found', message: 'SMS is not configured on this hub.' } });
		const params = (request.body ?? {}) as Record<string, string>;
		const calledUrl = `${program.publicUrl}${request.url}`;
		const signature = request.headers['x-twilio-signature'];
		if (
			params.AccountSid !== twilio.accountSid ||
			!verifyTwilioSignature(
				twilio.authToken,
				calledUrl,
				params,
				typeof signature === 'string' ? signature : undefined,
			)
		) {
			logger.warn('refused an unsigned or forged Twilio webhook', { url: request.url });
			return reply
				.code(403)
				.send({ error: { code: 'unauthorized', message: 'The Twilio signature does not match.' } });
		}
		let answer: string | undefined;
		try {
			answer = await optIns.inboundSms(params.From ?? '', params.Body ?? '');
		} catch (error) {
			// Twilio does not retry; log and answer politely so the sender sees nothing odd.
			logger.error('inbound SMS not handled', {
				messageSid: params.MessageSid,
				error: (error as Error).message,
			});
		}
		return reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(twiml(answer));
	});
}
