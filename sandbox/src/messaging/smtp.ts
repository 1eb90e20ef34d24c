import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { SandboxClock } from '../core/clock';

export interface SmtpStandInOptions {
	/** When set, mail is accepted only after AUTH PLAIN or LOGIN with these credentials. */
	auth?: { user: string; password: string };
	/** Advertised with SIZE; larger messages get 552. Default 10 MB. */
	sizeLimitBytes?: number;
	clock?: SandboxClock;
	/** The name the server greets with. */
	hostname?: string;
}

export interface CapturedEmail {
	/** The header From address (the envelope sender when the header has none). */
	from: string;
	/** Every envelope recipient (RCPT TO), so Bcc recipients are here too. */
	to: string[];
	subject: string;
	text: string;
	html: string;
	/**
	 * Raw header values by lower-case name, unfolded (`list-unsubscribe`,
	 * `list-unsubscribe-post`, `message-id`…); repeated headers are joined with a newline.
	 */
	headers: Record<string, string>;
	messageId?: string;
	envelope: { mailFrom: string; rcptTo: string[] };
	/** The authenticated user, when AUTH was used. */
	authUser?: string;
	receivedAtMs: number;
	raw: string;
}

export interface SmtpRejection {
	/** 4xx for a temporary failure the client should retry, 5xx for a permanent one. */
	code: number;
	message?: string;
}

const DEFAULT_SIZE_LIMIT_BYTES = 10 * 1024 * 1024;

function firstAddress(header: AddressObject | AddressObject[] | undefined): string | undefined {
	const object = Array.isArray(header) ? header[0] : header;
	return object?.value.find((entry) => entry.address)?.address;
}

function rawHeaders(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const { key, line } of lines) {
		const colon = line.indexOf(':');
		const value = line
			.slice(colon + 1)
			.replace(/\r?\n[ \t]+/g, ' ')
			.trim();
		headers[key] = key in headers ? `${headers[key]}\n${value}` : value;
	}
	return headers;
}

/**
 * A mail server that keeps what it receives: plain SMTP on loopback (no STARTTLS, so no
 * certificate is involved), optional AUTH PLAIN/LOGIN, a size limit, and replies a test
 * can turn into 4xx/5xx for the next few messages.
 */
export class SmtpStandIn {
	readonly clock: SandboxClock;
	private server: SMTPServer | undefined;
	private port = 0;
	private readonly captured: CapturedEmail[] = [];
	private readonly waiters = new Set<{
		predicate: (email: CapturedEmail) => boolean;
		resolve: (email: CapturedEmail) => void;
	}>();
	private readonly rejections: SmtpRejection[] = [];
	private rejectedCount = 0;

	constructor(private readonly options: SmtpStandInOptions = {}) {
		this.clock = options.clock ?? new SandboxClock();
	}

