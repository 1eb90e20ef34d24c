import { setTimeout as sleep } from 'node:timers/promises';
import {
	CommunityPlatformError,
	DISCORD_INVITE_LIFETIME_MS,
	discordInviteUrl,
	type CommunityInvites,
	type CommunityMessenger,
	type DiscordReleaseRole,
} from '../core/community/ports';
import {
	ProviderUnreachable,
	retryAfterMsFromSeconds,
	sendProviderRequest,
	type ProviderResponse,
} from './http-client';
import type { Pacer } from '../core/pacing';
import { RollingBudget } from '../core/rolling-budget';

export interface DiscordConfig {
	botToken: string;
	/** The artist's server. */
	guildId: string;
	/** The opt-in "release updates" role that announcements ping. */
	releaseRoleId: string;
	announcementChannelId: string;
	/** Where single-use invites lead; defaults to the announcement channel. */
	inviteChannelId?: string;
	/** Default https://discord.com/api (discord.js's `rest.api`); the version is appended. */
	apiRoot?: string;
	/** Discord's global budget per bot; default 50. */
	requestsPerSecond?: number;
}

export const DISCORD_API_ROOT = 'https://discord.com/api';
const API_VERSION = 'v10';
const MAX_MESSAGE_CHARS = 2000;
/** Waiting out a spent bucket is better than a 429 (they count toward Discord's IP ban); past this, let the caller reschedule. */
const MAX_INLINE_WAIT_MS = 5_000;
const MAX_CACHED_DM_CHANNELS = 100_000;
/** Discord counts requests when they arrive; a little under its budget absorbs the network's jitter. */
const BUDGET_SHARE = 0.9;

// Discord JSON error codes the hub acts on.
const UNKNOWN_MEMBER = 10007;
const CANNOT_MESSAGE_USER = 50007;
const MISSING_ACCESS = 50001;
const MISSING_PERMISSIONS = 50013;

const MANAGE_ROLES = 1n << 28n;
const MENTION_EVERYONE = 1n << 17n;
const ADMINISTRATOR = 1n << 3n;

interface DiscordRefusal {
	status: number;
	code?: number;
	message: string;
}

interface DiscordRole {
	id: string;
	name: string;
	position: number;
	permissions: string;
	mentionable: boolean;
}

/**
 * Discord's REST API as the hub's community core needs it: DMs, the announcement that
 * pings the release-updates role, granting and revoking that role, single-use invites.
 *
 * Requests stay within the bot's global budget (any rolling second) and each route's bucket
 * (X-RateLimit-Remaining / -Reset-After) is waited out before it is spent again, because
 * every 429 counts toward the 10,000-invalid-requests ban. A 429 still arriving becomes
 * `rate_limited` with Discord's `retry_after`.
 */
export class DiscordRestClient implements CommunityMessenger, DiscordReleaseRole, CommunityInvites {
	readonly platform = 'discord' as const;
	/** A first DM to a fan costs two requests (open the DM channel, then post). */
	readonly messagesPerSecond: number;
	private readonly baseUrl: string;
	private readonly budget: RollingBudget;
	/** The bot's budget shared with the other hub processes on the same database, when there are any. */
	private readonly sharedBudget: Pacer | undefined;
	/** When each spent route bucket refills. */
	private readonly spentUntilMs = new Map<string, number>();
	private globalResumeAtMs = 0;
	private readonly dmChannels = new Map<string, string>();

	constructor(
		private readonly config: DiscordConfig,
		shareBudget?: (requestsPerSecond: number) => Pacer,
	) {
		const requestsPerSecond = Math.floor((config.requestsPerSecond ?? 50) * BUDGET_SHARE);
		this.messagesPerSecond = requestsPerSecond / 2;
		// Discord's global limit is per rolling second.
		this.budget = new RollingBudget(requestsPerSecond, 1000);
		this.sharedBudget = shareBudget?.(requestsPerSecond);
		this.baseUrl = `${(config.apiRoot ?? DISCORD_API_ROOT).replace(/\/$/, '')}/${API_VERSION}`;
	}

