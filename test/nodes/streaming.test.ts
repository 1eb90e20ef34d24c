import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { STREAMING_PLATFORMS } from '../../hub/src/core/streaming/platform';
import { FanloopStreaming } from '../../nodes/FanloopStreaming/FanloopStreaming.node';
import { STREAMING_PLATFORM_OPTIONS } from '../../nodes/FanloopStreaming/actions/common';
import { API_KEY, FakeHub, type RecordedRequest } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => hub.reset());

const SPOTIFY_NOT_CONFIGURED =
	'spotify is not configured on this hub; set its app credentials (see the README).';

function calls(requests: RecordedRequest[]) {
	return requests.map((request) => `${request.method} ${request.path}`);
}

function bodies(requests: RecordedRequest[]) {
	return requests.map((request) => request.body);
}

/** A Fanloop Trigger event as the hub delivers it. */
function event(type: string, fanId: string, action?: { id: string; kind: string }) {
	return {
		json: {
			id: `evt_${fanId}`,
			type,
			campaignId: 'cmp_1',
			data: { fan: { id: fanId }, ...(action ? { action } : {}) },
		},
	};
}

function saveAction(fanId: string, status: 'done' | 'failed') {
	return { id: `act_save_${fanId}`, fanId, kind: 'save', platform: 'spotify', status };
}

describe('Fanloop Streaming: Save Release', () => {
	/** Answers every outcome the hub has, chosen by fan. */
	const outcomeByFan: Record<string, IDataObject> = {
		fan_done: { status: 'done', action: saveAction('fan_done', 'done') },
		fan_revoked: { status: 'reconsent', action: saveAction('fan_revoked', 'failed') },
		fan_refused: { status: 'failed', action: saveAction('fan_refused', 'failed') },
		fan_early: { status: 'not_released' },
	};

	function answerSaves() {
		hub.on('POST', /^\/v1\/streaming\/save$/, (request) => {
			const { fanId } = request.body as { fanId: string };
			const outcome = outcomeByFan[fanId];
			return outcome
				? { status: 200, body: outcome }
				: { status: 404, body: { error: { code: 'fan_not_found', message: `No fan ${fanId}` } } };
		});
	}

	it('saves for the fan of a Trigger event, layered on the event’s pre-save', async () => {
		answerSaves();
		await runWorkflow(readFixture('streaming-save-release.workflow.json'), credentials(), [
			event('presave.completed', 'fan_done', { id: 'act_presave_1', kind: 'presave' }),
			// Any other action in the event is not a pre-save: the save stands on its own.
			event('layer.accepted', 'fan_early', { id: 'act_follow_1', kind: 'follow' }),
			{ json: { fan: { id: 'fan_refused' } } },
		]);
		expect(calls(hub.requests)).toEqual([
			'POST /v1/streaming/save',
			'POST /v1/streaming/save',
			'POST /v1/streaming/save',
		]);
		expect(bodies(hub.requests)).toEqual([
			{
				fanId: 'fan_done',
				campaignId: 'cmp_1',
				platform: 'spotify',
				parentActionId: 'act_presave_1',
			},
			{ fanId: 'fan_early', campaignId: 'cmp_1', platform: 'spotify' },
			{ fanId: 'fan_refused', campaignId: 'cmp_1', platform: 'spotify' },
		]);
	});

	it('outputs done, reconsent, failed and not_released as items, each paired with its input', async () => {
		answerSaves();
		const fanIds = Object.keys(outcomeByFan);
		const run = await runWorkflow(
			readFixture('streaming-save-release.workflow.json'),
			credentials(),
			fanIds.map((id) => ({ json: { id } })),
		);
		const [items] = outputsOf(run, 'Save Release');
		expect(items).toEqual(
			fanIds.map((fanId, item) => ({ json: outcomeByFan[fanId], pairedItem: { item } })),
		);
	});

	it('sends a parent action id mapped by the template author', async () => {
		answerSaves();
		const fixture = readFixture('streaming-save-release.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			platform: 'apple_music',
			parentActionId: '={{ $json.presaveId }}',
		};
		await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_done', presaveId: 'act_7' } }]);
		expect(bodies(hub.requests)).toEqual([
			{ fanId: 'fan_done', campaignId: 'cmp_1', platform: 'apple_music', parentActionId: 'act_7' },
		]);
	});

	it('refuses to save without a campaign, before calling the hub', async () => {
		const fixture = readFixture('streaming-save-release.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			campaignId: '={{ $json.campaign }}',
		};
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { id: 'fan_done', campaign: ' ' } },
		]);
		const error = run.data.resultData.runData['Save Release']?.[0]?.error;
		expect(error?.message).toBe('Campaign ID or Slug is empty');
		expect(hub.requests).toHaveLength(0);
	});

	it('with Continue On Fail, outputs one error item per failed input, each paired with it', async () => {
		answerSaves();
		const fixture = readFixture('streaming-save-release.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { id: 'fan_gone_1' } },
			{ json: { id: 'fan_revoked' } },
			{ json: { id: 'fan_gone_2' } },
			{ json: { id: 'fan_early' } },
		]);
		const [items] = outputsOf(run, 'Save Release');
		expect(items?.map((item) => [item.json.error ?? item.json.status, item.pairedItem])).toEqual([
			['No fan fan_gone_1', { item: 0 }],
			['reconsent', { item: 1 }],
			['No fan fan_gone_2', { item: 2 }],
			['not_released', { item: 3 }],
		]);
		expect(hub.requests).toHaveLength(4);
	});

	describe('when the platform is not set up on the hub (503 provider_not_configured)', () => {
		beforeEach(() =>
			hub.on('POST', /^\/v1\/streaming\/save$/, {
				status: 503,
				body: { error: { code: 'provider_not_configured', message: SPOTIFY_NOT_CONFIGURED } },
			}),
		);

		it('fails the run with the hub message naming the platform', async () => {
			const run = await runWorkflow(
				readFixture('streaming-save-release.workflow.json'),
				credentials(),
				[{ json: { id: 'fan_1' } }],
			);
			const error = run.data.resultData.runData['Save Release']?.[0]?.error;
			expect(error?.message).toBe(SPOTIFY_NOT_CONFIGURED);
			expect(error?.description).toContain('provider_not_configured');
		});

		it('with Continue On Fail, puts that message in the error item', async () => {
			const fixture = readFixture('streaming-save-release.workflow.json');
			fixture.nodes[1].onError = 'continueRegularOutput';
			const run = await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_1' } }]);
			const [items] = outputsOf(run, 'Save Release');
			expect(items).toEqual([
				{
					json: {
						error: SPOTIFY_NOT_CONFIGURED,
						details: { code: 'provider_not_configured', httpStatus: 503 },
					},
					pairedItem: { item: 0 },
				},
			]);
		});
	});
});

