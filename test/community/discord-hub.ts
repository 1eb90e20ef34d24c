import { startHub, type RunningHub } from '../../hub/src';
import type { Logger } from '../../hub/src/core/logger';
import { registerCommands, type CommandScope } from '../../bot/src/register-commands';
import type { SandboxClock } from '../../sandbox/src/core/clock';
import {
	MESSAGE_FLAGS,
	PERMISSIONS,
	SANDBOX_DISCORD,
	startDiscordStandIn,
	type DiscordMessage,
	type DiscordStandIn,
} from '../../sandbox/src/community';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { Receiver } from '../support/receiver';
import { createTestDatabase, type StoreKind, type TestDatabase } from '../support/stores';
import { presavedFan, type Presaved } from '../support/community';

/** What the sandbox server's bot role allows, before a test takes something away. */
export const BOT_PERMISSIONS =
	PERMISSIONS.createInstantInvite |
	PERMISSIONS.manageGuild |
	PERMISSIONS.viewChannel |
	PERMISSIONS.sendMessages |
	PERMISSIONS.mentionEveryone |
	PERMISSIONS.manageRoles;

export interface DiscordHubOptions {
	logger?: Logger;
	/** The stand-in's clock, for tests that let invites expire. */
	discordClock?: SandboxClock;
	/** The hub's clock, for tests that let the hub's record of an invite age. */
	hubClock?: SandboxClock;
	perUserLimit?: { requests: number; windowMs: number };
	/** Sets up the server before the bot connects (members it has never seen join). */
	before?: (discord: DiscordStandIn) => void;
	/** Also registers the commands globally (production), so they work in DMs with the bot. */
	globalCommands?: boolean;
}

export interface CommunityEvent {
	type: string;
	data: {
		fan: { id: string };
		community?: { platform: string; what: string };
		action?: { id: string; parentActionId: string | null; kind: string; status: string };
	};
}

/**
 * A hub running its Discord bot against the Discord stand-in (commands registered per
 * guild, as in development), with n8n's webhook played by a Receiver.
 */
export class DiscordHub {
	private constructor(
		readonly discord: DiscordStandIn,
		readonly hub: RunningHub,
		readonly api: HubApi,
		readonly n8n: Receiver,
		private readonly database: TestDatabase,
	) {}

	static async start(kind: StoreKind, options: DiscordHubOptions = {}): Promise<DiscordHub> {
		const discord = await startDiscordStandIn({ clock: options.discordClock });
		options.before?.(discord);
		const scopes: CommandScope[] = [{ guildId: SANDBOX_DISCORD.guildId }];
		if (options.globalCommands) scopes.push('global');
		for (const scope of scopes) {
			await registerCommands({
				botToken: SANDBOX_DISCORD.token,
				applicationId: SANDBOX_DISCORD.applicationId,
				apiRoot: discord.apiRoot,
				scope,
			});
		}
		const database = await createTestDatabase(kind);
		const hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			logger: options.logger,
			...(options.hubClock ? { clock: () => options.hubClock!.now() } : {}),
			delivery: { pollMs: 20, maxBackoffMs: 1000 },
			jobs: { pollMs: 20 },
			community: {
				discord: {
					botToken: SANDBOX_DISCORD.token,
					applicationId: SANDBOX_DISCORD.applicationId,
					guildId: SANDBOX_DISCORD.guildId,
					releaseRoleId: SANDBOX_DISCORD.releaseRoleId,
					announcementChannelId: SANDBOX_DISCORD.announceChannelId,
					inviteChannelId: SANDBOX_DISCORD.inviteChannelId,
					apiRoot: discord.apiRoot,
					...(options.perUserLimit ? { perUserLimit: options.perUserLimit } : {}),
				},
			},
		});
		const api = new HubApi(hub.url, await hub.createApiKey('discord test'));
		const n8n = await new Receiver().start();
		const subscribed = await api.call('POST', '/v1/webhooks', {
			url: n8n.url,
			events: ['community.joined', 'community.left'],
		});
		if (subscribed.status !== 201 && subscribed.status !== 200)
			throw new Error(`subscription failed: ${subscribed.status}`);
		return new DiscordHub(discord, hub, api, n8n, database);
	}

	async close(): Promise<void> {
		await this.hub.close();
		await this.discord.stop();
		await this.n8n.stop();
		await this.database.drop();
	}

	/** A fan who joins the artist's server without an invite of ours, once the hub has recorded the join. */
	async member(name: string): Promise<string> {
		const user = this.discord.addUser(name);
		this.discord.addMember(user.id);
		await eventually(
			`${name}'s join recorded`,
			async () => ((await this.fanOf(user.id)) ? true : undefined),
			10_000,
			undefined,
			20,
		);
		return user.id;
	}

	/** The fan the hub links this Discord user to, if any. */
	async fanOf(userId: string): Promise<string | undefined> {
		const found = await this.api.call(
			'GET',
			`/v1/fans/by-identity?channel=discord&value=${userId}`,
		);
		return found.status === 200 ? (found.body.id as string) : undefined;
	}

	/** A campaign with this platform's layer and a fan who pre-saved it. */
	presave(slug = 'nia-vale-halo'): Promise<Presaved> {
		return presavedFan(this.api, slug, ['discord', 'sms', 'save']);
	}

	/** The single-use invite behind a fan's /l/discord link, as the fan's browser is sent to it. */
	async inviteCode(actionId: string): Promise<string> {
		const link = await this.api.call('POST', '/v1/community/links', {
			platform: 'discord',
			actionId,
		});
		const hop = await fetch(link.body.url, { redirect: 'manual' });
		const code = /^https:\/\/discord\.gg\/(.+)$/.exec(hop.headers.get('location') ?? '')?.[1];
		if (!code) throw new Error(`no invite behind ${link.body.url}: ${hop.status}`);
		return code;
	}

	/** Runs a slash command as the member and waits for the bot's finished (no longer "thinking") answer. */
	async command(userId: string, name: string): Promise<DiscordMessage> {
		return this.answer(this.discord.runCommand(userId, name).id);
	}

	/** Presses a button of the bot's as the member and waits for the answer. */
	async press(userId: string, button: string, messageId?: string): Promise<DiscordMessage> {
		return this.answer(this.discord.press(userId, `fanloop:${button}`, messageId).id);
	}

	async answer(interactionId: string): Promise<DiscordMessage> {
		return eventually(
			`the answer to interaction ${interactionId}`,
			() => {
				const response = this.discord.interaction(interactionId).response;
				return response && (response.flags & MESSAGE_FLAGS.loading) === 0 ? response : undefined;
			},
			10_000,
			() => JSON.stringify(this.discord.interaction(interactionId)),
			20,
		);
	}

	/** The events n8n has received so far, in order. */
	events(): CommunityEvent[] {
		return this.n8n.received.map((delivery) => JSON.parse(delivery.body));
	}
}

/** The custom ids of a message's buttons. */
export function buttonsOf(message: DiscordMessage): string[] {
	return message.components.flatMap((row) =>
		(row.components ?? []).map((button) => String(button.custom_id)),
	);
}
