/** The id and name the templates that email the team give their SMTP credential. */
export const TEAM_SMTP = { id: 'teamSmtp', name: 'Team SMTP' };

/**
 * n8n's SMTP credential for the server an `smtp://` or `smtps://` URL names (user and password
 * in the URL), as the team's templates reference it. A plain `smtp://` server on this machine
 * (the sandbox's) offers no STARTTLS, so n8n is told not to ask for it.
 */
export function teamSmtpCredential(smtpUrl: string) {
	const url = new URL(smtpUrl);
	const secure = url.protocol === 'smtps:';
	const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
	return {
		...TEAM_SMTP,
		type: 'smtp',
		data: {
			user: decodeURIComponent(url.username),
			password: decodeURIComponent(url.password),
			host: url.hostname,
			port: Number(url.port) || (secure ? 465 : 587),
			secure,
			disableStartTls: !secure && local,
		},
	};
}
