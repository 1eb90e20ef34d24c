/** What the opt-in layer needs from an SMS or email provider; adapters live in providers/. */

export interface SmsMessage {
	to: string;
	body: string;
}

export interface EmailMessage {
	to: string;
	subject: string;
	text: string;
	html?: string;
	headers?: Record<string, string>;
}

export interface SmsSender {
	send(message: SmsMessage): Promise<{ providerMessageId: string }>;
}

export interface EmailSender {
	send(message: EmailMessage): Promise<{ providerMessageId: string }>;
}

/**
 * A provider refused or failed. `permanent` failures are recorded and not retried (a
 * number that opted out at the carrier); others may be retried, after `retryAfterMs`
 * when the provider said so.
 */
export class ProviderError extends Error {
	constructor(
		readonly provider: string,
		message: string,
		readonly permanent: boolean,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'ProviderError';
	}
}
