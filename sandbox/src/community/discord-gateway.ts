import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { PRIVILEGED_INTENTS, randomToken } from './discord-model';

/** Gateway opcodes (Discord's numbering). */
const OP = {
	dispatch: 0,
	heartbeat: 1,
	identify: 2,
	presenceUpdate: 3,
	voiceStateUpdate: 4,
	resume: 6,
	reconnect: 7,
	requestGuildMembers: 8,
	invalidSession: 9,
	hello: 10,
	heartbeatAck: 11,
} as const;

/** Close codes Discord documents for the gateway. */
export const GATEWAY_CLOSE = {
	unknownOpcode: 4001,
	decodeError: 4002,
	notAuthenticated: 4003,
	authenticationFailed: 4004,
	alreadyAuthenticated: 4005,
	invalidApiVersion: 4012,
	invalidIntents: 4013,
	disallowedIntents: 4014,
} as const;

/** Events a session missed while disconnected, kept for RESUME; older ones are dropped. */
const MAX_BACKLOG = 1000;

/** What the gateway needs from the stand-in's state, asked at the moment it is needed. */
export interface GatewayState {
	token: string;
	/** Privileged intents the application has switched on; asking for any other closes with 4014. */
	enabledPrivilegedIntents: number;
	/** READY's `d`, with the session's id and the URL to resume on. */
	ready(sessionId: string, resumeGatewayUrl: string): Record<string, unknown>;
	/** One GUILD_CREATE `d` per guild the bot is in, shaped by the session's intents. */
	guildCreates(intents: number): Array<Record<string, unknown>>;
	/** GUILD_MEMBERS_CHUNK `d` for an op 8 request. */
	membersChunk(request: Record<string, unknown>): Record<string, unknown> | undefined;
}

export interface GatewaySessionInfo {
	sessionId: string;
	intents: number;
	connected: boolean;
	sequence: number;
	identifiedAtMs: number;
}

interface Session {
	id: string;
	intents: number;
	sequence: number;
	backlog: Array<{ s: number; t: string; d: unknown }>;
	socket: WebSocket | undefined;
	identifiedAtMs: number;
}

/**
 * Discord's gateway on loopback, JSON encoding only: HELLO, heartbeat ACKs, IDENTIFY with
 * READY and one GUILD_CREATE per guild, RESUME replaying what a session missed, and
 * dispatches filtered by each session's intents.
 */
export class DiscordGateway {
	private readonly server = new WebSocketServer({ noServer: true });
	private readonly sessions = new Map<string, Session>();
	private readonly sockets = new Set<WebSocket>();
	/** How many IDENTIFYs were accepted, for GET /gateway/bot's session_start_limit. */
	identifyCount = 0;

	constructor(
		private readonly state: GatewayState,
		private readonly heartbeatIntervalMs: number,
		private readonly now: () => number,
	) {}

