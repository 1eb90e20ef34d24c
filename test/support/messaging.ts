import type { MessagingConfig } from '../../hub/src/services';
import { SANDBOX_SMTP, SANDBOX_TWILIO, type MessagingSandbox } from '../../sandbox/src/messaging';

/** The hub's Twilio and SMTP settings, pointed at the messaging sandbox's stand-ins. */
export function sandboxMessaging(sandbox: MessagingSandbox): MessagingConfig {
	return {
		twilio: { ...SANDBOX_TWILIO, apiUrl: sandbox.urls.twilio },
		smtp: { url: sandbox.urls.smtp, from: SANDBOX_SMTP.from },
	};
}