	async start(port = 0): Promise<string> {
		const auth = this.options.auth;
		const server = new SMTPServer({
			name: this.options.hostname ?? 'smtp.sandbox.fanloop.test',
			banner: 'Fanloop sandbox mail capture',
			// No TLS at all: loopback only, and no built-in test certificate to warn about.
			disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
			authMethods: ['PLAIN', 'LOGIN'],
			allowInsecureAuth: true,
			authOptional: !auth,
			size: this.options.sizeLimitBytes ?? DEFAULT_SIZE_LIMIT_BYTES,
			rejectOversized: true,
			disableReverseLookup: true,
			logger: false,
			closeTimeout: 1000,
			onAuth: (credentials, _session, callback) => {
				if (
					auth &&
					(credentials.method === 'PLAIN' || credentials.method === 'LOGIN') &&
					credentials.username === auth.user &&
					credentials.password === auth.password
				) {
					callback(null, { user: credentials.username });
					return;
				}
				// No user means failure: smtp-server answers 535.
				callback(null, {
					responseCode: 535,
					message: '5.7.8 Error: authentication credentials invalid',
				});
			},
			onData: (stream, session, callback) => {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on('end', () => {
					if (stream.sizeExceeded) {
						callback(); // rejectOversized answers 552 itself.
						return;
					}
					const rejection = this.rejections.shift();
					if (rejection) {
						this.rejectedCount += 1;
						const error: SMTPServerError = new Error(
							rejection.message ??
								(rejection.code < 500
									? 'Requested action aborted: try again later'
									: 'Message rejected'),
						);
						error.responseCode = rejection.code;
						callback(error);
						return;
					}
					const raw = Buffer.concat(chunks);
					const envelope = {
						mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
					};
					simpleParser(raw)
						.then((parsed) => {
							this.capture({
								from: firstAddress(parsed.from) ?? envelope.mailFrom,
								to: envelope.rcptTo,
								subject: parsed.subject ?? '',
								text: parsed.text ?? '',
								html: typeof parsed.html === 'string' ? parsed.html : '',
								headers: rawHeaders(parsed.headerLines),
								messageId: parsed.messageId,
								envelope,
								authUser: typeof session.user === 'string' ? session.user : undefined,
								receivedAtMs: this.clock.now(),
								raw: raw.toString('utf8'),
							});
							callback(null, 'Message captured by the Fanloop sandbox');
						})
						.catch((error: unknown) => {
							const failure: SMTPServerError = new Error(
								`Message could not be parsed: ${(error as Error).message}`,
							);
							failure.responseCode = 554;
							callback(failure);
						});
				});
			},
		});
		server.on('error', () => undefined);
		await new Promise<void>((resolve, reject) => {
			server.server.once('error', reject);
			server.listen(port, '127.0.0.1', () => resolve());
		});
		this.server = server;
		this.port = (server.server.address() as { port: number }).port;
		return this.url;
	}

	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		for (const connection of server.connections) connection.close();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** `smtp://user:password@127.0.0.1:port` (credentials only when AUTH is on), for nodemailer. */
	get url(): string {
		if (!this.server) throw new Error('SMTP stand-in is not started');
		const auth = this.options.auth;
		const credentials = auth
			? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@`
			: '';
		return `smtp://${credentials}127.0.0.1:${this.port}`;
	}

	get listeningPort(): number {
		if (!this.server) throw new Error('SMTP stand-in is not started');
		return this.port;
	}

	messages(): CapturedEmail[] {
		return [...this.captured];
	}

	clear(): void {
		this.captured.length = 0;
	}

	/** How many messages the injected rejections have turned away so far. */
	get rejected(): number {
		return this.rejectedCount;
	}

	/** Answers the next `count` messages' DATA with this reply instead of accepting them. */
	rejectNext(count: number, rejection: SmtpRejection = { code: 451 }): void {
		if (rejection.code < 400 || rejection.code > 599) {
			throw new Error('an SMTP rejection is a 4xx or 5xx reply');
		}
		for (let index = 0; index < count; index += 1) this.rejections.push({ ...rejection });
	}

	/** Resolves with the first message (already captured or still to come) that matches. */
	waitFor(
		predicate: (email: CapturedEmail) => boolean = () => true,
		timeoutMs = 5000,
	): Promise<CapturedEmail> {
		const already = this.captured.find(predicate);
		if (already) return Promise.resolve(already);
		return new Promise((resolve, reject) => {
			const waiter = {
				predicate,
				resolve: (email: CapturedEmail) => {
					clearTimeout(timer);
					resolve(email);
				},
			};
			const timer = setTimeout(() => {
				this.waiters.delete(waiter);
				reject(new Error(`no matching email arrived within ${timeoutMs} ms`));
			}, timeoutMs);
			this.waiters.add(waiter);
		});
	}

	private capture(email: CapturedEmail): void {
		this.captured.push(email);
		for (const waiter of this.waiters) {
			if (!waiter.predicate(email)) continue;
			this.waiters.delete(waiter);
			waiter.resolve(email);
		}
	}
}