describe('Fanloop Streaming: Follow', () => {
	function answerFollows() {
		hub.on('POST', /^\/v1\/streaming\/follow$/, (request) => {
			const { platform, artistId } = request.body as { platform: string; artistId?: string };
			if (platform === 'apple_music' && artistId) {
				return {
					status: 400,
					body: {
						error: {
							code: 'validation_failed',
							message: "apple_music cannot follow a artist on a fan's behalf.",
						},
					},
				};
			}
			return {
				status: 200,
				body: { status: 'done', action: { id: 'act_follow', kind: 'follow' } },
			};
		});
	}

	it('follows an artist: sends artistId only, with the additional fields', async () => {
		answerFollows();
		const run = await runWorkflow(readFixture('streaming-follow.workflow.json'), credentials(), [
			event('presave.completed', 'fan_1', { id: 'act_presave_1', kind: 'presave' }),
		]);
		expect(calls(hub.requests)).toEqual(['POST /v1/streaming/follow']);
		expect(bodies(hub.requests)).toEqual([
			{
				fanId: 'fan_1',
				platform: 'spotify',
				artistId: '0OdUWJ0sBjDrqHygGUXeCF',
				campaignId: 'cmp_1',
				parentActionId: 'act_presave_1',
			},
		]);
		const [items] = outputsOf(run, 'Follow');
		expect(items).toEqual([
			{
				json: { status: 'done', action: { id: 'act_follow', kind: 'follow' } },
				pairedItem: { item: 0 },
			},
		]);
	});

	it('follows a playlist: sends playlistId only, never a left-over artist id', async () => {
		answerFollows();
		const fixture = readFixture('streaming-follow.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'library',
			operation: 'follow',
			platform: 'deezer',
			follow: 'playlist',
			// Hidden once Playlist is chosen: must not reach the hub, which takes exactly one.
			artistId: '0OdUWJ0sBjDrqHygGUXeCF',
			playlistId: '908622995',
		};
		await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_2' } }]);
		expect(bodies(hub.requests)).toEqual([
			{ fanId: 'fan_2', platform: 'deezer', playlistId: '908622995' },
		]);
	});

	it('passes on the hub’s refusal of an Apple Music artist', async () => {
		answerFollows();
		const fixture = readFixture('streaming-follow.workflow.json');
		fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, platform: 'apple_music' };
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			event('presave.completed', 'fan_1', { id: 'act_presave_1', kind: 'presave' }),
		]);
		const [items] = outputsOf(run, 'Follow');
		expect(items).toEqual([
			{
				json: {
					error: "apple_music cannot follow a artist on a fan's behalf.",
					details: { code: 'validation_failed', httpStatus: 400 },
				},
				pairedItem: { item: 0 },
			},
		]);
	});
});

