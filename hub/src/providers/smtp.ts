import nodemailer, { type Transporter } from 'nodemailer';
import { ProviderError, type EmailMessage, type EmailSender } from '../core/messaging';

export interface SmtpConfig {
	/** smtp://user:pass@host:port or smtps://… */
	url: string;
	from: string;
}

export class SmtpEmail implements EmailSender {
	private readonly transport: Transporter;

	constructor(private readonly config: SmtpConfig) {
		this.transport = nodemailer.createTransport(config.url);
	}

	async send(message: EmailMessage): Promise<{ providerMessageId: string }> {
		try {
			const info = await this.transport.sendMail({ from: this.config.from, ...message });
			return { providerMessageId: String(info.messageId) };
		} catch (error) {
			const responseCode = (error as { responseCode?: number }).responseCode;
			throw new ProviderError(
				'smtp',
				`The mail server refused the message: ${(error as Error).message}`,
				responseCode !== undefined && responseCode >= 500,
			);
		}
	}
}