	async sendDirect(userId: string, text: string): Promise<{ messageId: string }> {
		checkLength(text);
		let channelId = this.dmChannels.get(userId);
		if (!channelId) {
			const channel = await this.call<{ id: string }>('POST', '/users/@me/channels', {
				recipient_id: userId,
			});
			channelId = channel.id;
			// A cache, not a record: dropped whole when large, a DM channel is simply opened again.
			if (this.dmChannels.size >= MAX_CACHED_DM_CHANNELS) this.dmChannels.clear();
			this.dmChannels.set(userId, channelId);
		}
		const message = await this.call<{ id: string }>('POST', `/channels/${channelId}/messages`, {
			content: text,
			allowed_mentions: { parse: [] },
		});
		return { messageId: message.id };
	}

	async announce(text: string): Promise<{ messageId: string }> {
		const { releaseRoleId, announcementChannelId } = this.config;
		const content = `<@&${releaseRoleId}> ${text}`;
		checkLength(content);
		// Release day is this one post: posting it when it would ping nobody is worse than saying why not.
		const problem = await this.pingProblem();
		if (problem) {
			throw new CommunityPlatformError(
				'discord',
				'not_allowed',
				`The announcement was not posted because it would ping nobody: ${problem}.`,
			);
		}
		const message = await this.call<{ id: string }>(
			'POST',
			`/channels/${announcementChannelId}/messages`,
			{
				content,
				// Ping only the opt-in role, never @everyone or whoever the text happens to name.
				allowed_mentions: { parse: [], roles: [releaseRoleId] },
			},
		);
		return { messageId: message.id };
	}

	async grant(userId: string): Promise<void> {
		await this.changeRole('PUT', userId);
	}

	async revoke(userId: string): Promise<void> {
		await this.changeRole('DELETE', userId);
	}

	async discordInvite(): Promise<{ code: string; url: string }> {
		const channelId = this.config.inviteChannelId ?? this.config.announcementChannelId;
		const invite = await this.call<{ code: string }>('POST', `/channels/${channelId}/invites`, {
			max_age: DISCORD_INVITE_LIFETIME_MS / 1000,
			max_uses: 1,
			// A fresh code per fan, so the join that uses it up names the fan.
			unique: true,
		});
		return { code: invite.code, url: discordInviteUrl(invite.code) };
	}

	/**
	 * Why the bot may not manage the release-updates role, in words for the marketer, or
	 * `undefined` when it may. Discord only lets a bot change roles below its own highest
	 * role, and only with Manage Roles.
	 */
	async roleHierarchyProblem(): Promise<string | undefined> {
		const { target, highest, permissions } = await this.standing();
		if (!target) return this.missingRole();
		if (!allows(permissions, MANAGE_ROLES)) {
			return 'the bot lacks the Manage Roles permission; give its role Manage Roles in Server Settings → Roles';
		}
		if (!highest || highest.position <= target.position) {
			return `the “${target.name}” role sits above the bot’s highest role${highest ? ` (“${highest.name}”)` : ''}; in Server Settings → Roles, drag the bot’s role above “${target.name}”`;
		}
		return undefined;
	}

	/**
	 * Why an announcement would ping nobody, or `undefined` when it pings the role: Discord
	 * drops a role mention unless the role is mentionable or the bot may mention everyone.
	 */
	async pingProblem(): Promise<string | undefined> {
		const { target, permissions } = await this.standing();
		if (!target) return this.missingRole();
		if (target.mentionable || allows(permissions, MENTION_EVERYONE)) return undefined;
		return `the “${target.name}” role is not mentionable and the bot lacks “Mention @everyone, @here and All Roles”; turn on “Allow anyone to @mention this role” for “${target.name}” in Server Settings → Roles, or give the bot that permission`;
	}

