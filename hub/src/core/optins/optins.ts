import type { Actions } from '../actions';
import type { Artists } from '../artists';
import type { Consents } from '../consents';
import { HubError } from '../errors';
import { newEvent, type ConsentReference, type EventType } from '../events';
import type { Fans } from '../fans';
import type { FutureSaves } from '../future-saves';
import { normalizeIdentity, type Channel, type Identity } from '../identities';
import { enqueueJob } from '../jobs';
import type { Action, Consent, Fan } from '../model';
import type { Webhooks } from '../webhooks';
import type { ListDoubleOptIn } from '../messaging';
import { classifyKeyword } from './keywords';
import type { LinkTokens } from './link-tokens';
import type { SqlExecutor, SqlStore } from '../../store/sql-store';

export type OptInChannel = 'sms' | 'email';

export const OPT_IN_CHANNELS: readonly OptInChannel[] = ['sms', 'email'];

/** The identity channel an opt-in channel reaches a fan on. */
export const IDENTITY_OF: Record<OptInChannel, Channel> = { sms: 'phone', email: 'email' };

const CONFIRM_LINK_LIFETIME_MS = 48 * 3_600_000;
const UNSUBSCRIBE_LINK_LIFETIME_MS = 365 * 24 * 3_600_000;

export const TRANSACTIONAL_JOB = 'send_transactional';
export const LIST_OPT_IN_JOB = 'list_double_optin';
export const LIST_OPT_IN_POLL_JOB = 'list_double_optin_poll';

/** How often a list provider without a redirect is asked whether the fan confirmed, and for how long. */
const LIST_POLL_INTERVAL_MS = 5 * 60_000;
const LIST_POLL_GIVE_UP_MS = 7 * 24 * 3_600_000;

export interface OptInProgram {
	/** Names the sender of messages that belong to no artist's campaign; an artist's own carry the artist's name. */
	name: string;
	helpText: string;
	/** Channels a STOP (or an unsubscribe) revokes, besides the one it came in on. */
	stopSuppresses: OptInChannel[];
	publicUrl: string;
}

export interface OptInRequest {
	channel: OptInChannel;
	/** Phone (any format, with `country` as hint) or email address; without it, the one on record for `fanId`. */
	address?: string;
	country?: string;
	timezone?: string;
	fanId?: string;
	campaignId?: string | null;
	parentActionId?: string | null;
	wording: string;
	wordingVersion?: string | null;
	purpose?: string;
	source?: string | null;
	ip?: string | null;
	userAgent?: string | null;
}

export interface OptInResult {
	fan: Fan;
	consent: Consent;
	/** The pending opt-in action, so that the next layer can name it as its parent. */
	action: Action | null;
	created: boolean;
}

export interface TransactionalMessage {
	channel: OptInChannel;
	to: string;
	subject?: string;
	text: string;
	html?: string;
	headers?: Record<string, string>;
}

export type LinkOutcome =
	| 'confirmed'
	| 'already_confirmed'
	| 'unsubscribed'
	| 'already_unsubscribed'
	| 'expired'
	| 'invalid';

function reference(consent: Consent, channel: OptInChannel): ConsentReference {
	return { id: consent.id, channel, purpose: consent.purpose, status: consent.status };
}

function channelOf(consent: Consent): OptInChannel {
	return consent.channel === 'phone' ? 'sms' : 'email';
}

/**
 * SMS and email opt-ins, lawful by default: double opt-in with the exact wording kept
 * as proof, confirmation that says how to stop, STOP honoured at once on every channel
 * the program names. Messages to the fan go through the job queue, so a provider that
 * is down delays them instead of losing them.
 */
export interface OptInDependencies {
	store: SqlStore;
	fans: Fans;
	actions: Actions;
	consents: Consents;
	webhooks: Webhooks;
	links: LinkTokens;
	/** Whose name a message carries: the artist of the campaign it belongs to. */
	artists: Artists;
	/** A STOP or an unsubscribe also ends the fan's "save every release". */
	futureSaves: FutureSaves;
	program: OptInProgram;
	clock: () => number;
	onQueued: () => void;
	/** When set, email double opt-in runs through this list provider instead of the hub's own link. */
	listOptIn?: ListDoubleOptIn;
}

