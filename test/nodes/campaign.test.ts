import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { API_KEY, FakeHub, type RecordedRequest } from './fake-hub';
import { outputsOf, readFixture, runWorkflow, type WorkflowFixture } from './harness';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => hub.reset());

const PAGE_BASE = 'https://fans.example.com/c/';

/** Answers a campaign upsert the way the hub does: the stored campaign with its page URL. */
function answerUpserts() {
	hub.on('POST', /^\/v1\/campaigns$/, (request) => {
		const body = request.body as IDataObject;
		return {
			status: 200,
			body: {
				campaign: { id: `cmp_${String(body.slug)}`, ...body, pageUrl: `${PAGE_BASE}${body.slug}` },
				created: true,
			},
		};
	});
}

function upsertFixture(
	parameters: INodeParameters = {},
	settings: IDataObject = {},
): WorkflowFixture {
	const fixture = readFixture('campaign-upsert.workflow.json');
	fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, ...parameters };
	fixture.settings = { ...fixture.settings, ...settings };
	return fixture;
}

function sentBodies(requests: RecordedRequest[]) {
	return requests.map((request) => request.body as IDataObject);
}

async function failureOf(fixture: WorkflowFixture, items?: Array<{ json: IDataObject }>) {
	const run = await runWorkflow(fixture, credentials(), items);
	return run.data.resultData.runData[fixture.nodes[1].name]?.[0]?.error;
}