	/** The release-updates role, the bot's highest role and its server-wide permissions. */
	private async standing(): Promise<{
		target?: DiscordRole;
		highest?: DiscordRole;
		permissions: bigint;
	}> {
		const { guildId, releaseRoleId } = this.config;
		const [roles, me] = await Promise.all([
			this.call<DiscordRole[]>('GET', `/guilds/${guildId}/roles`),
			this.call<{ id: string }>('GET', '/users/@me'),
		]);
		const member = await this.call<{ roles?: string[] }>(
			'GET',
			`/guilds/${guildId}/members/${me.id}`,
		);
		// @everyone shares the server's id and applies to every member.
		const memberRoleIds = new Set<string>([guildId, ...(member.roles ?? [])]);
		const own = roles.filter((role) => memberRoleIds.has(role.id));
		return {
			target: roles.find((role) => role.id === releaseRoleId),
			highest: own.reduce<DiscordRole | undefined>(
				(top, role) => (!top || role.position > top.position ? role : top),
				undefined,
			),
			permissions: own.reduce((bits, role) => bits | BigInt(role.permissions), 0n),
		};
	}

	private missingRole(): string {
		return `the role ${this.config.releaseRoleId} does not exist in the server any more; check the release-updates role setting`;
	}

	private async changeRole(method: 'PUT' | 'DELETE', userId: string): Promise<void> {
		const { guildId, releaseRoleId } = this.config;
		const answer = await this.send(
			method,
			`/guilds/${guildId}/members/${userId}/roles/${releaseRoleId}`,
			undefined,
			{
				'x-audit-log-reason':
					method === 'PUT' ? 'Fan opted in to release updates' : 'Fan opted out of release updates',
			},
		);
		if (!('refusal' in answer)) return;
		const { refusal } = answer;
		// A fan who left the server has no role left to take away.
		if (method === 'DELETE' && refusal.code === UNKNOWN_MEMBER) return;
		if (refusal.code === UNKNOWN_MEMBER) {
			throw new CommunityPlatformError(
				'discord',
				'permanent',
				`Discord user ${userId} is not a member of the server.`,
			);
		}
		if (refusal.code === MISSING_PERMISSIONS) {
			const why =
				(await this.roleHierarchyProblem().catch(() => undefined)) ??
				`Discord refused it (${refusal.message})`;
			throw new CommunityPlatformError(
				'discord',
				'not_allowed',
				`The bot can’t ${method === 'PUT' ? 'give' : 'take away'} the release-updates role because ${why}.`,
			);
		}
		throw toPlatformError(refusal);
	}

	/** One REST call; answers Discord's JSON (an empty object for 204), throws CommunityPlatformError otherwise. */
	private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
		const answer = await this.send(method, path, body);
		if ('refusal' in answer) throw toPlatformError(answer.refusal);
		return answer.body as T;
	}

	/** The answer or Discord's refusal; rate limits and silence are thrown, since no caller reads them differently. */
	private async send(
		method: string,
		path: string,
		body?: unknown,
		headers: Record<string, string> = {},
	): Promise<{ body: unknown } | { refusal: DiscordRefusal }> {
		const route = routeKey(method, path);
		let answered: () => void;
		for (;;) {
			await this.waitForBucket(route);
			const ownAnswered = await this.budget.take();
			const sharedAnswered = await this.sharedBudget?.take();
			answered = () => {
				ownAnswered();
				sharedAnswered?.();
			};
			if (this.resumeAtMs(route) <= Date.now()) break;
			// Answers that came in while this request waited for the budget spent its bucket: wait again.
			answered();
		}
		let response: ProviderResponse;
		try {
			response = await sendProviderRequest({
				provider: 'discord',
				method: method as 'GET' | 'POST' | 'PUT' | 'DELETE',
				url: `${this.baseUrl}${path}`,
				headers: { authorization: `Bot ${this.config.botToken}`, ...headers },
				body: body === undefined ? undefined : { json: body },
			});
		} catch (error) {
			if (!(error instanceof ProviderUnreachable)) throw error;
			throw new CommunityPlatformError('discord', 'transient', error.message);
		} finally {
			answered();
		}
		this.noteBucket(route, response);
		const parsed = response.body ?? {};
		const fields =
			typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
		if (response.ok) return { body: parsed };
		if (response.status === 429) throw this.rateLimited(route, response, fields);
		return {
			refusal: {
				status: response.status,
				code: typeof fields.code === 'number' ? fields.code : undefined,
				message:
					typeof fields.message === 'string'
						? fields.message
						: typeof parsed === 'string' && parsed
							? parsed
							: `HTTP ${response.status}`,
			},
		};
	}

	private resumeAtMs(route: string): number {
		return Math.max(this.globalResumeAtMs, this.spentUntilMs.get(route) ?? 0);
	}

	private async waitForBucket(route: string): Promise<void> {
		const waitMs = this.resumeAtMs(route) - Date.now();
		if (waitMs <= 0) return;
		if (waitMs > MAX_INLINE_WAIT_MS) {
			throw new CommunityPlatformError(
				'discord',
				'rate_limited',
				'Discord’s rate limit for this action is spent; try again later.',
				waitMs,
			);
		}
		await sleep(waitMs);
	}

	private noteBucket(route: string, response: ProviderResponse): void {
		const remainingHeader = response.header('x-ratelimit-remaining');
		const remaining = Number(remainingHeader);
		const resetAfterSeconds = Number(response.header('x-ratelimit-reset-after'));
		if (remainingHeader === undefined || !Number.isFinite(resetAfterSeconds)) return;
		// Only spent buckets hold anyone back; keeping just those bounds the map however many routes are used.
		if (remaining > 0) this.spentUntilMs.delete(route);
		else this.spentUntilMs.set(route, Date.now() + resetAfterSeconds * 1000);
	}

	private rateLimited(
		route: string,
		response: ProviderResponse,
		answer: Record<string, unknown>,
	): CommunityPlatformError {
		// Discord's body says it to the millisecond; the header rounds up to whole seconds.
		const retryAfterMs =
			answer.retry_after !== undefined
				? retryAfterMsFromSeconds(answer.retry_after)
				: response.retryAfterMs;
		if (answer.global === true || response.header('x-ratelimit-global') === 'true') {
			this.globalResumeAtMs = Date.now() + retryAfterMs;
			// The other processes are the same bot: Discord holds them back too.
			void Promise.resolve(this.sharedBudget?.pauseFor(retryAfterMs)).catch(() => undefined);
		} else {
			this.spentUntilMs.set(route, Date.now() + retryAfterMs);
		}
		return new CommunityPlatformError(
			'discord',
			'rate_limited',
			`Discord is rate limiting the bot: ${String(answer.message ?? 'slow down')}.`,
			retryAfterMs,
		);
	}
}