export class OptIns {
	private readonly store: SqlStore;
	private readonly fans: Fans;
	private readonly actions: Actions;
	private readonly consents: Consents;
	private readonly webhooks: Webhooks;
	private readonly links: LinkTokens;
	private readonly artists: Artists;
	private readonly futureSaves: FutureSaves;
	private readonly program: OptInProgram;
	private readonly clock: () => number;
	private readonly onQueued: () => void;
	private readonly listOptIn: ListDoubleOptIn | undefined;

	constructor(dependencies: OptInDependencies) {
		({
			store: this.store,
			fans: this.fans,
			actions: this.actions,
			consents: this.consents,
			webhooks: this.webhooks,
			links: this.links,
			artists: this.artists,
			futureSaves: this.futureSaves,
			program: this.program,
			clock: this.clock,
			onQueued: this.onQueued,
			listOptIn: this.listOptIn,
		} = dependencies);
	}

	/** Records a pending consent with its proof and queues the confirmation request. A repeat changes nothing. */
	async request(input: OptInRequest): Promise<OptInResult> {
		const identity = input.address
			? normalizeIdentity(IDENTITY_OF[input.channel], input.address, input.country)
			: await this.addressOnRecord(input.channel, input.fanId);
		const result = await this.fans.transactionClaimingIdentities(async (tx) => {
			const fanId = await this.fanFor(tx, identity.channel, identity.value, input);
			const existing = (await this.consents.open(fanId, identity.channel, tx)).find(
				(consent) => consent.purpose === (input.purpose ?? 'marketing'),
			);
			if (existing) {
				const action = existing.actionId
					? await this.actions.getWithin(tx, existing.actionId)
					: null;
				return { fan: await this.fans.get(fanId, tx), consent: existing, action, created: false };
			}

			const { action } = await this.actions.recordWithin(
				tx,
				{
					fanId,
					campaignId: input.campaignId,
					kind: input.channel === 'sms' ? 'optin_sms' : 'optin_email',
					platform: input.channel,
					status: 'pending',
					verification: 'soft',
					source: input.source,
					parentActionId: input.parentActionId,
				},
				'optin.requested',
			);
			const consent = await this.consents.request(
				fanId,
				{
					channel: identity.channel,
					purpose: input.purpose ?? 'marketing',
					wording: input.wording,
					wordingVersion: input.wordingVersion,
					source: input.source,
					ip: input.ip,
					userAgent: input.userAgent,
					actionId: action.id,
				},
				tx,
			);
			const sender = await this.senderOf(tx, input.campaignId);
			await this.queueConfirmationRequest(tx, input.channel, identity.value, consent, sender);
			return { fan: await this.fans.get(fanId, tx), consent, action, created: true };
		});
		if (result.created) this.onQueued();
		return result;
	}

	/** Follows a confirmation link; single-use by the consent's own state. */
	async confirmByLink(token: string): Promise<LinkOutcome> {
		const claims = this.links.read(token, 'confirm');
		if (!claims) return 'invalid';
		if (claims.expiresAtMs < this.clock()) return 'expired';
		const outcome = await this.store.transaction(async (tx) => {
			const consent = await this.consents.get(claims.consentId, tx).catch(() => undefined);
			if (!consent || consent.status === 'revoked') return 'invalid';
			if (consent.status === 'granted') return 'already_confirmed';
			await this.grant(tx, consent);
			return 'confirmed';
		});
		if (outcome === 'confirmed') this.onQueued();
		return outcome;
	}

	/** Follows an unsubscribe link (or its one-click POST): revokes that channel and the ones STOP covers. */
	async unsubscribeByLink(token: string): Promise<LinkOutcome> {
		const claims = this.links.read(token, 'unsubscribe');
		if (!claims) return 'invalid';
		if (claims.expiresAtMs < this.clock()) return 'expired';
		const consent = await this.consents.get(claims.consentId).catch(() => undefined);
		if (!consent) return 'invalid';
		const revoked = await this.optOut(
			consent.fanId,
			[channelOf(consent)],
			'email_unsubscribe_link',
		);
		return revoked.length > 0 ? 'unsubscribed' : 'already_unsubscribed';
	}