describe('Fanloop Streaming: Check Saved', () => {
	it('asks per fan with campaign and platform in the query and outputs true, false or null', async () => {
		const savedByFan: Record<string, boolean | null> = {
			fan_yes: true,
			fan_no: false,
			fan_wait: null,
		};
		hub.on('GET', /^\/v1\/streaming\/saved$/, (request) => ({
			status: 200,
			body: { saved: savedByFan[request.query.fanId ?? ''] },
		}));
		const fanIds = Object.keys(savedByFan);
		const run = await runWorkflow(
			readFixture('streaming-check-saved.workflow.json'),
			credentials(),
			fanIds.map((fanId) => event('presave.completed', fanId)),
		);
		expect(hub.requests.map((request) => [request.method, request.path, request.query])).toEqual(
			fanIds.map((fanId) => [
				'GET',
				'/v1/streaming/saved',
				{ fanId, campaignId: 'nova-single', platform: 'deezer' },
			]),
		);
		const [items] = outputsOf(run, 'Check Saved');
		expect(items).toEqual(
			fanIds.map((fanId, item) => ({ json: { saved: savedByFan[fanId] }, pairedItem: { item } })),
		);
	});
});

describe('Fanloop Streaming: Start Release-Day Conversion', () => {
	it('posts the chosen platforms to the campaign’s conversions and outputs the job id', async () => {
		hub.on('POST', /^\/v1\/campaigns\/[^/]+\/conversions$/, {
			status: 202,
			body: { jobId: 'job_1' },
		});
		const run = await runWorkflow(
			readFixture('streaming-conversion-start.workflow.json'),
			credentials(),
		);
		expect(calls(hub.requests)).toEqual(['POST /v1/campaigns/nova%20single%2F2026/conversions']);
		expect(bodies(hub.requests)).toEqual([{ platforms: ['spotify', 'apple_music'] }]);
		const [items] = outputsOf(run, 'Start Conversion');
		expect(items).toEqual([{ json: { jobId: 'job_1' }, pairedItem: { item: 0 } }]);
	});

	it('lets the hub convert on every platform it has when none is chosen', async () => {
		hub.on('POST', /^\/v1\/campaigns\/cmp_1\/conversions$/, {
			status: 202,
			body: { jobId: 'job_2' },
		});
		const fixture = readFixture('streaming-conversion-start.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'conversion',
			operation: 'start',
			campaignId: 'cmp_1',
		};
		await runWorkflow(fixture, credentials());
		// No body at all: the hub reads a missing body as {}, i.e. every platform it has.
		expect(bodies(hub.requests)).toEqual([undefined]);
	});
});

describe('Fanloop Streaming: Get Job', () => {
	const job = (id: string, status: string) => ({
		id,
		kind: 'release_conversion',
		status,
		progress: {
			converted: 120,
			reconsent: 3,
			failed: 1,
			waiting: 40,
			notVisibleOn: ['deezer'],
			passes: 2,
		},
		runAt: '2026-05-01T00:01:00.000Z',
		attempts: 2,
		lastError: null,
	});

	it('reads the job id from Start’s output or from an earlier Get Job, and outputs the job', async () => {
		hub.on('GET', /^\/v1\/jobs\/[^/]+$/, (request) => ({
			status: 200,
			body: job(decodeURIComponent(request.path.split('/').pop() ?? ''), 'running'),
		}));
		const run = await runWorkflow(readFixture('streaming-get-job.workflow.json'), credentials(), [
			{ json: { jobId: 'job_1' } },
			{ json: job('job_2', 'queued') },
		]);
		expect(calls(hub.requests)).toEqual(['GET /v1/jobs/job_1', 'GET /v1/jobs/job_2']);
		const [items] = outputsOf(run, 'Get Job');
		expect(items).toEqual([
			{ json: job('job_1', 'running'), pairedItem: { item: 0 } },
			{ json: job('job_2', 'running'), pairedItem: { item: 1 } },
		]);
	});

	it('passes on the hub’s message for an unknown job', async () => {
		hub.on('GET', /^\/v1\/jobs\/job_gone$/, {
			status: 404,
			body: { error: { code: 'not_found', message: 'No job with id job_gone.' } },
		});
		const run = await runWorkflow(readFixture('streaming-get-job.workflow.json'), credentials(), [
			{ json: { jobId: 'job_gone' } },
		]);
		expect(run.data.resultData.runData['Get Job']?.[0]?.error?.message).toBe(
			'No job with id job_gone.',
		);
	});
});

