import type { ListDoubleOptIn } from '../core/messaging';
import { callJsonApi } from './json-api';

export interface BrevoConfig {
	apiKey: string;
	listId: number;
	/** The double-opt-in template (a Brevo template with the DOI tag). */
	templateId: number;
	/** Defaults to Brevo's API; overridable only to point at the sandbox. */
	apiUrl?: string;
}

/** Brevo's double opt-in: Brevo mails the confirmation and, once the fan clicks, sends them to the hub's signed URL. */
export class BrevoDoubleOptIn implements ListDoubleOptIn {
	readonly provider = 'brevo';

	constructor(private readonly config: BrevoConfig) {}

	async request(email: string, confirmedUrl: string): Promise<void> {
		await callJsonApi(
			'Brevo',
			`${this.config.apiUrl ?? 'https://api.brevo.com/v3'}/contacts/doubleOptinConfirmation`,
			{
				method: 'POST',
				headers: { 'api-key': this.config.apiKey },
				body: {
					email,
					includeListIds: [this.config.listId],
					templateId: this.config.templateId,
					redirectionUrl: confirmedUrl,
				},
			},
		);
	}
}
