import { REPLIES } from '../../bot/src/discord/fan-actions';
import { PERMISSIONS, SANDBOX_DISCORD } from '../../sandbox/src/community';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { eventually } from '../support/eventually';
import { STORE_KINDS } from '../support/stores';
import { BOT_PERMISSIONS, DiscordHub, buttonsOf } from './discord-hub';

describe.each(STORE_KINDS)('the Discord bot in the hub (%s)', (kind) => {
	let h: DiscordHub;

	afterEach(async () => {
		await h?.close();
	});

	it('attributes a join through the fan’s single-use invite, grants the role on /join, takes it on /stop and tells n8n once each', async () => {
		h = await DiscordHub.start(kind);
		const { fanId, presaveId, campaignId } = await h.presave();

		const link = await h.api.call('POST', '/v1/community/links', {
			platform: 'discord',
			actionId: presaveId,
		});
		expect(link.status).toBe(200);
		expect(link.body.url).toBe(`${h.hub.url}/l/discord/${link.body.reference}`);
		const hop = await fetch(link.body.url, { redirect: 'manual' });
		expect(hop.status).toBe(302);
		const code = /^https:\/\/discord\.gg\/(.+)$/.exec(hop.headers.get('location') ?? '')?.[1];
		expect(h.discord.invites().map((invite) => [invite.code, invite.maxUses])).toEqual([[code, 1]]);

		const fan = h.discord.addUser('mara');
		h.discord.memberJoins(fan.id, code!);
		const welcome = await eventually('the welcome DM', () => h.discord.dms(fan.id)[0]);
		expect(welcome.content).toBe(REPLIES.welcome);
		expect(buttonsOf(welcome)).toEqual(['fanloop:join']);
		expect(await h.fanOf(fan.id)).toBe(fanId);

		// The welcome DM's button asks for consent right there in the DM, as /join does in the server.
		const offerInDm = await h.press(fan.id, 'join', welcome.id);
		const offer = await h.command(fan.id, 'join');
		expect(buttonsOf(offer)).toEqual(['fanloop:join-confirm']);
		expect(offer.content).toContain('release-updates role');
		expect(offerInDm.content).toBe(offer.content);
		expect(h.discord.memberRoles(fan.id)).toEqual([]);

		expect((await h.press(fan.id, 'join-confirm', offer.id)).content).toBe(REPLIES.joined);
		expect(h.discord.memberRoles(fan.id)).toEqual([SANDBOX_DISCORD.releaseRoleId]);

		const exported = (await h.api.call('GET', `/v1/fans/${fanId}/export`)).body;
		const joins = exported.actions.filter(
			(action: { kind: string }) => action.kind === 'join_discord',
		);
		expect(joins).toHaveLength(2);
		const [arrival, optIn] = joins;
		expect(arrival).toMatchObject({
			platform: 'discord',
			parentActionId: presaveId,
			campaignId,
			verification: 'hard',
		});
		// The opt-in is layered on the attributed arrival, in the same campaign.
		expect(optIn).toMatchObject({
			platform: 'discord',
			status: 'done',
			verification: 'hard',
			parentActionId: arrival.id,
			campaignId,
			data: { what: 'release_updates' },
		});
		const consent = exported.consents.find(
			(item: { channel: string }) => item.channel === 'discord',
		);
		expect(consent).toMatchObject({
			purpose: 'release_updates',
			status: 'granted',
			wording: offer.content,
		});

		// The same button again (a double click) changes nothing.
		expect((await h.press(fan.id, 'join-confirm', offer.id)).content).toBe(REPLIES.alreadyJoined);
		expect((await h.command(fan.id, 'join')).content).toBe(REPLIES.alreadyJoined);

		expect((await h.command(fan.id, 'presave')).content).toBe(
			`Pre-save “Halo” by Nia Vale: ${h.hub.url}/c/nia-vale-halo`,
		);
		expect((await h.command(fan.id, 'status')).content.split('\n')[0]).toBe('Release updates: on.');

		expect((await h.command(fan.id, 'stop')).content).toBe(REPLIES.stopped);
		expect(h.discord.memberRoles(fan.id)).toEqual([]);
		const stopped = await h.command(fan.id, 'status');
		expect(stopped.content.split('\n')[0]).toBe('Release updates: off.');
		expect(buttonsOf(stopped)).toEqual(['fanloop:join']);
		const status = await h.api.call('GET', `/v1/community/status?fanId=${fanId}`);
		expect(status.body).toMatchObject({
			fanId,
			discord: { userId: fan.id, releaseUpdates: false },
		});

		const events = await eventually('three community events', () =>
			h.events().length >= 3 ? h.events() : undefined,
		);
		expect(events.map((event) => [event.type, event.data.community?.what])).toEqual([
			['community.joined', 'guild'],
			['community.joined', 'release_updates'],
			['community.left', 'release_updates'],
		]);
		expect(events.every((event) => event.data.fan.id === fanId)).toBe(true);
		expect(events[0].data.action?.parentActionId).toBe(presaveId);
		expect(events[1].data.action?.parentActionId).toBe(arrival.id);
	});

	it('records fans leaving the server, also those who joined before the bot connected', async () => {
		let veteran = '';
		h = await DiscordHub.start(kind, {
			before: (discord) => {
				veteran = discord.addUser('veteran').id;
				discord.addMember(veteran);
			},
		});
		const newcomer = await h.member('newcomer');
		// Known to the hub (from an earlier import), never seen by this bot session.
		const created = await h.api.call('POST', '/v1/fans', {
			identities: [{ channel: 'discord', value: veteran }],
		});
		const veteranFan: string = created.body.fan.id;

		h.discord.memberLeaves(newcomer);
		h.discord.memberLeaves(veteran);

		const left = await eventually('two left events', () => {
			const events = h.events().filter((event) => event.type === 'community.left');
			return events.length >= 2 ? events : undefined;
		});
		expect(left.map((event) => [event.data.fan.id, event.data.community?.what]).sort()).toEqual(
			[
				[await h.fanOf(newcomer), 'guild'],
				[veteranFan, 'guild'],
			].sort(),
		);
	});

	it('delivers every event once when n8n was down while the fan acted', async () => {
		h = await DiscordHub.start(kind);
		h.n8n.status = 503;
		const fan = await h.member('ines');

		const offer = await h.command(fan, 'join');
		await h.press(fan, 'join-confirm', offer.id);
		await eventually('refused deliveries', () => (h.n8n.received.length >= 2 ? true : undefined));

		h.n8n.status = 200;
		h.n8n.received.length = 0;
		await eventually('both joins after n8n came back', () =>
			h.events().length >= 2 ? true : undefined,
		);
		// A later event proves nothing more was waiting behind the first two.
		await h.command(fan, 'stop');
		await eventually('the stop event', () => (h.events().length >= 3 ? true : undefined));
		const ids = h.n8n.received.map((delivery) => JSON.parse(delivery.body).id as string);
		expect(new Set(ids).size).toBe(ids.length);
		expect(h.events().map((event) => [event.type, event.data.community?.what])).toEqual([
			['community.joined', 'guild'],
			['community.joined', 'release_updates'],
			['community.left', 'release_updates'],
		]);
	});
});

