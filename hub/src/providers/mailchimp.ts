import { createHash } from 'node:crypto';
import type { ListDoubleOptIn } from '../core/messaging';
import { callJsonApi } from './json-api';

export interface MailchimpConfig {
	/** `<key>-<datacenter>`, e.g. …-us21. */
	apiKey: string;
	listId: string;
	/** Defaults to the key's datacenter API; overridable only to point at the sandbox. */
	apiUrl?: string;
}

export function mailchimpApiUrl(apiKey: string): string {
	const datacenter = apiKey.split('-').pop();
	return `https://${datacenter}.api.mailchimp.com/3.0`;
}

/** Mailchimp's double opt-in: a new member is added as pending, Mailchimp mails the confirmation, the hub reads the status back. */
export class MailchimpDoubleOptIn implements ListDoubleOptIn {
	readonly provider = 'mailchimp';
	private readonly apiUrl: string;
	private readonly authorization: string;

	constructor(private readonly config: MailchimpConfig) {
		this.apiUrl = config.apiUrl ?? mailchimpApiUrl(config.apiKey);
		this.authorization = `Basic ${Buffer.from(`fanloop:${config.apiKey}`).toString('base64')}`;
	}

	async request(email: string): Promise<void> {
		await callJsonApi('Mailchimp', this.memberUrl(email), {
			method: 'PUT',
			headers: { authorization: this.authorization },
			body: { email_address: email, status_if_new: 'pending' },
		});
	}

	async status(email: string): Promise<'pending' | 'subscribed' | 'unsubscribed' | 'unknown'> {
		const { body } = await callJsonApi('Mailchimp', this.memberUrl(email), {
			method: 'GET',
			headers: { authorization: this.authorization },
		});
		const status = String(body.status);
		if (status === 'pending' || status === 'subscribed') return status;
		if (status === 'unsubscribed' || status === 'cleaned') return 'unsubscribed';
		// 'archived' (the marketer took the contact off the audience) and 'transactional' say
		// nothing about the fan's own consent: neither granted nor revoked.
		return 'unknown';
	}

	private memberUrl(email: string): string {
		const hash = createHash('md5').update(email.toLowerCase()).digest('hex');
		return `${this.apiUrl}/lists/${encodeURIComponent(this.config.listId)}/members/${hash}`;
	}
}
