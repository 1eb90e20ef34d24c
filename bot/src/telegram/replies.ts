import { InlineKeyboard } from 'grammy';
import type { CampaignSummary, DeskRefusal, StatusResult } from '../port';
import type { Layer } from '../../../hub/src/core/model';

/** Callback data of the inline buttons; each does what the command of the same name does. */
export const BUTTON = {
	join: 'join',
	stop: 'stop',
	status: 'status',
	presave: 'presave',
	channel: 'channel',
	/** Shows the "save every release" wording; `saveall_yes` under it is the fan's yes. */
	saveall: 'saveall',
	saveall_yes: 'saveall_yes',
} as const;

/** The commands Telegram lists in the bot's menu, with their descriptions. */
export const COMMANDS = [
	{ command: 'join', description: 'Get release updates here' },
	{ command: 'stop', description: 'Stop release updates' },
	{ command: 'status', description: 'What you are signed up for' },
	{ command: 'presave', description: 'Pre-save the next release' },
	{ command: 'channel', description: 'Join the private channel' },
	{ command: 'saveall', description: 'Save every new release to your library' },
	{ command: 'help', description: 'What this bot can do' },
] as const;

const LAYER_NAMES: Record<Layer, string> = {
	sms: 'text messages',
	email: 'email',
	telegram: 'Telegram updates',
	discord: 'the Discord',
	follow: 'following the artist',
	save: 'the pre-save',
};

export const REFUSALS: Record<DeskRefusal, string> = {
	erased:
		'You asked us to erase your data, so this bot keeps nothing about you and will not message you. Take care!',
	invalid_reference:
		'That link did not work: it may have been cut off. You can still send /join to get release updates here.',
	not_allowed:
		'Sorry, I am not allowed to do that here right now. The artist’s team has been told.',
};

export const HELP = [
	'Here is what I can do:',
	'/join – get release updates here',
	'/stop – stop them at any time',
	'/status – see what you are signed up for',
	'/presave – pre-save the next release',
	'/channel – an invite to the private channel',
	'/saveall – save every new release to your library',
].join('\n');

export const SLOW_DOWN =
	'That is a lot of messages at once. Give me a few seconds, then try again.';
export const UNKNOWN = `Sorry, I did not get that.\n\n${HELP}`;

export function greeting(campaign: CampaignSummary | undefined, releaseUpdates: boolean): string {
	const hello = campaign
		? `Hi! Thanks for coming over from ${campaign.artist}’s “${campaign.title}”.`
		: 'Hi! Welcome.';
	return releaseUpdates ? `${hello} You already get release updates here; /stop ends them.` : hello;
}

/** The consent wording exactly as the desk will record it, and the button that gives it. */
export function joinOffer(wording: string): { text: string; keyboard: InlineKeyboard } {
	return { text: wording, keyboard: new InlineKeyboard().text('Yes, keep me posted', BUTTON.join) };
}

export const JOINED =
	'Done! You will get release updates here. Send /stop at any time to stop them.';
export const ALREADY_JOINED =
	'You already get release updates here. Send /stop at any time to stop them.';
export const STOPPED = 'Okay, no more release updates. Send /join if you change your mind.';
export const NOT_JOINED = 'You are not getting release updates here, so there is nothing to stop.';
export const NO_CAMPAIGN =
	'There is no release to pre-save right now. I will let you know when there is one, if you /join.';
export const NO_CHANNEL = 'There is no private channel to join right now.';
export const SAVING =
	'Done! Every new release will be saved to your library on its release day. Send /stop at any time to end this.';
export const ALREADY_SAVING =
	'Every new release is already saved to your library. Send /stop at any time to end this.';
export const NOT_CONNECTED =
	'To save new releases for you I need your music library: pre-save a release first (/presave), then come back to /saveall.';

/** The "save every release" wording exactly as the desk will record it, and the button that gives it. */
export function saveAllOffer(wording: string): { text: string; keyboard: InlineKeyboard } {
	return {
		text: wording,
		keyboard: new InlineKeyboard().text('Yes, save every release', BUTTON.saveall_yes),
	};
}

export function presave(campaign: CampaignSummary): { text: string; keyboard: InlineKeyboard } {
	return {
		text: `Pre-save “${campaign.title}” by ${campaign.artist}: it lands in your library on release day.`,
		keyboard: new InlineKeyboard().url('Pre-save now', campaign.pageUrl),
	};
}

export function channelInvite(url: string): { text: string; keyboard: InlineKeyboard } {
	return {
		text: 'Here is your personal invite to the private channel.',
		keyboard: new InlineKeyboard().url('Join the channel', url),
	};
}

export function status(result: Extract<StatusResult, { outcome: 'status' }>): {
	text: string;
	keyboard: InlineKeyboard;
} {
	const lines = [
		result.releaseUpdates
			? 'You get release updates here.'
			: 'You do not get release updates here yet.',
	];
	if (result.taken.length > 0)
		lines.push(`You are in for: ${result.taken.map((layer) => LAYER_NAMES[layer]).join(', ')}.`);
	if (result.next.length > 0)
		lines.push(`Still open: ${result.next.map((layer) => LAYER_NAMES[layer]).join(', ')}.`);
	const keyboard = result.releaseUpdates
		? new InlineKeyboard().text('Stop updates', BUTTON.stop)
		: new InlineKeyboard().text('Get updates', BUTTON.join);
	return { text: lines.join('\n'), keyboard: keyboard.text('Pre-save', BUTTON.presave) };
}