	/** Revokes every open consent on the channels (plus those the program ties to STOP); returns what it revoked. */
	async optOut(fanId: string, channels: OptInChannel[], method: string): Promise<Consent[]> {
		const targets = [...new Set([...channels, ...this.program.stopSuppresses])];
		const revoked = await this.store.transaction(async (tx) => {
			const fan = await this.fans.resolve(tx, fanId);
			const done: Consent[] = [];
			for (const channel of targets) {
				for (const consent of await this.consents.open(fan.id, IDENTITY_OF[channel], tx)) {
					const closed = await this.consents.revoke(consent.id, method, tx);
					if (consent.actionId && consent.status === 'pending') {
						await this.actions.settleWithin(tx, consent.actionId, 'skipped', 'soft');
					}
					await this.webhooks.enqueue(
						tx,
						newEvent('optin.revoked', this.clock(), null, {
							fan: { id: fan.id },
							consent: reference(closed, channel),
						}),
					);
					done.push(closed);
				}
			}
			await this.futureSaves.endWithin(tx, fan.id, method);
			return done;
		});
		if (revoked.length > 0) this.onQueued();
		return revoked;
	}

	/** The fan's standing on a channel: the newest open consent, else the newest revoked one, else none. */
	async status(
		fanId: string,
		channel: OptInChannel,
	): Promise<{ status: Consent['status'] | 'none'; consent: Consent | null }> {
		const fan = await this.fans.resolve(this.store, fanId);
		const all = (await this.consents.list(fan.id)).filter(
			(consent) => consent.channel === IDENTITY_OF[channel],
		);
		const current =
			[...all].reverse().find((consent) => consent.status !== 'revoked') ??
			all[all.length - 1] ??
			null;
		return { status: current?.status ?? 'none', consent: current };
	}

	/** The granted consent that allows marketing on this channel, if any. */
	async grantedConsent(
		fanId: string,
		channel: OptInChannel,
		tx: SqlExecutor = this.store,
	): Promise<Consent | undefined> {
		return (await this.consents.open(fanId, IDENTITY_OF[channel], tx)).find(
			(consent) => consent.status === 'granted',
		);
	}

	/**
	 * An inbound SMS (already authenticated by the caller). Answers the reply text, or
	 * nothing when no reply is due (carriers confirm STOP themselves).
	 */
	async inboundSms(from: string, body: string): Promise<string | undefined> {
		const phone = normalizeIdentity('phone', from).value;
		const keyword = classifyKeyword(body);
		const owner = await this.store.get<{ fan_id: string }>(
			`SELECT fan_id FROM identities WHERE channel = 'phone' AND external_id = $1`,
			[phone],
		);
		switch (keyword.kind) {
			case 'stop':
				if (owner) await this.optOut(owner.fan_id, ['sms'], 'sms_stop');
				return undefined;
			case 'help':
				return owner
					? this.helpText(await this.senderOfFan(this.store, owner.fan_id, 'phone'))
					: this.program.helpText;
			case 'start':
				return this.resubscribe(owner?.fan_id, body);
			case 'confirm':
				return owner ? this.confirmBySms(owner.fan_id) : undefined;
			case 'custom':
				await this.keywordEvent(phone, owner?.fan_id, keyword.word);
				return undefined;
		}
	}

	/** Unsubscribe headers and footer for a marketing email, signed for the consent that allows it. */
	unsubscribeLink(consentId: string): string {
		const token = this.links.issue({
			consentId,
			purpose: 'unsubscribe',
			expiresAtMs: this.clock() + UNSUBSCRIBE_LINK_LIFETIME_MS,
		});
		return `${this.program.publicUrl}/unsubscribe?token=${token}`;
	}

	private async confirmBySms(fanId: string): Promise<string | undefined> {
		const reply = await this.store.transaction(async (tx) => {
			const pending = (await this.consents.open(fanId, 'phone', tx)).find(
				(consent) => consent.status === 'pending',
			);
			if (!pending) return undefined;
			await this.grant(tx, { ...pending, fanId });
			return this.confirmedText('sms', await this.senderOfFan(tx, fanId, 'phone'));
		});
		if (reply) this.onQueued();
		return reply;
	}

	private async resubscribe(fanId: string | undefined, body: string): Promise<string | undefined> {
		if (!fanId) return undefined;
		const sender = await this.senderOfFan(this.store, fanId, 'phone');
		await this.store.transaction(async (tx) => {
			if (await this.grantedConsent(fanId, 'sms', tx)) return;
			const consent = await this.consents.request(
				fanId,
				{
					channel: 'phone',
					purpose: 'marketing',
					wording: `Texted "${body.trim()}" to resubscribe`,
					source: 'sms_keyword',
					status: 'granted',
				},
				tx,
			);
			await this.emit(tx, 'optin.confirmed', fanId, { consent: reference(consent, 'sms') });
		});
		this.onQueued();
		return `${sender}: you are subscribed again. Reply STOP to opt out, HELP for help.`;
	}

