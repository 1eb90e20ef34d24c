import { startHub, type RunningHub } from '../../hub/src';
import { Ledger } from '../../hub/src/core/ledger';
import { migrate } from '../../hub/src/store/migrations';
import { openStore } from '../../hub/src/store/open-store';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { SmtpStandIn } from '../../sandbox/src/messaging/smtp';
import { TwilioStandIn } from '../../sandbox/src/messaging/twilio';
import { SANDBOX_SMTP, SANDBOX_TWILIO } from '../../sandbox/src/messaging';
import { eventually } from '../support/eventually';
import { HubApi } from '../support/hub-api';
import { newSealingKey } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

const SMS_WORDING =
	'Text me about Mia Vale releases. Up to 4 msgs/month. Reply STOP to stop, HELP for help.';
const EMAIL_WORDING = 'Email me about Mia Vale releases. Unsubscribe any time.';

describe.each(STORE_KINDS)('artists on %s', (kind) => {
	let database: TestDatabase;
	let hub: RunningHub;
	let api: HubApi;
	let twilio: TwilioStandIn;
	let smtp: SmtpStandIn;
	const clock = new SandboxClock();
	let inboundUrl: string;
	let slugs = 0;

	beforeAll(async () => {
		clock.set(Date.parse('2026-12-03T11:00:00Z'));
		twilio = new TwilioStandIn({
			accountSid: SANDBOX_TWILIO.accountSid,
			authToken: SANDBOX_TWILIO.authToken,
			clock,
		});
		await twilio.start();
		smtp = new SmtpStandIn({
			auth: { user: SANDBOX_SMTP.user, password: SANDBOX_SMTP.password },
			clock,
		});
		await smtp.start();
		database = await createTestDatabase(kind);
		hub = await startHub({
			port: 0,
			dataDir: database.dataDir,
			databaseUrl: database.databaseUrl,
			sealingKey: newSealingKey(),
			clock: () => clock.now(),
			program: { name: 'Fanloop', helpText: 'Fanloop: music updates. Reply STOP to opt out.' },
			messaging: {
				twilio: { ...SANDBOX_TWILIO, apiUrl: twilio.url },
				smtp: { url: smtp.url, from: SANDBOX_SMTP.from },
			},
			jobs: { pollMs: 20 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('artists test'));
		inboundUrl = `${hub.url}/webhooks/twilio/sms`;
	});

	afterAll(async () => {
		await hub?.close();
		await twilio?.stop();
		await smtp?.stop();
		await database?.drop();
	});

	async function createCampaign(artist: { artistId?: string; artist?: string }) {
		return api.call('POST', '/v1/campaigns', {
			slug: `release-${kind}-${++slugs}`,
			title: `Release ${slugs}`,
			releaseAtUtc: '2026-12-11T00:00:00Z',
			layers: ['sms', 'email'],
			consentWordings: { sms: SMS_WORDING, email: EMAIL_WORDING },
			...artist,
		});
	}

	async function count(table: string): Promise<number> {
		return Number(
			(await hub.ledger.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n,
		);
	}

	const smsTo = (phone: string) => twilio.sent().filter((message) => message.to === phone);
	const mailTo = (address: string) =>
		smtp.messages().filter((message) => message.to.includes(address));

	it('creates, reads, lists and renames an artist; a second create of the same name finds the first', async () => {
		const created = await api.call('POST', '/v1/artists', { name: '  Lio Grey ' });
		expect(created.status).toBe(200);
		expect(created.body).toMatchObject({
			created: true,
			artist: { id: expect.stringMatching(/^art_/), name: 'Lio Grey' },
		});
		const again = await api.call('POST', '/v1/artists', { name: 'Lio Grey' });
		expect(again.body).toEqual({ created: false, artist: created.body.artist });
		const id = created.body.artist.id as string;

		expect((await api.call('GET', `/v1/artists/${id}`)).body).toEqual(created.body.artist);
		const listed = await api.call('GET', '/v1/artists?limit=500');
		expect(listed.body.artists.map((artist: { id: string }) => artist.id)).toContain(id);

		const renamed = await api.call('POST', `/v1/artists/${id}`, { name: 'Lio Grey & Band' });
		expect(renamed.status).toBe(200);
		expect(renamed.body).toMatchObject({ id, name: 'Lio Grey & Band' });

		const other = await api.call('POST', '/v1/artists', { name: 'Someone Else' });
		const clash = await api.call('POST', `/v1/artists/${other.body.artist.id}`, {
			name: 'Lio Grey & Band',
		});
		expect(clash.status).toBe(409);
		expect(clash.body.error).toMatchObject({
			code: 'artist_name_taken',
			message: expect.stringContaining(id),
		});

		const missing = await api.call('GET', '/v1/artists/art_nobody');
		expect(missing.status).toBe(404);
		expect(missing.body.error.code).toBe('artist_not_found');
		const blank = await api.call('POST', '/v1/artists', { name: '   ' });
		expect(blank.status).toBe(400);
	});

	it('a campaign belongs to the artist it names by id, and follows a rename', async () => {
		const artist = (await api.call('POST', '/v1/artists', { name: 'Ada Fen' })).body.artist;
		const created = await createCampaign({ artistId: artist.id });
		expect(created.status).toBe(200);
		expect(created.body.campaign).toMatchObject({ artistId: artist.id, artist: 'Ada Fen' });

		await api.call('POST', `/v1/artists/${artist.id}`, { name: 'Ada Fen Trio' });
		const read = await api.call('GET', `/v1/campaigns/${created.body.campaign.slug}`);
		expect(read.body).toMatchObject({ artistId: artist.id, artist: 'Ada Fen Trio' });
	});

	it('a campaign without an artist id gets the artist of its name, made once and shared by the next campaign', async () => {
		const before = await count('artists');
		const first = await createCampaign({ artist: 'Kai Moreno' });
		const second = await createCampaign({ artist: 'Kai Moreno' });
		expect(first.status).toBe(200);
		expect(first.body.campaign.artistId).toMatch(/^art_/);
		expect(second.body.campaign.artistId).toBe(first.body.campaign.artistId);
		expect(await count('artists')).toBe(before + 1);

		// Updating by slug can move a campaign to another artist.
		const moved = await api.call('POST', '/v1/campaigns', {
			slug: first.body.campaign.slug,
			artist: 'Kai Moreno Live',
			title: 'Release',
			releaseAtUtc: '2026-12-11T00:00:00Z',
		});
		expect(moved.body).toMatchObject({
			created: false,
			campaign: { id: first.body.campaign.id, artist: 'Kai Moreno Live' },
		});
		expect(moved.body.campaign.artistId).not.toBe(first.body.campaign.artistId);
	});

	it('refuses a campaign naming an unknown artist or none, recording nothing', async () => {
		const before = { campaigns: await count('campaigns'), artists: await count('artists') };
		const unknown = await createCampaign({
			artistId: 'art_01JXXXXXXXXXXXXXXXXXXXXXXX',
			artist: 'Would Be Made',
		});
		expect(unknown.status).toBe(404);
		expect(unknown.body.error.code).toBe('artist_not_found');
		const none = await createCampaign({});
		expect(none.status).toBe(400);
		expect(none.body.error.message).toMatch(/artistId|artist/);
		expect({ campaigns: await count('campaigns'), artists: await count('artists') }).toEqual(
			before,
		);
	});

	it('SMS opt-in, YES, HELP and START speak as the campaign’s artist', async () => {
		const campaign = (await createCampaign({ artist: 'Mia Vale' })).body.campaign;
		const phone = '+4915123456711';
		const requested = await api.call('POST', '/v1/optins', {
			channel: 'sms',
			address: phone,
			wording: SMS_WORDING,
			campaignId: campaign.id,
		});
		expect(requested.status).toBe(201);
		const [request] = await eventually('the YES request', () =>
			smsTo(phone).length === 1 ? smsTo(phone) : undefined,
		);
		expect(request.body).toMatch(/^Mia Vale: reply YES/);
		expect(request.body).not.toContain('Fanloop');

		const yes = await twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: 'YES',
		});
		expect(yes.body).toMatch(/<Message>Mia Vale: you(&apos;|&#39;|')re in\./);
		const help = await twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: 'HELP',
		});
		expect(help.body).toContain('Mia Vale: release news by text.');
		expect(help.body).not.toContain('Fanloop');

		await twilio.inbound(inboundUrl, { From: phone, To: SANDBOX_TWILIO.from, Body: 'STOP' });
		const start = await twilio.inbound(inboundUrl, {
			From: phone,
			To: SANDBOX_TWILIO.from,
			Body: 'START',
		});
		expect(start.body).toContain('Mia Vale: you are subscribed again.');
	});

	it('email double opt-in and its welcome name the campaign’s artist', async () => {
		const campaign = (await createCampaign({ artist: 'Mia Vale' })).body.campaign;
		const address = `mia-fan-${kind}@example.com`;
		await api.call('POST', '/v1/optins', {
			channel: 'email',
			address,
			wording: EMAIL_WORDING,
			campaignId: campaign.id,
		});
		const [confirm] = await eventually('the confirmation email', () =>
			mailTo(address).length === 1 ? mailTo(address) : undefined,
		);
		expect(confirm.subject).toBe('Confirm your subscription to Mia Vale');
		expect(confirm.text).toContain('Please confirm that you want emails from Mia Vale:');
		const link = new URL(
			/https?:\/\/\S+\/optin\/confirm\?token=\S+/.exec(confirm.text)?.[0] as string,
		);
		// The fan presses the confirm button the link's page shows.
		const confirmed = await fetch(`${hub.url}/optin/confirm`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ token: link.searchParams.get('token') as string }).toString(),
		});
		expect(confirmed.status).toBe(200);
		const welcome = await smtp.waitFor(
			(email) => email.to.includes(address) && email.subject.startsWith("You're subscribed"),
		);
		expect(welcome.subject).toBe("You're subscribed to Mia Vale");
		expect(welcome.text).toContain("You're in: Mia Vale will email you about new releases.");
	});

	it('an opt-in that belongs to no campaign still speaks as the program', async () => {
		const phone = '+4915123456712';
		await api.call('POST', '/v1/optins', { channel: 'sms', address: phone, wording: SMS_WORDING });
		const [request] = await eventually('the YES request', () =>
			smsTo(phone).length === 1 ? smsTo(phone) : undefined,
		);
		expect(request.body).toMatch(/^Fanloop: reply YES/);
	});
});

