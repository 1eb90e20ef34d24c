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

/**
 * A list provider that runs the double opt-in itself (Mailchimp, Brevo): it sends its
 * own confirmation email. `confirmedUrl` is where the provider may send the fan after
 * they confirm; `status` reads the outcome back where the provider has no redirect.
 */
export interface ListDoubleOptIn {
	readonly provider: 'mailchimp' | 'brevo';
	request(email: string, confirmedUrl: string): Promise<void>;
	status?(email: string): Promise<'pending' | 'subscribed' | 'unsubscribed' | 'unknown'>;
}