	private async keywordEvent(
		phone: string,
		fanId: string | undefined,
		word: string,
	): Promise<void> {
		await this.store.transaction(async (tx) => {
			const id = fanId ?? (await this.fanFor(tx, 'phone', phone, {}).catch(() => undefined));
			if (id) await this.emit(tx, 'keyword.received', id, { keyword: { word, channel: 'sms' } });
		});
		this.onQueued();
	}

	private async grant(
		tx: SqlExecutor,
		consent: Consent & { fanId: string; actionId: string | null },
	): Promise<void> {
		const granted = await this.consents.confirm(consent.id, tx);
		const channel = channelOf(granted);
		const action = consent.actionId
			? await this.actions.settleWithin(tx, consent.actionId, 'done', 'hard')
			: undefined;
		await this.emit(
			tx,
			'optin.confirmed',
			consent.fanId,
			{ consent: reference(granted, channel), action },
			action?.campaignId,
		);
		const address = await tx.get<{ external_id: string }>(
			'SELECT external_id FROM identities WHERE fan_id = $1 AND channel = $2',
			[consent.fanId, granted.channel],
		);
		// An SMS confirmation is answered in the reply to YES; a list provider welcomes the fan itself.
		if (channel === 'email' && address && !this.listOptIn) {
			const unsubscribe = this.unsubscribeLink(granted.id);
			const sender = await this.senderOf(tx, action?.campaignId);
			await this.queueTransactional(tx, {
				channel,
				to: address.external_id,
				subject: `You're subscribed to ${sender}`,
				text: `${this.confirmedText('email', sender)}\n\nUnsubscribe at any time: ${unsubscribe}`,
				headers: {
					'List-Unsubscribe': `<${unsubscribe}>`,
					'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
				},
			});
		}
	}

	private confirmedText(channel: OptInChannel, sender: string): string {
		return channel === 'sms'
			? `${sender}: you're in. Msg & data rates may apply. Reply STOP to opt out, HELP for help.`
			: `You're in: ${sender} will email you about new releases. Every email has a one-click unsubscribe link.`;
	}

	/** HELP for a fan an artist texts: the artist's name and how to stop; the program's own text otherwise. */
	private helpText(sender: string): string {
		return sender === this.program.name
			? this.program.helpText
			: `${sender}: release news by text. Msg & data rates may apply. Reply STOP to opt out.`;
	}

	/** The sender of what belongs to a campaign: its artist's name, else the program's. */
	private async senderOf(tx: SqlExecutor, campaignId: string | null | undefined): Promise<string> {
		return (await this.artists.senderOfCampaign(campaignId, tx)) ?? this.program.name;
	}

	/** The sender a fan knows on a channel: the artist of the campaign of their newest consent there. */
	private async senderOfFan(tx: SqlExecutor, fanId: string, channel: Channel): Promise<string> {
		const row = await tx.get<{ campaign_id: string }>(
			`SELECT a.campaign_id FROM consents c JOIN actions a ON a.id = c.action_id
			 WHERE c.fan_id = $1 AND c.channel = $2 AND a.campaign_id IS NOT NULL ORDER BY c.id DESC LIMIT 1`,
			[fanId, channel],
		);
		return this.senderOf(tx, row?.campaign_id);
	}

	/** The job that asks the fan to confirm: YES by text, our own signed link by email, or the list provider's mail. */
	private async queueConfirmationRequest(
		tx: SqlExecutor,
		channel: OptInChannel,
		address: string,
		consent: Consent,
		sender: string,
	): Promise<void> {
		if (channel === 'sms') {
			await this.queueTransactional(tx, {
				channel,
				to: address,
				text: `${sender}: reply YES to get updates by text. Msg & data rates may apply. Reply STOP to opt out, HELP for help.`,
			});
			return;
		}
		if (this.listOptIn) {
			await enqueueJob(
				tx,
				LIST_OPT_IN_JOB,
				{ consentId: consent.id, email: address },
				this.clock(),
				this.clock(),
			);
			return;
		}
		const link = `${this.program.publicUrl}/optin/confirm?token=${this.confirmToken(consent.id)}`;
		await this.queueTransactional(tx, {
			channel,
			to: address,
			subject: `Confirm your subscription to ${sender}`,
			text: `Please confirm that you want emails from ${sender}:\n\n${link}\n\nThe link works for 48 hours. If you did not ask for this, ignore this email and nothing happens.`,
		});
	}