describe('Fanloop Campaign: Create or Update', () => {
	it('sends the whole campaign: release in UTC, links turned into platform IDs, wordings of the offered opt-ins', async () => {
		answerUpserts();
		await runWorkflow(readFixture('campaign-upsert.workflow.json'), credentials());
		expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/campaigns']);
		expect(sentBodies(hub.requests)).toEqual([
			{
				slug: 'midnight-city',
				artist: 'Nia Vale',
				title: 'Midnight City',
				// Midnight in Berlin (CET, UTC+1) is 23:00 UTC the day before.
				releaseAtUtc: '2026-12-03T23:00:00.000Z',
				timezone: 'Europe/Berlin',
				localMidnight: false,
				platforms: {
					spotify: {
						albumId: 'spotify:album:5anDb0xDem0A1bum000001',
						trackIds: 'spotify:track:5anDb0xDem0Track000001,spotify:track:5anDb0xDem0Track000002',
						artistId: 'spotify:artist:5anDb0xDem0Art1st00001',
						playlistId: 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M',
					},
					apple_music: { albumId: '1790000001', trackIds: '1790000002' },
					deezer: { albumId: '700000001', artistId: '5100001' },
					youtube: { artistId: 'UCsandboxSessions0000001' },
				},
				layers: ['sms', 'email', 'telegram', 'follow'],
				consentWordings: {
					sms: 'Text me about new releases from Nia Vale. Reply STOP to opt out.',
					email: 'Email me about new releases from Nia Vale. Unsubscribe any time.',
				},
				artworkUrl: 'https://cdn.example.com/midnight-city.jpg',
				upc: '0196922000017',
				isrcs: ['QZFLP2600001', 'QZFLP2600002'],
				locale: 'de',
			},
		]);
	});

	it('outputs the campaign with its pre-save page URL, paired with its input', async () => {
		answerUpserts();
		const run = await runWorkflow(readFixture('campaign-upsert.workflow.json'), credentials());
		const [items] = outputsOf(run, 'Create or Update Campaign');
		expect(items).toEqual([
			{
				json: expect.objectContaining({
					id: 'cmp_midnight-city',
					slug: 'midnight-city',
					pageUrl: `${PAGE_BASE}midnight-city`,
					created: true,
				}),
				pairedItem: { item: 0 },
			},
		]);
	});

	it('offers a platform with no IDs (found by UPC on release day); sends only the wordings of offered layers, the bots’ ones when filled in', async () => {
		answerUpserts();
		await runWorkflow(
			upsertFixture({
				platforms: { spotify: {}, deezer: { albumId: ' ' } },
				layers: ['telegram', 'discord'],
				telegramWording: 'Yes, Nia Vale may message me here about new releases.',
				discordWording: '',
				additionalFields: {},
			}),
			credentials(),
		);
		expect(sentBodies(hub.requests)[0]).toMatchObject({
			platforms: { spotify: {}, deezer: {} },
			layers: ['telegram', 'discord'],
			consentWordings: { telegram: 'Yes, Nia Vale may message me here about new releases.' },
			artworkUrl: null,
			upc: null,
			isrcs: [],
		});
		expect(sentBodies(hub.requests)[0].consentWordings).toEqual({
			telegram: 'Yes, Nia Vale may message me here about new releases.',
		});
		expect(sentBodies(hub.requests)[0]).not.toHaveProperty('locale');
	});

	describe('release at local midnight', () => {
		it.each([
			['a date and time', '2026-12-04T00:00:00'],
			['a date alone', '2026-12-04'],
			// The date as written, not as it falls in Berlin (that would be 2026-12-04 09:00).
			['a date and time with its own offset', '2026-12-04T00:00:00-08:00'],
			['a UTC date and time', '2026-12-04T00:00:00.000Z'],
		])('sends the release date at 00:00 UTC from %s', async (_, releaseDate) => {
			answerUpserts();
			await runWorkflow(upsertFixture({ releaseDate, localMidnight: true }), credentials());
			expect(sentBodies(hub.requests)[0]).toMatchObject({
				releaseAtUtc: '2026-12-04T00:00:00.000Z',
				timezone: 'Europe/Berlin',
				localMidnight: true,
			});
		});
	});

	it("reads the release in the workflow's time zone when Time Zone is empty", async () => {
		answerUpserts();
		await runWorkflow(
			upsertFixture({ timezone: '' }, { timezone: 'America/New_York' }),
			credentials(),
		);
		expect(sentBodies(hub.requests)[0]).toMatchObject({
			releaseAtUtc: '2026-12-04T05:00:00.000Z',
			timezone: 'America/New_York',
		});
	});

	it.each([
		[
			'a Luxon date from an expression',
			"={{ DateTime.fromISO('2026-12-04T09:30:00', { zone: 'Asia/Tokyo' }) }}",
		],
		['a JavaScript date from an expression', "={{ new Date('2026-12-04T00:30:00Z') }}"],
	])('takes %s as the instant it is', async (_, releaseDate) => {
		answerUpserts();
		await runWorkflow(upsertFixture({ releaseDate }), credentials());
		expect(sentBodies(hub.requests)[0]).toMatchObject({ releaseAtUtc: '2026-12-04T00:30:00.000Z' });
	});

	it('keeps an instant written with an offset, whatever the time zone', async () => {
		answerUpserts();
		await runWorkflow(upsertFixture({ releaseDate: '2026-12-04T09:30:00+09:00' }), credentials());
		expect(sentBodies(hub.requests)[0]).toMatchObject({ releaseAtUtc: '2026-12-04T00:30:00.000Z' });
	});

	describe('refuses bad input with a message a marketer can act on, before calling the hub', () => {
		it.each([
			[
				// n8n itself stops a workflow whose required field is left empty; a mapped one can still be.
				'a release date mapped from a field the item lacks',
				{ releaseDate: '={{ $json.releaseDate }}' },
				'Release Date is empty',
				'Fill in "Release Date", or map it from an earlier node.',
			],
			[
				'a time zone that does not exist',
				{ timezone: 'Mars/Olympus_Mons' },
				'"Mars/Olympus_Mons" is not a time zone',
				'Use a time zone name from the IANA list, such as Europe/Berlin, America/New_York or UTC.',
			],
			[
				'a release date that is not a date',
				{ releaseDate: 'next Friday' },
				'Release Date "next Friday" is not a date and time',
				'Pick the date in the date picker, or write it as 2026-12-04T00:00:00 (the time is read in the Time Zone).',
			],
			[
				'an SMS layer without its consent wording',
				{ smsWording: '  ' },
				'SMS Consent Wording is empty',
				'Fill in "SMS Consent Wording", or map it from an earlier node.',
			],
			[
				'a Spotify link to something other than an album',
				{
					platforms: {
						spotify: { albumId: 'https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M' },
					},
				},
				'"https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M" is not a Spotify album ID or link',
				'Write it like spotify:album:4aawyAB9vmqN3uQ7FjRGTy or https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy.',
			],
			[
				'an artwork address that is not https',
				{ additionalFields: { artworkUrl: 'http://cdn.example.com/cover.jpg' } },
				'Artwork URL "http://cdn.example.com/cover.jpg" is not an https address',
				'Give the full address of the image, starting with https://.',
			],
		])('%s', async (_, parameters, message, description) => {
			const error = await failureOf(upsertFixture(parameters));
			expect({ message: error?.message, description: error?.description }).toEqual({
				message,
				description,
			});
			expect(hub.requests).toHaveLength(0);
		});
	});

	it('fails with the hub’s own message when the hub refuses the campaign', async () => {
		const message =
			'Invalid body. slug: slug uses lower-case letters, digits and dashes, e.g. "midnight-city"';
		hub.on('POST', /^\/v1\/campaigns$/, {
			status: 400,
			body: { error: { code: 'validation_failed', message } },
		});
		const error = await failureOf(upsertFixture({ slug: 'midnight city!' }));
		expect(error?.message).toBe(message);
		expect(error?.description).toContain('validation_failed');
	});

	it('with Continue On Fail, outputs an error item for each bad input and goes on with the others', async () => {
		answerUpserts();
		const fixture = upsertFixture({
			slug: '={{ $json.slug }}',
			timezone: '={{ $json.timezone }}',
			releaseDate: '={{ $json.releaseDate }}',
		});
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{
				json: {
					slug: 'first-single',
					timezone: 'Europe/Berlin',
					releaseDate: '2026-12-04T00:00:00',
				},
			},
			{ json: { slug: 'second-single', timezone: 'Berlin', releaseDate: '2026-12-04T00:00:00' } },
			{ json: { slug: 'third-single', timezone: 'UTC', releaseDate: '' } },
			{ json: { slug: 'fourth-single', timezone: 'UTC', releaseDate: '2027-01-15T00:00:00' } },
		]);
		const [items] = outputsOf(run, 'Create or Update Campaign');
		expect(items?.map((item) => [item.json.error ?? item.json.pageUrl, item.pairedItem])).toEqual([
			[`${PAGE_BASE}first-single`, { item: 0 }],
			['"Berlin" is not a time zone', { item: 1 }],
			['Release Date is empty', { item: 2 }],
			[`${PAGE_BASE}fourth-single`, { item: 3 }],
		]);
		expect(sentBodies(hub.requests).map((body) => body.slug)).toEqual([
			'first-single',
			'fourth-single',
		]);
	});
});

