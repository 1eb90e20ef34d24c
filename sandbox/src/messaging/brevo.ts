import { SandboxClock } from '../core/clock';
import type { Faults } from '../core/faults';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import { header, jsonObjectBody, looksLikeEmail } from './support';

const DOI_PATH = '/v3/contacts/doubleOptinConfirmation';
const CONTACT_PATH = /^\/v3\/contacts\/([^/]+)$/;

export interface BrevoStandInOptions {
	/** Sent by clients in the `api-key` header. */
	apiKey: string;
	/** Contact list ids that exist in the account. */
	listIds: number[];
	/** Ids of the account's double opt-in (DOI) templates. */
	doiTemplateIds: number[];
	clock?: SandboxClock;
}

export type BrevoAttributeValue = string | number | boolean | string[];

export interface BrevoDoiRequest {
	email: string;
	includeListIds: number[];
	excludeListIds: number[];
	templateId: number;
	redirectionUrl: string;
	attributes: Record<string, BrevoAttributeValue>;
	requestedAtMs: number;
}

export interface BrevoContact {
	id: number;
	email: string;
	listIds: number[];
	attributes: Record<string, BrevoAttributeValue>;
	/** True once the fan clicked the link in the DOI email. */
	doubleOptInConfirmed: boolean;
	createdAtMs: number;
	modifiedAtMs: number;
}

function brevoError(status: number, code: string, message: string): StandInResponse {
	return { status, body: { code, message } };
}

function isIdList(value: unknown): value is number[] {
	return Array.isArray(value) && value.every((id) => Number.isInteger(id) && (id as number) > 0);
}

function isAttributeValue(value: unknown): value is BrevoAttributeValue {
	return (
		typeof value === 'string' ||
		typeof value === 'number' ||
		typeof value === 'boolean' ||
		(Array.isArray(value) && value.every((item) => typeof item === 'string'))
	);
}

/**
 * Brevo's contacts API on loopback, for its double opt-in flow: `POST
 * /v3/contacts/doubleOptinConfirmation` records the DOI email (201 for a new contact, 204
 * for a known one); `confirm` plays the fan's click, which is when the contact joins the lists.
 */
export class BrevoStandIn {
	readonly server: HttpStandIn;
	readonly clock: SandboxClock;
	private readonly contacts = new Map<string, BrevoContact>();
	private readonly doiRequests: BrevoDoiRequest[] = [];
	private nextContactId = 1;

	constructor(private readonly options: BrevoStandInOptions) {
		this.clock = options.clock ?? new SandboxClock();
		this.server = new HttpStandIn('Brevo', (request) => this.handle(request), this.clock);
	}

