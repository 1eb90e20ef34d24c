import { SandboxClock } from '../../sandbox/src/core/clock';
import { eventually } from '../support/eventually';
import { STORE_KINDS } from '../support/stores';
import { DiscordHub } from './discord-hub';

const DAY_MS = 24 * 3600 * 1000;

describe.each(STORE_KINDS)('the single-use invites behind /l/discord links (%s)', (kind) => {
	let h: DiscordHub;
	let clock: SandboxClock;

	beforeEach(async () => {
		// One clock for the hub and Discord, so an invite ages the same on both sides.
		clock = new SandboxClock();
		h = await DiscordHub.start(kind, { hubClock: clock, discordClock: clock });
	});

	afterEach(async () => {
		await h?.close();
	});

	it('hands a link opened again the same invite until it is used up or has less than a day left', async () => {
		const mara = await h.presave('mara');
		const theo = await h.presave('theo');

		const first = await h.inviteCode(mara.presaveId);
		// A reload, and the chat app's link preview fetching the same link.
		expect(await h.inviteCode(mara.presaveId)).toBe(first);
		expect(await h.inviteCode(mara.presaveId)).toBe(first);
		const other = await h.inviteCode(theo.presaveId);
		expect(other).not.toBe(first);
		const made = h.discord.invites().map((invite) => invite.code);
		expect(made.sort()).toEqual([first, other].sort());

		const fan = h.discord.addUser('mara');
		h.discord.memberJoins(fan.id, first);
		expect(await eventually('mara attributed', () => h.fanOf(fan.id))).toBe(mara.fanId);
		const afterUse = await h.inviteCode(mara.presaveId);
		expect(afterUse).not.toBe(first);

		clock.advance(6 * DAY_MS + 1);
		const nearlyExpired = await h.inviteCode(mara.presaveId);
		expect(nearlyExpired).not.toBe(afterUse);
		expect(await h.inviteCode(mara.presaveId)).toBe(nearlyExpired);
	});

	it('tells the bot only the invites that can still be used: not used up, not expired', async () => {
		const desk = h.hub.services.community.desk;
		const early = await h.presave('early');
		const late = await h.presave('late');
		const expiring = await h.inviteCode(early.presaveId);
		expect(await desk.openInviteCodes()).toEqual([expiring]);

		clock.advance(7 * DAY_MS + 1);
		const fresh = await h.inviteCode(late.presaveId);

		expect(await desk.openInviteCodes()).toEqual([fresh]);
	});
});