describe('Fanloop Campaign: the artist', () => {
	const ARTIST_ID = 'art_01JF8ZR3Q4S5T6V7W8X9Y0Z1AB';

	/** Answers the way the hub does: an id names the artist, a name finds or makes one. */
	function answerWithArtist() {
		hub.on('POST', /^\/v1\/campaigns$/, (request) => {
			const body = request.body as IDataObject;
			const artist = body.artistId
				? { artistId: body.artistId, artist: 'Mia Vale' }
				: { artistId: 'art_01JF8ZR3Q4S5T6V7W8X9Y0Z9ZZ', artist: body.artist };
			return {
				status: 200,
				body: {
					campaign: { id: 'cmp_1', ...body, ...artist, pageUrl: `${PAGE_BASE}${body.slug}` },
					created: true,
				},
			};
		});
	}

	it('sends an artist id (art_…) as artistId, and returns the campaign with its artist', async () => {
		answerWithArtist();
		const run = await runWorkflow(upsertFixture({ artist: ARTIST_ID }), credentials());
		const [sent] = sentBodies(hub.requests);
		expect(sent.artistId).toBe(ARTIST_ID);
		expect(sent).not.toHaveProperty('artist');
		const [items] = outputsOf(run, 'Create or Update Campaign');
		expect(items?.[0].json).toMatchObject({ artistId: ARTIST_ID, artist: 'Mia Vale' });
	});

	it('sends anything else as the artist name, for the hub to find or make', async () => {
		answerWithArtist();
		const run = await runWorkflow(upsertFixture({ artist: 'Mia Vale' }), credentials());
		const [sent] = sentBodies(hub.requests);
		expect(sent.artist).toBe('Mia Vale');
		expect(sent).not.toHaveProperty('artistId');
		const [items] = outputsOf(run, 'Create or Update Campaign');
		expect(items?.[0].json).toMatchObject({
			artistId: expect.stringMatching(/^art_/),
			artist: 'Mia Vale',
		});
	});
});