function toPlatformError(refusal: DiscordRefusal): CommunityPlatformError {
	const detail = `HTTP ${refusal.status}${refusal.code !== undefined ? `, code ${refusal.code}` : ''}: ${refusal.message}`;
	if (refusal.code === CANNOT_MESSAGE_USER) {
		return new CommunityPlatformError(
			'discord',
			'blocked',
			`Discord will not deliver to this fan; they closed DMs or blocked the bot (${detail}).`,
		);
	}
	if (refusal.code === MISSING_PERMISSIONS || refusal.code === MISSING_ACCESS) {
		return new CommunityPlatformError(
			'discord',
			'not_allowed',
			`The bot lacks a permission it needs in the server (${detail}).`,
		);
	}
	if (refusal.status === 401) {
		return new CommunityPlatformError(
			'discord',
			'permanent',
			`Discord refused the bot token; check the Discord bot token setting (${detail}).`,
		);
	}
	if (refusal.status >= 500) {
		return new CommunityPlatformError('discord', 'transient', `Discord failed (${detail}).`);
	}
	return new CommunityPlatformError(
		'discord',
		'permanent',
		`Discord refused the request (${detail}).`,
	);
}

/** Whether the permission bits grant `permission` (administrators hold every permission). */
function allows(permissions: bigint, permission: bigint): boolean {
	return (permissions & (permission | ADMINISTRATOR)) !== 0n;
}

function checkLength(content: string): void {
	if (content.length > MAX_MESSAGE_CHARS) {
		throw new CommunityPlatformError(
			'discord',
			'permanent',
			`A Discord message holds at most ${MAX_MESSAGE_CHARS} characters; this one has ${content.length}.`,
		);
	}
}

/**
 * Discord's rate-limit buckets follow a route with its major parameter (the channel or
 * guild id) kept and other ids folded, so every fan's role change shares one bucket.
 */
function routeKey(method: string, path: string): string {
	return `${method} ${path.replace(/(?<!\/(?:channels|guilds))\/\d{5,}/g, '/:id')}`;
}