	start(port = 0): Promise<string> {
		return this.server.start(port);
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	/** The API root, as `https://api.brevo.com/v3`. */
	get url(): string {
		return `${this.server.url}/v3`;
	}

	get faults(): Faults {
		return this.server.faults;
	}

	/** Every DOI email Brevo would have sent, oldest first. */
	doubleOptInRequests(): BrevoDoiRequest[] {
		return this.doiRequests.map((request) => ({ ...request }));
	}

	contact(email: string): BrevoContact | undefined {
		const contact = this.contacts.get(email.trim().toLowerCase());
		return contact && { ...contact, listIds: [...contact.listIds] };
	}

	/**
	 * The fan clicks the link in the latest DOI email: the contact joins its lists and takes
	 * its attributes. Returns where Brevo then redirects the fan (`redirectionUrl`).
	 */
	confirm(email: string): string {
		const key = email.trim().toLowerCase();
		const request = [...this.doiRequests].reverse().find((entry) => entry.email === key);
		const contact = this.contacts.get(key);
		if (!request || !contact) throw new Error(`no double opt-in email was sent to ${email}`);
		const lists = new Set(contact.listIds);
		for (const id of request.includeListIds) lists.add(id);
		for (const id of request.excludeListIds) lists.delete(id);
		contact.listIds = [...lists].sort((a, b) => a - b);
		Object.assign(contact.attributes, request.attributes);
		contact.doubleOptInConfirmed = true;
		contact.modifiedAtMs = this.clock.now();
		return request.redirectionUrl;
	}

	private handle(request: StandInRequest): StandInResponse {
		const apiKey = header(request, 'api-key');
		if (!apiKey || apiKey !== this.options.apiKey) {
			return brevoError(401, 'unauthorized', 'Key not found');
		}
		if (request.path === DOI_PATH) {
			if (request.method !== 'POST') {
				return brevoError(405, 'method_not_allowed', 'Method not allowed');
			}
			return this.doubleOptIn(request);
		}
		const contactMatch = CONTACT_PATH.exec(request.path);
		if (contactMatch && request.method === 'GET') {
			const identifier = decodeURIComponent(contactMatch[1]).toLowerCase();
			const contact = /^\d+$/.test(identifier)
				? [...this.contacts.values()].find((entry) => entry.id === Number(identifier))
				: this.contacts.get(identifier);
			if (!contact) return brevoError(404, 'document_not_found', 'Contact does not exist');
			return { status: 200, body: this.resource(contact) };
		}
		return brevoError(404, 'document_not_found', 'Invalid route');
	}

	private doubleOptIn(request: StandInRequest): StandInResponse {
		const body = jsonObjectBody(request);
		if (!body) return brevoError(400, 'bad_request', 'Input must be a valid JSON object');
		for (const field of ['email', 'includeListIds', 'templateId', 'redirectionUrl'] as const) {
			if (body[field] === undefined || body[field] === null || body[field] === '') {
				return brevoError(400, 'missing_parameter', `${field} is missing`);
			}
		}
		const { email, includeListIds, excludeListIds, templateId, redirectionUrl, attributes } = body;
		if (typeof email !== 'string' || !looksLikeEmail(email.trim())) {
			return brevoError(400, 'invalid_parameter', 'Invalid email address');
		}
		if (!isIdList(includeListIds) || includeListIds.length === 0) {
			return brevoError(400, 'invalid_parameter', 'includeListIds should be an array of list ids');
		}
		if (excludeListIds !== undefined && !isIdList(excludeListIds)) {
			return brevoError(400, 'invalid_parameter', 'excludeListIds should be an array of list ids');
		}
		const unknownList = [...includeListIds, ...(excludeListIds ?? [])].find(
			(id) => !this.options.listIds.includes(id),
		);
		if (unknownList !== undefined) {
			return brevoError(400, 'invalid_parameter', `List ID ${unknownList} does not exist`);
		}
		if (
			!Number.isInteger(templateId) ||
			!this.options.doiTemplateIds.includes(templateId as number)
		) {
			return brevoError(
				400,
				'invalid_parameter',
				'templateId is not a valid double opt-in template',
			);
		}
		if (typeof redirectionUrl !== 'string' || !/^https?:\/\/\S+$/.test(redirectionUrl)) {
			return brevoError(400, 'invalid_parameter', 'redirectionUrl should be a valid URL');
		}
		if (
			attributes !== undefined &&
			(attributes === null ||
				typeof attributes !== 'object' ||
				Array.isArray(attributes) ||
				!Object.values(attributes).every(isAttributeValue))
		) {
			return brevoError(
				400,
				'invalid_parameter',
				'attributes values should be strings, numbers, booleans or arrays of strings',
			);
		}

		const nowMs = this.clock.now();
		const key = email.trim().toLowerCase();
		this.doiRequests.push({
			email: key,
			includeListIds: [...includeListIds],
			excludeListIds: [...(excludeListIds ?? [])],
			templateId: templateId as number,
			redirectionUrl,
			attributes: { ...((attributes as Record<string, BrevoAttributeValue> | undefined) ?? {}) },
			requestedAtMs: nowMs,
		});
		const existing = this.contacts.get(key);
		if (existing) {
			existing.modifiedAtMs = nowMs;
			return { status: 204 };
		}
		// The contact exists from now on, but joins no list until the fan confirms.
		this.contacts.set(key, {
			id: this.nextContactId++,
			email: key,
			listIds: [],
			attributes: {},
			doubleOptInConfirmed: false,
			createdAtMs: nowMs,
			modifiedAtMs: nowMs,
		});
		return { status: 201 };
	}

	private resource(contact: BrevoContact): Record<string, unknown> {
		return {
			email: contact.email,
			id: contact.id,
			emailBlacklisted: false,
			smsBlacklisted: false,
			createdAt: new Date(contact.createdAtMs).toISOString(),
			modifiedAt: new Date(contact.modifiedAtMs).toISOString(),
			attributes: { ...contact.attributes },
			listIds: [...contact.listIds],
			statistics: {},
		};
	}
}