describe('the Discord bot facing what can go wrong', () => {
	let h: DiscordHub;

	afterEach(async () => {
		await h?.close();
	});

	it('tells the fan it cannot give the role when the role sits above the bot’s, and records no opt-in', async () => {
		const warnings: string[] = [];
		h = await DiscordHub.start('sqlite', {
			logger: {
				info() {},
				error() {},
				warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
			},
		});
		h.discord.moveRole(SANDBOX_DISCORD.releaseRoleId, 5);
		const fan = await h.member('theo');

		const offer = await h.command(fan, 'join');
		const answer = await h.press(fan, 'join-confirm', offer.id);
		expect(answer.content).toContain('Sorry, I can’t do that with your role right now.');
		expect(answer.content).toContain('drag the bot’s role above “Release updates”');
		expect(h.discord.memberRoles(fan)).toEqual([]);
		expect(warnings.some((line) => line.includes('sits above the bot’s highest role'))).toBe(true);

		const exported = (await h.api.call('GET', `/v1/fans/${await h.fanOf(fan)}/export`)).body;
		expect(exported.consents).toEqual([]);
		await eventually('the join event', () => (h.events().length >= 1 ? true : undefined));
		expect(h.events().map((event) => event.data.community?.what)).toEqual(['guild']);
	});

	it('answers a fan who erased their data without recording anything about them', async () => {
		h = await DiscordHub.start('sqlite');
		const fan = await h.member('omar');
		await h.press(fan, 'join-confirm', (await h.command(fan, 'join')).id);
		const fanId = await h.fanOf(fan);
		expect((await h.api.call('DELETE', `/v1/fans/${fanId}`)).status).toBeLessThan(300);

		expect((await h.command(fan, 'join')).content).toBe(REPLIES.erased);
		expect((await h.command(fan, 'status')).content).toBe(REPLIES.erased);
		expect((await h.command(fan, 'stop')).content).toBe(REPLIES.erased);

		expect(await h.fanOf(fan)).toBeUndefined();
		expect((await h.api.call('GET', '/v1/fans?channel=discord&limit=10')).body.fans).toEqual([]);
	});

	it('asks a flooding fan to slow down while other fans are served', async () => {
		h = await DiscordHub.start('sqlite');
		const flooder = await h.member('flood');
		const neighbour = await h.member('calm');

		const flood = Array.from({ length: 14 }, () => h.discord.runCommand(flooder, 'help').id);
		const calm = await h.command(neighbour, 'help');

		expect(calm.content).toBe(REPLIES.help);
		const answers = await Promise.all(flood.map((id) => h.answer(id)));
		const contents = answers.map((answer) => answer.content);
		expect(contents.filter((content) => content === REPLIES.help)).toHaveLength(10);
		expect(contents.filter((content) => content === REPLIES.slowDown)).toHaveLength(4);
	});

	it('asks a fan to slow down past the per-fan limit the Discord config sets', async () => {
		h = await DiscordHub.start('sqlite', { perUserLimit: { requests: 2, windowMs: 60_000 } });
		const fan = await h.member('eager');

		const answers = [];
		for (let i = 0; i < 3; i++) answers.push((await h.command(fan, 'help')).content);

		expect(answers).toEqual([REPLIES.help, REPLIES.help, REPLIES.slowDown]);
	});

	it('makes no invite for a forged link reference', async () => {
		h = await DiscordHub.start('sqlite');
		const { presaveId } = await h.presave();
		const link = await h.api.call('POST', '/v1/community/links', {
			platform: 'discord',
			actionId: presaveId,
		});
		const reference: string = link.body.reference;
		const forged = `${reference.slice(0, 30)}${reference[30] === 'A' ? 'B' : 'A'}${reference.slice(31)}`;

		const page = await fetch(`${h.hub.url}/l/discord/${forged}`, { redirect: 'manual' });

		expect(page.status).toBe(400);
		expect(h.discord.invites()).toEqual([]);
	});

	it('answers /join in a DM: members get the role in the server, others are asked to join it first', async () => {
		h = await DiscordHub.start('sqlite', { globalCommands: true });
		const dana = await h.member('dana');
		const outsider = h.discord.addUser('outsider').id;

		const offer = await h.answer(h.discord.runCommand(dana, 'join', {}, { inDm: true }).id);
		expect(buttonsOf(offer)).toEqual(['fanloop:join-confirm']);
		expect((await h.press(dana, 'join-confirm', offer.id)).content).toBe(REPLIES.joined);
		expect(h.discord.memberRoles(dana)).toEqual([SANDBOX_DISCORD.releaseRoleId]);

		const refused = await h.answer(h.discord.runCommand(outsider, 'join', {}, { inDm: true }).id);
		expect(refused.content).toBe(REPLIES.notInServer);
		expect(await h.fanOf(outsider)).toBeUndefined();
	});

	it('still records a join it cannot attribute when the bot may not list invites, and says why', async () => {
		const warnings: string[] = [];
		h = await DiscordHub.start('sqlite', {
			logger: { info() {}, error() {}, warn: (message) => warnings.push(message) },
		});
		h.discord.setRolePermissions(
			SANDBOX_DISCORD.botRoleId,
			BOT_PERMISSIONS & ~PERMISSIONS.manageGuild,
		);
		const { presaveId, fanId } = await h.presave();
		const code = await h.inviteCode(presaveId);

		const fan = h.discord.addUser('unattributed');
		h.discord.memberJoins(fan.id, code);

		const owner = await eventually('the join recorded', () => h.fanOf(fan.id));
		expect(owner).not.toBe(fanId);
		expect(warnings.some((message) => message.includes('Manage Server'))).toBe(true);
	});

	it('credits nobody when two invites were used up at once, rather than the wrong fan', async () => {
		h = await DiscordHub.start('sqlite');
		const first = await h.presave('first');
		const second = await h.presave('second');
		const codes = [await h.inviteCode(first.presaveId), await h.inviteCode(second.presaveId)];
		// Both invites are used up before the bot hears of either join.
		const [a, b] = [h.discord.addUser('a'), h.discord.addUser('b')];
		h.discord.memberJoins(a.id, codes[0]);
		h.discord.memberJoins(b.id, codes[1]);

		for (const user of [a, b]) {
			const owner = await eventually(`${user.username} linked`, () => h.fanOf(user.id));
			expect([first.fanId, second.fanId]).not.toContain(owner);
		}

		// The two spent invites are no longer in the way: the next join is credited, and the
		// first fan's link makes a new invite instead of handing out the dead one.
		const third = await h.presave('third');
		const c = h.discord.addUser('c');
		h.discord.memberJoins(c.id, await h.inviteCode(third.presaveId));
		expect(await eventually('c linked', () => h.fanOf(c.id))).toBe(third.fanId);
		expect(codes).not.toContain(await h.inviteCode(first.presaveId));
	});

	it('credits the right fan although an invite made earlier expired unused', async () => {
		const clock = new SandboxClock();
		h = await DiscordHub.start('sqlite', { discordClock: clock });
		const early = await h.presave('early');
		const late = await h.presave('late');
		await h.inviteCode(early.presaveId);
		clock.advance(8 * 24 * 3600 * 1000);

		const code = await h.inviteCode(late.presaveId);
		const fan = h.discord.addUser('latecomer');
		h.discord.memberJoins(fan.id, code);

		expect(await eventually('the latecomer linked', () => h.fanOf(fan.id))).toBe(late.fanId);
	});

	it('logs answers Discord refused without the bot token or the interaction token', async () => {
		const lines: string[] = [];
		const capture = (message: string, fields?: Record<string, unknown>) =>
			lines.push(`${message} ${JSON.stringify(fields)}`);
		h = await DiscordHub.start('sqlite', {
			logger: { info: capture, warn: capture, error: capture },
		});
		const fan = await h.member('mallory');
		h.discord.faults.set({ serverErrorRate: 1 });

		const { token } = h.discord.runCommand(fan, 'help');
		await eventually(
			'the failure logged',
			() => (lines.some((line) => line.includes('could not answer')) ? true : undefined),
			20_000,
		);

		expect(lines.join('\n')).not.toContain(SANDBOX_DISCORD.token);
		expect(lines.join('\n')).not.toContain(token);
	});
});
