import { createHash } from 'node:crypto';
import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import { basicAuth, isoSeconds, jsonObjectBody, looksLikeEmail, randomHex, uuid } from './support';

/** `archived` is read-only: only `DELETE …/members/{hash}` (archive) sets it, and a write cannot. */
export type MailchimpMemberStatus =
	'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';

/** The statuses `status` and `status_if_new` accept. */
const STATUSES: readonly MailchimpMemberStatus[] = [
	'subscribed',
	'unsubscribed',
	'cleaned',
	'pending',
	'transactional',
];
const MEMBER_PATH = /^\/3\.0\/lists\/([^/]+)\/members\/([^/]+)$/;
const LIST_PATH = /^\/3\.0\/lists\/([^/]+)$/;
const ERROR_TYPE = 'https://mailchimp.com/developer/marketing/docs/errors/';
/** Mailchimp keys are 32 hex digits, a dash and the data center (`us21`). */
export const MAILCHIMP_API_KEY_PATTERN = /^[0-9a-f]{32}-[a-z]+[0-9]+$/;

/** The member id Mailchimp uses in URLs: MD5 of the lower-cased address. */
export function subscriberHash(email: string): string {
	return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

export interface MailchimpStandInOptions {
	/** `<32 hex>-<dc>`; any Basic username is accepted with it as the password. */
	apiKey: string;
	/** The audiences (lists) that exist; others answer 404. */
	lists: Array<string | { id: string; name?: string }>;
	clock?: SandboxClock;
}

export interface MailchimpMember {
	listId: string;
	emailAddress: string;
	status: MailchimpMemberStatus;
	mergeFields: Record<string, unknown>;
	uniqueEmailId: string;
	webId: number;
	timestampSignupMs?: number;
	timestampOptMs?: number;
	lastChangedMs: number;
}

export interface MailchimpConfirmation {
	listId: string;
	email: string;
	sentAtMs: number;
}

function problem(
	status: number,
	title: string,
	detail: string,
	errors?: Array<{ field: string; message: string }>,
): StandInResponse {
	return {
		status,
		headers: { 'content-type': 'application/problem+json; charset=utf-8' },
		body: {
			type: ERROR_TYPE,
			title,
			status,
			detail,
			instance: uuid(),
			...(errors ? { errors } : {}),
		},
	};
}

const invalidResource = (errors: Array<{ field: string; message: string }>): StandInResponse =>
	problem(
		400,
		'Invalid Resource',
		"The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
		errors,
	);

const notFound = (): StandInResponse =>
	problem(404, 'Resource Not Found', 'The requested resource could not be found.');

/**
 * Mailchimp Marketing API v3 list members on loopback: add-or-update by subscriber hash,
 * `status_if_new: 'pending'` sending the double opt-in confirmation that the test then
 * "clicks" with `confirm`, and Mailchimp's problem-detail errors.
 */
export class MailchimpStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	private readonly lists = new Map<string, string>();
	/** `${listId} ${hash}` → member. */
	private readonly members = new Map<string, MailchimpMember>();
	private readonly sentConfirmations: MailchimpConfirmation[] = [];
	private nextWebId = 100_000_001;

	constructor(private readonly options: MailchimpStandInOptions) {
		if (!MAILCHIMP_API_KEY_PATTERN.test(options.apiKey)) {
			throw new Error('a Mailchimp API key looks like <32 hex digits>-<data center>, e.g. …-us21');
		}
		this.clock = options.clock ?? new SandboxClock();
		for (const list of options.lists) {
			const entry = typeof list === 'string' ? { id: list } : list;
			this.lists.set(entry.id, entry.name ?? `Sandbox audience ${entry.id}`);
		}
		this.server = new HttpStandIn('Mailchimp', (request) => this.handle(request), this.clock);
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	/** The API root, as `https://<dc>.api.mailchimp.com/3.0`. */
	get url(): string {
		return `${this.server.url}/3.0`;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	/** The data center part of the key (`us21`). */
	get dataCenter(): string {
		return this.options.apiKey.slice(this.options.apiKey.lastIndexOf('-') + 1);
	}

	member(listId: string, email: string): MailchimpMember | undefined {
		const member = this.members.get(`${listId} ${subscriberHash(email)}`);
		return member && { ...member, mergeFields: { ...member.mergeFields } };
	}

	/** Every opt-in confirmation email Mailchimp would have sent. */
	confirmations(): MailchimpConfirmation[] {
		return [...this.sentConfirmations];
	}

	/** The fan clicks the link in Mailchimp's confirmation email: pending → subscribed. */
	confirm(listId: string, email: string): MailchimpMember {
		const member = this.members.get(`${listId} ${subscriberHash(email)}`);
		if (!member) throw new Error(`${email} is not a member of list ${listId}`);
		if (member.status !== 'pending') {
			throw new Error(`${email} is ${member.status}, not pending, on list ${listId}`);
		}
		const nowMs = this.clock.now();
		member.status = 'subscribed';
		member.timestampOptMs = nowMs;
		member.lastChangedMs = nowMs;
		return { ...member };
	}

	/** The fan clicks the unsubscribe link in a campaign. */
	unsubscribe(listId: string, email: string): void {
		const member = this.members.get(`${listId} ${subscriberHash(email)}`);
		if (!member) throw new Error(`${email} is not a member of list ${listId}`);
		member.status = 'unsubscribed';
		member.lastChangedMs = this.clock.now();
	}

	private handle(request: StandInRequest): StandInResponse {
		const credentials = basicAuth(request);
		if (!credentials || credentials.password !== this.options.apiKey) {
			return problem(
				401,
				'API Key Invalid',
				"Your API key may be invalid, or you've attempted to access the wrong datacenter.",
			);
		}
		if (request.path === '/3.0/ping' && request.method === 'GET') {
			return { status: 200, body: { health_status: "Everything's Chimpy!" } };
		}
		const listMatch = LIST_PATH.exec(request.path);
		if (listMatch && request.method === 'GET') {
			const name = this.lists.get(listMatch[1]);
			if (name === undefined) return notFound();
			return { status: 200, body: { id: listMatch[1], name, double_optin: true } };
		}
		const memberMatch = MEMBER_PATH.exec(request.path);
		if (!memberMatch) return notFound();
		const [, listId, rawId] = memberMatch;
		if (!this.lists.has(listId)) return notFound();
		// The path takes the hash, or (Mailchimp also accepts it) the address itself.
		const id = decodeURIComponent(rawId);
		const hash = id.includes('@') ? subscriberHash(id) : id.toLowerCase();
		if (request.method === 'GET') {
			const member = this.members.get(`${listId} ${hash}`);
			return member ? { status: 200, body: this.resource(member) } : notFound();
		}
		if (request.method === 'PUT') return this.upsert(listId, hash, request);
		if (request.method === 'DELETE') {
			// "Archive list member": the contact stays, marked archived, and gets no more mail.
			const member = this.members.get(`${listId} ${hash}`);
			if (!member) return notFound();
			member.status = 'archived';
			member.lastChangedMs = this.clock.now();
			return { status: 204 };
		}
		return problem(
			405,
			'Method Not Allowed',
			"The requested method and resource are not compatible. See the Allow header for this resource's available methods.",
		);
	}

	private upsert(listId: string, hash: string, request: StandInRequest): StandInResponse {
		const body = jsonObjectBody(request);
		if (!body) {
			return problem(
				400,
				'JSON Parse Error',
				'We encountered an unspecified JSON parsing error. Please check the body of your request.',
			);
		}
		const email = typeof body.email_address === 'string' ? body.email_address.trim() : '';
		const status = body.status;
		const statusIfNew = body.status_if_new;
		const mergeFields = body.merge_fields;
		if (email === '') {
			return invalidResource([
				{ field: 'email_address', message: 'This value should not be blank.' },
			]);
		}
		if (!looksLikeEmail(email)) {
			return problem(
				400,
				'Invalid Resource',
				`${email} looks fake or invalid, please enter a real email address.`,
			);
		}
		if (subscriberHash(email) !== hash) {
			return invalidResource([
				{
					field: 'email_address',
					message:
						'The subscriber hash in the URL does not match the MD5 of the lower-cased email_address.',
				},
			]);
		}
		for (const [field, value] of [
			['status', status],
			['status_if_new', statusIfNew],
		] as const) {
			if (value !== undefined && !STATUSES.includes(value as MailchimpMemberStatus)) {
				return invalidResource([
					{ field, message: `Value must be one of: ${STATUSES.join(', ')}` },
				]);
			}
		}
		if (
			mergeFields !== undefined &&
			(mergeFields === null || typeof mergeFields !== 'object' || Array.isArray(mergeFields))
		) {
			return invalidResource([
				{ field: 'merge_fields', message: 'Schema describes object, array found instead' },
			]);
		}

		const nowMs = this.clock.now();
		const key = `${listId} ${hash}`;
		const existing = this.members.get(key);
		// Adding an archived contact again brings them back as a new one would come.
		if (!existing || (existing.status === 'archived' && status === undefined)) {
			const initial = (statusIfNew ?? status) as MailchimpMemberStatus | undefined;
			if (!initial) {
				return invalidResource([
					{ field: 'status_if_new', message: 'This value should not be blank.' },
				]);
			}
			const member: MailchimpMember = {
				listId,
				emailAddress: email,
				status: initial,
				mergeFields: { ...((mergeFields as Record<string, unknown> | undefined) ?? {}) },
				uniqueEmailId: randomHex(10),
				webId: this.nextWebId++,
				timestampSignupMs: nowMs,
				timestampOptMs: initial === 'subscribed' ? nowMs : undefined,
				lastChangedMs: nowMs,
			};
			this.members.set(key, member);
			if (initial === 'pending') this.sentConfirmations.push({ listId, email, sentAtMs: nowMs });
			return { status: 200, body: this.resource(member) };
		}

		const next = status as MailchimpMemberStatus | undefined;
		if (
			next === 'subscribed' &&
			(existing.status === 'unsubscribed' || existing.status === 'cleaned')
		) {
			// Mailchimp will not re-subscribe by API someone who left; 'pending' asks them again.
			return problem(
				400,
				'Member In Compliance State',
				`${existing.emailAddress} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`,
			);
		}
		if (mergeFields) Object.assign(existing.mergeFields, mergeFields);
		existing.emailAddress = email;
		if (next) {
			if (next === 'pending') this.sentConfirmations.push({ listId, email, sentAtMs: nowMs });
			if (next === 'subscribed' && existing.status !== 'subscribed')
				existing.timestampOptMs = nowMs;
			existing.status = next;
		}
		existing.lastChangedMs = nowMs;
		return { status: 200, body: this.resource(existing) };
	}

	private resource(member: MailchimpMember): Record<string, unknown> {
		const hash = subscriberHash(member.emailAddress);
		const fields = member.mergeFields;
		const fullName = [fields.FNAME, fields.LNAME]
			.filter((part) => typeof part === 'string' && part !== '')
			.join(' ');
		return {
			id: hash,
			email_address: member.emailAddress,
			unique_email_id: member.uniqueEmailId,
			contact_id: hash,
			full_name: fullName,
			web_id: member.webId,
			email_type: 'html',
			status: member.status,
			merge_fields: { ...fields },
			interests: {},
			stats: { avg_open_rate: 0, avg_click_rate: 0 },
			ip_signup: '',
			timestamp_signup: member.timestampSignupMs ? isoSeconds(member.timestampSignupMs) : '',
			ip_opt: '',
			timestamp_opt: member.timestampOptMs ? isoSeconds(member.timestampOptMs) : '',
			member_rating: 2,
			last_changed: isoSeconds(member.lastChangedMs),
			language: '',
			vip: false,
			email_client: '',
			location: {
				latitude: 0,
				longitude: 0,
				gmtoff: 0,
				dstoff: 0,
				country_code: '',
				timezone: '',
				region: '',
			},
			source: 'API - Generic',
			tags_count: 0,
			tags: [],
			list_id: member.listId,
			_links: [],
		};
	}
}
