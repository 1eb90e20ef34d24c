import type { Layer } from '../../../hub/src/core/model';
import type { ChatUser, CommunityDesk, Refused } from '../port';
import type { ButtonName } from './buttons';
import type { FanAction } from './commands';

/** What the bot answers a fan: text, and the buttons that lead on from it. */
export interface Reply {
	content: string;
	buttons?: ButtonName[];
	/** Something the marketer must fix (the bot cannot manage the role), for the log. */
	problem?: string;
}

/** Everything a fan can ask of the bot; the `-confirm` buttons sit under a consent wording. */
export type FanRequest = FanAction | 'join-confirm' | 'saveall-confirm';

const LAYER_NAMES: Record<Layer, string> = {
	sms: 'text messages',
	email: 'email',
	telegram: 'Telegram',
	discord: 'Discord release updates',
	follow: 'following the artist',
	save: 'saving the release',
};

/** The bot's fixed answers, so tests and translations read them from one place. */
export const REPLIES = {
	help: [
		'I keep you posted about new releases in this server.',
		'• /join: get the release-updates role, so you are pinged when new music is out',
		'• /stop: drop the role and the pings, any time',
		'• /status: what you have signed up for',
		'• /presave: the link to pre-save the next release',
		'• /saveall: save every new release to your music library',
	].join('\n'),
	joined:
		'You are in: you now have the release-updates role and will be pinged when new music is out. /stop ends it any time.',
	alreadyJoined: 'You already get release updates. /stop ends them.',
	stopped: 'Done: no more release updates, and the role is gone. /join brings them back.',
	notJoined: 'You are not getting release updates, so there is nothing to stop.',
	unknownFan: 'You have not signed up for anything yet. /join gets you release updates.',
	noCampaign: 'There is no release to pre-save right now. /join and you will hear when there is.',
	erased:
		'You asked us to erase your data, so I will not record anything for you or sign you up here.',
	invalidReference:
		'That invite link is not valid. Ask for a fresh one from the artist’s page, or just use /join.',
	notInServer:
		'Release updates come as a role in the artist’s server: join the server first, then use /join there or here.',
	slowDown: 'That was a lot at once. Give me a few seconds, then try again.',
	sorry: 'Something went wrong on our side. Please try again in a minute.',
	welcome: 'Welcome! Want a ping in the server when new music is out?',
	saving:
		'Done: every new release will be saved to your music library on its release day. /stop ends it any time.',
	alreadySaving: 'Every new release is already saved to your music library. /stop ends it.',
	notConnected:
		'To save new releases for you I need your music library: pre-save a release first (/presave), then use /saveall.',
} as const;

/** Answers one fan request through the desk; slash commands and buttons both end here. */
export async function answerFan(
	request: FanRequest,
	user: ChatUser,
	desk: CommunityDesk,
	/** Whether the fan is a member of the artist's server, where the role lives (a DM may come from anyone). */
	inServer: () => Promise<boolean>,
): Promise<Reply> {
	switch (request) {
		case 'help':
			return { content: REPLIES.help, buttons: ['join', 'status', 'presave'] };
		case 'join':
			return (await inServer()) ? offerJoin(user, desk) : { content: REPLIES.notInServer };
		case 'join-confirm':
			return (await inServer()) ? join(user, desk) : { content: REPLIES.notInServer };
		case 'stop': {
			const result = await desk.stop(user);
			if (result.outcome === 'refused') return refusal(result);
			if (result.outcome === 'not_joined') return { content: REPLIES.notJoined };
			return { content: REPLIES.stopped, buttons: ['join'] };
		}
		case 'status':
			return status(user, desk);
		case 'saveall':
			return offerFutureSaves(user, desk);
		case 'saveall-confirm':
			return saveEveryRelease(user, desk);
		case 'presave': {
			const campaign = await desk.presaveLink(user);
			if (!campaign) return { content: REPLIES.noCampaign };
			return { content: `Pre-save “${campaign.title}” by ${campaign.artist}: ${campaign.pageUrl}` };
		}
	}
}

/** Asks for consent with the exact wording `join` records as its proof; fans who cannot or need not join are told so instead. */
async function offerJoin(user: ChatUser, desk: CommunityDesk): Promise<Reply> {
	const current = await desk.status(user);
	if (current.outcome === 'refused') return refusal(current);
	if (current.releaseUpdates) return { content: REPLIES.alreadyJoined };
	return { content: await desk.releaseUpdatesWording(user), buttons: ['join-confirm'] };
}

/** Shows "save every release" in the exact wording `saveall-confirm` records. */
async function offerFutureSaves(user: ChatUser, desk: CommunityDesk): Promise<Reply> {
	const offer = await desk.futureSavesOffer(user);
	if (offer.outcome === 'refused') return refusal(offer);
	if (offer.outcome === 'not_connected')
		return { content: REPLIES.notConnected, buttons: ['presave'] };
	if (offer.outcome === 'already_saving') return { content: REPLIES.alreadySaving };
	return { content: offer.wording, buttons: ['saveall-confirm'] };
}

async function saveEveryRelease(user: ChatUser, desk: CommunityDesk): Promise<Reply> {
	const result = await desk.saveEveryRelease(user);
	if (result.outcome === 'refused') return refusal(result);
	if (result.outcome === 'not_connected')
		return { content: REPLIES.notConnected, buttons: ['presave'] };
	return { content: result.outcome === 'saving' ? REPLIES.saving : REPLIES.alreadySaving };
}

async function join(user: ChatUser, desk: CommunityDesk): Promise<Reply> {
	const result = await desk.join(user);
	if (result.outcome === 'refused') return refusal(result);
	if (result.outcome === 'already_joined') return { content: REPLIES.alreadyJoined };
	return { content: REPLIES.joined };
}

async function status(user: ChatUser, desk: CommunityDesk): Promise<Reply> {
	const result = await desk.status(user);
	if (result.outcome === 'refused') return refusal(result);
	if (result.fanId === null) return { content: REPLIES.unknownFan, buttons: ['join'] };
	const lines = [`Release updates: ${result.releaseUpdates ? 'on' : 'off'}.`];
	if (result.taken.length > 0)
		lines.push(`Signed up: ${result.taken.map((layer) => LAYER_NAMES[layer]).join(', ')}.`);
	if (result.next.length > 0)
		lines.push(`Still open: ${result.next.map((layer) => LAYER_NAMES[layer]).join(', ')}.`);
	return { content: lines.join('\n'), buttons: result.releaseUpdates ? ['stop'] : ['join'] };
}

function refusal(refused: Refused): Reply {
	switch (refused.refusal) {
		case 'erased':
			return { content: REPLIES.erased };
		case 'invalid_reference':
			return { content: REPLIES.invalidReference };
		case 'not_allowed': {
			// The reason is written for the server's team (what to change in which setting).
			const reason = refused.reason ?? 'The server’s settings do not let the bot manage that role.';
			return {
				content: `Sorry, I can’t do that with your role right now. ${reason} I have let the artist’s team know.`,
				problem: reason,
			};
		}
	}
}
