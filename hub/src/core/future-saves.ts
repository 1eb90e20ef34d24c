import { toAction, type ActionRow, type Actions } from './actions';
import type { Consents } from './consents';
import { HubError } from './errors';
import type { Fans } from './fans';
import type { Channel } from './identities';
import { iso, type Action, type Consent } from './model';
import type { StreamingPlatformName } from './streaming/platform';
import type { SqlExecutor, SqlStore } from '../store/sql-store';
import { markActionFanStale } from './insights/stale-fans';

/** The consent purpose of "save every release"; its channel is the streaming platform saved to. */
export const FUTURE_SAVES_PURPOSE = 'future_saves';

export interface FutureSaveAgreement {
	fanId: string;
	/** The campaign the fan agreed on: its artist is whose releases get saved. */
	campaignId: string;
	platform: StreamingPlatformName;
	/** The exact words the fan agreed to, kept as the consent's proof. */
	wording: string;
	/** The action the agreement is layered on (the pre-save, the bot's /start). */
	parentActionId?: string | null;
	source?: string | null;
	ip?: string | null;
	userAgent?: string | null;
}

/** One fan's "save every release" for one artist on one platform, as a marketer reads it. */
export interface FutureSave {
	fanId: string;
	platform: StreamingPlatformName;
	/** active: saved on each new release; ended: stopped (STOP, unsubscribe, /stop). */
	status: 'active' | 'ended';
	consentId: string;
	actionId: string;
	agreedAt: string;
	endedAt: string | null;
	/** Why it yields nothing, in words ("The fan texted STOP.", an expired connection); null while it works. */
	reason: string | null;
}

/** The platforms' names as fans read them. */
export const PLATFORM_NAMES: Record<StreamingPlatformName, string> = {
	spotify: 'Spotify',
	apple_music: 'Apple Music',
	deezer: 'Deezer',
	youtube: 'YouTube',
};

/** What a bot asks a fan to agree to: every platform the fan connected, one sentence, kept as each consent's proof. */
export function chatFutureSavesWording(artist: string, platforms: StreamingPlatformName[]): string {
	const libraries = platforms.map((platform) => PLATFORM_NAMES[platform]).join(' and ');
	return `Yes, save every new release by ${artist} to my ${libraries} library on its release day, without asking me again. I can send /stop at any time to end this.`;
}

/** How a revocation came, as a sentence for the marketer. */
const ENDED_BY: Record<string, string> = {
	sms_stop: 'The fan texted STOP.',
	email_unsubscribe_link: 'The fan unsubscribed with the link in an email.',
	'telegram:stop': 'The fan sent /stop to the Telegram bot.',
	'discord:stop': 'The fan used /stop with the Discord bot.',
};

function endedReason(method: string | null): string {
	return (method && ENDED_BY[method]) ?? `Ended (${method ?? 'revoked'}).`;
}

interface FutureSaveRow {
	id: string;
	fan_id: string;
	channel: StreamingPlatformName;
	status: Consent['status'];
	confirmed_at: number | null;
	requested_at: number;
	revoked_at: number | null;
	revoke_method: string | null;
	action_id: string;
	token_status?: string | null;
	refresh_expires_at?: number | null;
}

/** Why an active agreement saves nothing now: the fan's connection to the platform is gone or expired. */
function connectionProblem(row: FutureSaveRow, nowMs: number): string | null {
	const platform = PLATFORM_NAMES[row.channel] ?? row.channel;
	if (!row.token_status)
		return `The fan has no ${platform} connection any more: nothing is saved until they connect again.`;
	const expired =
		row.refresh_expires_at !== null &&
		row.refresh_expires_at !== undefined &&
		Number(row.refresh_expires_at) <= nowMs;
	if (row.token_status !== 'valid' || expired) {
		return `The fan's ${platform} connection has expired or was revoked: nothing is saved until they reconnect.`;
	}
	return null;
}

function toFutureSave(row: FutureSaveRow, nowMs: number): FutureSave {
	const active = row.status === 'granted';
	return {
		fanId: row.fan_id,
		platform: row.channel,
		status: active ? 'active' : 'ended',
		consentId: row.id,
		actionId: row.action_id,
		agreedAt: iso(row.confirmed_at ?? row.requested_at),
		endedAt: iso(row.revoked_at),
		reason: active ? connectionProblem(row, nowMs) : endedReason(row.revoke_method),
	};
}

/** An artist's future-save consents: the consent row, the `future_saves` action it was given in, that action's campaign. */
const FUTURE_SAVES_OF_ARTIST = `SELECT con.id, con.fan_id, con.channel, con.status, con.confirmed_at, con.requested_at,
	con.revoked_at, con.revoke_method, con.action_id
	FROM consents con JOIN actions a ON a.id = con.action_id JOIN campaigns c ON c.id = a.campaign_id
	WHERE con.purpose = '${FUTURE_SAVES_PURPOSE}' AND c.artist_id = $1`;

/**
 * "Save every release": a fan's consent, with its exact wording, to have an artist's future
 * releases saved to their library on one platform. The release-day job reads these
 * (streaming/future-saves.ts); STOP, unsubscribe and the bots' /stop end them here.
 */