describe('Fanloop Streaming: Find Expiring Connections', () => {
	const expiringByPlatform: Record<string, IDataObject[]> = {
		spotify: [
			{ fanId: 'fan_1', platform: 'spotify', refreshExpiresAt: '2026-05-20T10:00:00.000Z' },
			{ fanId: 'fan_2', platform: 'spotify', refreshExpiresAt: '2026-05-28T10:00:00.000Z' },
		],
		apple_music: [
			{ fanId: 'fan_3', platform: 'apple_music', refreshExpiresAt: '2026-05-21T10:00:00.000Z' },
		],
		deezer: [],
	};

	beforeEach(() =>
		hub.on('GET', /^\/v1\/connections\/expiring$/, (request) => {
			const { platform } = request.query;
			const connections = platform
				? (expiringByPlatform[platform] ?? [])
				: Object.values(expiringByPlatform).flat();
			return { status: 200, body: { connections } };
		}),
	);

	it('asks within the chosen days and platform, and outputs one item per connection', async () => {
		const run = await runWorkflow(
			readFixture('streaming-find-expiring.workflow.json'),
			credentials(),
		);
		expect(hub.requests.map((request) => [request.path, request.query])).toEqual([
			['/v1/connections/expiring', { withinDays: '30', platform: 'spotify' }],
		]);
		const [items] = outputsOf(run, 'Find Expiring');
		expect(items).toEqual(
			expiringByPlatform.spotify.map((json) => ({ json, pairedItem: { item: 0 } })),
		);
	});

	it('pairs each connection with the input that asked for it, and outputs nothing for none', async () => {
		const fixture = readFixture('streaming-find-expiring.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			platform: '={{ $json.platform }}',
		};
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { platform: 'apple_music' } },
			{ json: { platform: 'deezer' } },
			{ json: { platform: 'spotify' } },
		]);
		const [items] = outputsOf(run, 'Find Expiring');
		expect(items?.map((item) => [item.json.fanId, item.pairedItem])).toEqual([
			['fan_3', { item: 0 }],
			['fan_1', { item: 2 }],
			['fan_2', { item: 2 }],
		]);
	});

	it('defaults to 14 days on every platform', async () => {
		const fixture = readFixture('streaming-find-expiring.workflow.json');
		fixture.nodes[1].parameters = { resource: 'connection', operation: 'findExpiring' };
		const run = await runWorkflow(fixture, credentials());
		expect(hub.requests.map((request) => request.query)).toEqual([{ withinDays: '14' }]);
		const [items] = outputsOf(run, 'Find Expiring');
		expect(items).toHaveLength(3);
	});
});

describe('Fanloop Streaming: platforms', () => {
	it('offers exactly the hub’s streaming platforms', () => {
		expect(STREAMING_PLATFORM_OPTIONS.map((option) => option.value).sort()).toEqual(
			[...STREAMING_PLATFORMS].sort(),
		);
	});
});

describe('Fanloop Streaming: pairing', () => {
	/**
	 * WorkflowExecute fills in a missing pairedItem by position when input and output counts
	 * match, which hides a node that forgets it; so the node's own output is checked here.
	 */
	function executeContext(fanIds: string[]) {
		const parameters: Record<string, (itemIndex: number) => unknown> = {
			resource: () => 'library',
			operation: () => 'saveRelease',
			fanId: (itemIndex) => fanIds[itemIndex],
			campaignId: () => 'cmp_1',
			platform: () => 'spotify',
			parentActionId: () => '',
		};
		return {
			getInputData: () => fanIds.map((fanId) => ({ json: { fanId } })),
			getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) =>
				parameters[name]?.(itemIndex) ?? fallback,
			getNode: () => ({
				name: 'Save',
				type: 'n8n-nodes-fanloop.fanloopStreaming',
				typeVersion: 1,
			}),
			continueOnFail: () => true,
			getCredentials: async () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY }),
			helpers: {
				async httpRequestWithAuthentication(_type: string, options: IHttpRequestOptions) {
					const response = await fetch(options.url, {
						method: options.method,
						headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
						body: JSON.stringify(options.body),
					});
					return { statusCode: response.status, body: (await response.json()) as IDataObject };
				},
			},
		} as unknown as IExecuteFunctions;
	}

	it('pairs every outcome and every error item with its own input', async () => {
		hub.on('POST', /^\/v1\/streaming\/save$/, (request) => {
			const { fanId } = request.body as { fanId: string };
			return fanId === 'fan_ok'
				? { status: 200, body: { status: 'reconsent' } }
				: { status: 404, body: { error: { code: 'fan_not_found', message: `No fan ${fanId}` } } };
		});
		const [items] = await new FanloopStreaming().execute.call(
			executeContext(['fan_gone', 'fan_ok', 'fan_lost']),
		);
		expect(items.map((item) => [item.json.error ?? item.json.status, item.pairedItem])).toEqual([
			['No fan fan_gone', { item: 0 }],
			['reconsent', { item: 1 }],
			['No fan fan_lost', { item: 2 }],
		]);
	});
});