describe.each(STORE_KINDS)('the artists migration on %s', (kind) => {
	let database: TestDatabase;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
	});

	afterAll(async () => {
		await database?.drop();
	});

	it('gives every campaign an older hub wrote an artist, one per artist name', async () => {
		const store = await openStore(database);
		await migrate(store, Date.now(), 4);
		const insert = (id: string, slug: string, artist: string) =>
			store.run(
				`INSERT INTO campaigns (id, slug, artist, title, release_at_utc, local_midnight, isrcs, platforms, layers,
					consent_wordings, created_at, updated_at)
				 VALUES ($1, $2, $3, 'Old release', 0, 0, '[]', '{}', '[]', '{}', 1, 1)`,
				[id, slug, artist],
			);
		await insert('cmp_01JAAAAAAAAAAAAAAAAAAAAAAA', 'old-one', 'Mia Vale');
		await insert('cmp_01JBBBBBBBBBBBBBBBBBBBBBBB', 'old-two', 'Mia Vale');
		await insert('cmp_01JCCCCCCCCCCCCCCCCCCCCCCC', 'old-three', 'Nia Vale');
		const ledger = await Ledger.open({ store, sealingKey: newSealingKey() });
		try {
			const [one, two, three] = await Promise.all(
				['old-one', 'old-two', 'old-three'].map((slug) => ledger.campaigns.get(slug)),
			);
			expect(one).toMatchObject({ artist: 'Mia Vale', artistId: 'art_01JAAAAAAAAAAAAAAAAAAAAAAA' });
			expect(two.artistId).toBe(one.artistId);
			expect(three).toMatchObject({
				artist: 'Nia Vale',
				artistId: 'art_01JCCCCCCCCCCCCCCCCCCCCCCC',
			});
			// A new campaign naming a migrated artist joins them instead of making a second one.
			const { campaign } = await ledger.campaigns.upsert({
				slug: 'new-one',
				artist: 'Mia Vale',
				title: 'New',
				releaseAtUtc: '2027-01-01T00:00:00Z',
			});
			expect(campaign.artistId).toBe(one.artistId);
		} finally {
			await ledger.close();
		}
	});
});