	/** Takes over an HTTP upgrade on `/gateway`; anything else is refused. */
	upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
		const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
		if (url.pathname !== '/gateway' && url.pathname !== '/gateway/') {
			socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
			return;
		}
		this.server.handleUpgrade(request, socket, head, (connection) => {
			this.sockets.add(connection);
			connection.on('close', () => this.sockets.delete(connection));
			this.open(connection, url);
		});
	}

	sessionInfo(): GatewaySessionInfo[] {
		return [...this.sessions.values()].map((session) => ({
			sessionId: session.id,
			intents: session.intents,
			connected: session.socket?.readyState === WebSocket.OPEN,
			sequence: session.sequence,
			identifiedAtMs: session.identifiedAtMs,
		}));
	}

	/** Sends an event to every session whose intents include `intent` (none needed when 0). */
	dispatch(event: string, data: unknown, intent = 0): void {
		for (const session of this.sessions.values()) {
			if (intent !== 0 && (session.intents & intent) === 0) continue;
			this.send(session, event, data);
		}
	}

	/** Drops every connection without a clean close, as a network cut would: sessions stay resumable. */
	cutConnections(): void {
		for (const socket of this.sockets) socket.terminate();
	}

	/** Asks every client to reconnect and resume (op 7), as Discord does before moving a session. */
	requestReconnect(): void {
		for (const session of this.sessions.values()) {
			if (session.socket?.readyState === WebSocket.OPEN) {
				session.socket.send(JSON.stringify({ op: OP.reconnect, d: null, s: null, t: null }));
			}
		}
	}

	async close(): Promise<void> {
		for (const socket of this.sockets) socket.terminate();
		this.sockets.clear();
		this.sessions.clear();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private open(connection: WebSocket, url: URL): void {
		if (url.searchParams.get('v') !== '10') {
			connection.close(GATEWAY_CLOSE.invalidApiVersion, 'Invalid API version.');
			return;
		}
		const encoding = url.searchParams.get('encoding') ?? 'json';
		if (encoding !== 'json' || url.searchParams.has('compress')) {
			// Only JSON without transport compression is spoken here; a client asking for more would misread us.
			connection.close(
				GATEWAY_CLOSE.decodeError,
				'Only encoding=json without compression is supported.',
			);
			return;
		}
		const resumeUrl = `ws://${url.host}/gateway`;
		let session: Session | undefined;
		connection.send(
			JSON.stringify({
				op: OP.hello,
				d: { heartbeat_interval: this.heartbeatIntervalMs },
				s: null,
				t: null,
			}),
		);
		connection.on('message', (raw: RawData, isBinary: boolean) => {
			const payload = parse(raw, isBinary);
			if (!payload) {
				connection.close(GATEWAY_CLOSE.decodeError, 'Error while decoding payload.');
				return;
			}
			switch (payload.op) {
				case OP.heartbeat:
					connection.send(JSON.stringify({ op: OP.heartbeatAck, d: null, s: null, t: null }));
					return;
				case OP.identify:
					if (session) {
						connection.close(
							GATEWAY_CLOSE.alreadyAuthenticated,
							'You sent more than one identify payload.',
						);
						return;
					}
					session = this.identify(connection, payload.d, resumeUrl);
					return;
				case OP.resume:
					if (session) {
						connection.close(GATEWAY_CLOSE.alreadyAuthenticated, 'Already authenticated.');
						return;
					}
					session = this.resume(connection, payload.d);
					return;
				case OP.presenceUpdate:
				case OP.voiceStateUpdate:
				case OP.requestGuildMembers:
					if (!session) {
						connection.close(
							GATEWAY_CLOSE.notAuthenticated,
							'You sent a payload prior to identifying.',
						);
						return;
					}
					if (payload.op === OP.requestGuildMembers) this.sendMembersChunk(session, payload.d);
					return;
				default:
					connection.close(GATEWAY_CLOSE.unknownOpcode, 'Unknown opcode.');
			}
		});
		connection.on('close', (code: number) => {
			if (!session || session.socket !== connection) return;
			session.socket = undefined;
			// A client closing with 1000 or 1001 ends its session; any other close may be resumed.
			if (code === 1000 || code === 1001) this.sessions.delete(session.id);
		});
	}

	private identify(connection: WebSocket, data: unknown, resumeUrl: string): Session | undefined {
		const identify = asRecord(data);
		if (!identify || identify.token !== this.state.token) {
			connection.close(GATEWAY_CLOSE.authenticationFailed, 'Authentication failed.');
			return undefined;
		}
		if (
			typeof identify.intents !== 'number' ||
			!Number.isInteger(identify.intents) ||
			identify.intents < 0
		) {
			connection.close(GATEWAY_CLOSE.invalidIntents, 'Invalid intent(s).');
			return undefined;
		}
		if ((identify.intents & PRIVILEGED_INTENTS & ~this.state.enabledPrivilegedIntents) !== 0) {
			connection.close(GATEWAY_CLOSE.disallowedIntents, 'Disallowed intent(s).');
			return undefined;
		}
		const session: Session = {
			id: randomToken(16),
			intents: identify.intents,
			sequence: 0,
			backlog: [],
			socket: connection,
			identifiedAtMs: this.now(),
		};
		this.sessions.set(session.id, session);
		this.identifyCount += 1;
		this.send(session, 'READY', this.state.ready(session.id, resumeUrl));
		for (const guild of this.state.guildCreates(session.intents))
			this.send(session, 'GUILD_CREATE', guild);
		return session;
	}

	private resume(connection: WebSocket, data: unknown): Session | undefined {
		const resume = asRecord(data);
		const session =
			typeof resume?.session_id === 'string' ? this.sessions.get(resume.session_id) : undefined;
		if (
			!resume ||
			resume.token !== this.state.token ||
			!session ||
			typeof resume.seq !== 'number'
		) {
			// d: false says the session cannot be resumed: the client must identify afresh.
			connection.send(JSON.stringify({ op: OP.invalidSession, d: false, s: null, t: null }));
			return undefined;
		}
		session.socket?.terminate();
		session.socket = connection;
		const lastSeen = resume.seq;
		for (const event of session.backlog) {
			if (event.s > lastSeen) connection.send(JSON.stringify({ op: OP.dispatch, ...event }));
		}
		this.send(session, 'RESUMED', {});
		return session;
	}

	private sendMembersChunk(session: Session, data: unknown): void {
		const request = asRecord(data);
		const chunk = request ? this.state.membersChunk(request) : undefined;
		if (chunk) this.send(session, 'GUILD_MEMBERS_CHUNK', chunk);
	}

	private send(session: Session, event: string, data: unknown): void {
		session.sequence += 1;
		const frame = { s: session.sequence, t: event, d: data };
		session.backlog.push(frame);
		if (session.backlog.length > MAX_BACKLOG) session.backlog.shift();
		if (session.socket?.readyState === WebSocket.OPEN) {
			session.socket.send(JSON.stringify({ op: OP.dispatch, ...frame }));
		}
	}
}

function parse(raw: RawData, isBinary: boolean): { op: number; d: unknown } | undefined {
	if (isBinary) return undefined;
	try {
		const payload = asRecord(JSON.parse(raw.toString()));
		return payload && typeof payload.op === 'number' ? { op: payload.op, d: payload.d } : undefined;
	} catch {
		return undefined;
	}
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined;
}