	private confirmToken(consentId: string): string {
		return this.links.issue({
			consentId,
			purpose: 'confirm',
			expiresAtMs: this.clock() + CONFIRM_LINK_LIFETIME_MS,
		});
	}

	/** Job: hands the address to the list provider, which mails its own confirmation. */
	async requestListOptIn(consentId: string, email: string): Promise<void> {
		if (!this.listOptIn) return;
		// The provider sends the fan here after they confirm (Brevo); the token makes the page confirm this consent only.
		await this.listOptIn.request(
			email,
			`${this.program.publicUrl}/optin/confirmed?token=${this.confirmToken(consentId)}`,
		);
		if (this.listOptIn.status) {
			await this.store.transaction((tx) =>
				enqueueJob(
					tx,
					LIST_OPT_IN_POLL_JOB,
					{ consentId, email },
					this.clock() + LIST_POLL_INTERVAL_MS,
					this.clock(),
				),
			);
		}
	}

	/** Job: asks a provider without a redirect (Mailchimp) whether the fan confirmed; asks again later while pending. */
	async pollListOptIn(consentId: string, email: string): Promise<void> {
		if (!this.listOptIn?.status) return;
		const consent = await this.consents.get(consentId).catch(() => undefined);
		if (!consent || consent.status !== 'pending') return;
		const status = await this.listOptIn.status(email);
		if (status === 'subscribed') {
			await this.store.transaction((tx) => this.grant(tx, consent));
			this.onQueued();
		} else if (status === 'unsubscribed') {
			await this.optOut(consent.fanId, ['email'], `${this.listOptIn.provider}_unsubscribed`);
		} else if (this.clock() - Date.parse(consent.requestedAt) < LIST_POLL_GIVE_UP_MS) {
			await this.store.transaction((tx) =>
				enqueueJob(
					tx,
					LIST_OPT_IN_POLL_JOB,
					{ consentId, email },
					this.clock() + LIST_POLL_INTERVAL_MS,
					this.clock(),
				),
			);
		}
	}

	private async queueTransactional(tx: SqlExecutor, message: TransactionalMessage): Promise<void> {
		await enqueueJob(tx, TRANSACTIONAL_JOB, { ...message }, this.clock(), this.clock());
	}

	private async emit(
		tx: SqlExecutor,
		type: EventType,
		fanId: string,
		data: Omit<Parameters<typeof newEvent>[3], 'fan'>,
		campaignId: string | null = null,
	): Promise<void> {
		await this.webhooks.enqueue(
			tx,
			newEvent(type, this.clock(), campaignId, { fan: { id: fanId }, ...data }),
		);
	}

	private async addressOnRecord(
		channel: OptInChannel,
		fanId: string | undefined,
	): Promise<Identity> {
		if (!fanId) {
			throw new HubError(
				'validation_failed',
				`Give the fan's ${channel === 'sms' ? 'phone number' : 'email address'} or their fan id.`,
			);
		}
		const fan = await this.fans.get(fanId);
		const identity = fan.identities.find((known) => known.channel === IDENTITY_OF[channel]);
		if (!identity) {
			throw new HubError(
				'validation_failed',
				`Fan ${fanId} has no ${channel === 'sms' ? 'phone number' : 'email address'} on record; give one in the request.`,
			);
		}
		return identity;
	}

	/** The fan who owns the address, the fan named by id (given the address), or a new fan: the ledger's one link. */
	private async fanFor(
		tx: SqlExecutor,
		channel: Channel,
		value: string,
		profile: { fanId?: string; country?: string; timezone?: string },
	): Promise<string> {
		const { fanId, ...rest } = profile;
		const linked = await this.fans.linkWithin(
			tx,
			{ channel, value },
			{ fanId, profile: rest, whenOwnedByAnother: 'refuse' },
		);
		return linked.fanId;
	}
}