export class FutureSaves {
	constructor(
		private readonly store: SqlStore,
		private readonly fans: Fans,
		private readonly actions: Actions,
		private readonly consents: Consents,
		private readonly clock: () => number,
		private readonly onQueued: () => void,
	) {}

	/** Records the agreement (a `future_saves` action and its granted consent); agreeing again changes nothing. */
	async agree(
		input: FutureSaveAgreement,
	): Promise<{ action: Action; consent: Consent; created: boolean }> {
		if (!input.wording.trim()) {
			throw new HubError(
				'validation_failed',
				'Saving every release needs the exact wording the fan agreed to.',
			);
		}
		const result = await this.store.transaction(async (tx) => {
			const fan = await this.fans.resolve(tx, input.fanId);
			const campaign = await tx.get<{ artist_id: string }>(
				'SELECT artist_id FROM campaigns WHERE id = $1',
				[input.campaignId],
			);
			if (!campaign)
				throw new HubError('campaign_not_found', `No campaign with id ${input.campaignId}.`);
			const open = await this.openAgreement(tx, campaign.artist_id, fan.id, input.platform);
			if (open) {
				return {
					action: toAction(
						(await tx.get<ActionRow>('SELECT * FROM actions WHERE id = $1', [
							open.action_id,
						])) as ActionRow,
					),
					consent: await this.consents.get(open.id, tx),
					created: false,
				};
			}
			const connected = await tx.get(
				'SELECT 1 AS hit FROM tokens WHERE fan_id = $1 AND platform = $2 AND status = $3',
				[fan.id, input.platform, 'valid'],
			);
			if (!connected) {
				throw new HubError(
					'validation_failed',
					`The fan has no working ${input.platform} connection to save releases to; they connect it by pre-saving first.`,
				);
			}
			const { action } = await this.actions.recordWithin(tx, {
				fanId: fan.id,
				campaignId: input.campaignId,
				kind: 'future_saves',
				platform: input.platform,
				status: 'done',
				verification: 'soft',
				source: input.source,
				parentActionId: input.parentActionId,
			});
			const consent = await this.consents.request(
				fan.id,
				{
					channel: input.platform as Channel,
					purpose: FUTURE_SAVES_PURPOSE,
					wording: input.wording,
					source: input.source,
					ip: input.ip,
					userAgent: input.userAgent,
					status: 'granted',
					actionId: action.id,
				},
				tx,
			);
			return { action, consent, created: true };
		});
		if (result.created) this.onQueued();
		return result;
	}

	/** Whether the fan has agreed, and not since stopped, to have this campaign's artist's releases saved on a platform. */
	async isActive(
		fanId: string,
		campaignId: string,
		platform: StreamingPlatformName,
	): Promise<boolean> {
		const campaign = await this.store.get<{ artist_id: string }>(
			'SELECT artist_id FROM campaigns WHERE id = $1',
			[campaignId],
		);
		return Boolean(
			campaign && (await this.openAgreement(this.store, campaign.artist_id, fanId, platform)),
		);
	}

	/** The fan's granted "save every release" of the artist on the platform, if any. */
	private openAgreement(
		tx: SqlExecutor,
		artistId: string,
		fanId: string,
		platform: StreamingPlatformName,
	): Promise<FutureSaveRow | undefined> {
		return tx.get<FutureSaveRow>(
			`${FUTURE_SAVES_OF_ARTIST} AND con.fan_id = $2 AND con.channel = $3 AND con.status = 'granted'`,
			[artistId, fanId, platform],
		);
	}

	/**
	 * Ends every "save every release" of the fan, for all artists, inside the caller's
	 * transaction (a STOP, an unsubscribe, a bot's /stop): the consent is revoked with its
	 * method and the agreement's action says why, so a marketer can read it.
	 */
	async endWithin(tx: SqlExecutor, fanId: string, method: string): Promise<number> {
		const open = await tx.all<{ id: string; action_id: string | null }>(
			`SELECT id, action_id FROM consents WHERE fan_id = $1 AND purpose = $2 AND status = 'granted'`,
			[fanId, FUTURE_SAVES_PURPOSE],
		);
		for (const consent of open) {
			await this.consents.revoke(consent.id, method, tx);
			if (consent.action_id) {
				await tx.run(
					`UPDATE actions SET status = 'skipped', error = $2, updated_at = $3 WHERE id = $1`,
					[consent.action_id, `Save every release ended: ${endedReason(method)}`, this.clock()],
				);
				await markActionFanStale(tx, consent.action_id);
			}
		}
		return open.length;
	}

	/** The artist's future saves, oldest first, each with its state and why it yields nothing, when it does. */
	async ofArtist(
		artistId: string,
		query: { limit: number; cursor?: string },
	): Promise<{ futureSaves: FutureSave[]; nextCursor: string | null }> {
		const rows = await this.store.all<FutureSaveRow>(
			`SELECT f.*, t.status AS token_status, t.refresh_expires_at FROM (${FUTURE_SAVES_OF_ARTIST} AND con.id > $2) f
			 LEFT JOIN tokens t ON t.fan_id = f.fan_id AND t.platform = f.channel
			 ORDER BY f.id LIMIT $3`,
			[artistId, query.cursor ?? '', query.limit + 1],
		);
		const page = rows.slice(0, query.limit);
		const now = this.clock();
		return {
			futureSaves: page.map((row) => toFutureSave(row, now)),
			nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
		};
	}
}