describe('Fanloop Campaign: Get', () => {
	const campaign = {
		id: 'cmp_1',
		slug: 'midnight-city',
		artist: 'Nia Vale',
		title: 'Midnight City',
		pageUrl: `${PAGE_BASE}midnight-city`,
	};

	beforeEach(() => {
		hub.on('GET', /^\/v1\/campaigns\/[^/]+$/, (request) => {
			const idOrSlug = decodeURIComponent(request.path.split('/').pop()!);
			return idOrSlug === campaign.id || idOrSlug === campaign.slug
				? { status: 200, body: campaign }
				: {
						status: 404,
						body: {
							error: {
								code: 'campaign_not_found',
								message: `No campaign with id or slug "${idOrSlug}".`,
							},
						},
					};
		});
	});

	it('gets a campaign by slug or by ID, each output paired with its input', async () => {
		const run = await runWorkflow(readFixture('campaign-get.workflow.json'), credentials(), [
			{ json: { campaign: 'midnight-city' } },
			{ json: { campaign: 'cmp_1' } },
		]);
		expect(hub.requests.map((r) => r.path)).toEqual([
			'/v1/campaigns/midnight-city',
			'/v1/campaigns/cmp_1',
		]);
		const [items] = outputsOf(run, 'Get Campaign');
		expect(items).toEqual([
			{ json: campaign, pairedItem: { item: 0 } },
			{ json: campaign, pairedItem: { item: 1 } },
		]);
	});

	it('names the campaign it could not find', async () => {
		const error = await failureOf(readFixture('campaign-get.workflow.json'), [
			{ json: { campaign: 'no-such-single' } },
		]);
		expect(error?.message).toBe('No campaign with id or slug "no-such-single".');
	});

	it('with Continue On Fail, outputs an error item for an empty or unknown campaign and goes on', async () => {
		const fixture = readFixture('campaign-get.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { campaign: '' } },
			{ json: { campaign: 'no-such-single' } },
			{ json: { campaign: 'midnight-city' } },
		]);
		const [items] = outputsOf(run, 'Get Campaign');
		expect(items).toEqual([
			{
				json: {
					error: 'Campaign ID or Slug is empty',
					details: { hint: 'Fill in "Campaign ID or Slug", or map it from an earlier node.' },
				},
				pairedItem: { item: 0 },
			},
			{
				json: {
					error: 'No campaign with id or slug "no-such-single".',
					details: { code: 'campaign_not_found', httpStatus: 404 },
				},
				pairedItem: { item: 1 },
			},
			{ json: campaign, pairedItem: { item: 2 } },
		]);
		expect(hub.requests).toHaveLength(2);
	});
});
