import type { IDataObject } from 'n8n-workflow';

import { COMMUNITY_PLATFORMS } from '../../hub/src/core/community/ports';
import { COMMUNITY_PLATFORM_OPTIONS } from '../../nodes/FanloopCommunity/actions/common';
import { API_KEY, FakeHub, type RecordedRequest } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => hub.reset());

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

function hubError(status: number, code: string, message: string) {
	return { status, body: { error: { code, message } } };
}

/** The error a fixture's Fanloop node stopped the run with. */
function errorOf(run: Awaited<ReturnType<typeof runWorkflow>>, nodeName: string) {
	return run.data.resultData.runData[nodeName]?.[0]?.error;
}

describe('Fanloop Community: Create Link', () => {
	/** Answers the way the hub does: a t.me deep link or a hub redirect, keyed by a reference. */
	function answerLinks() {
		hub.on('POST', /^\/v1\/community\/links$/, (request) => {
			const { platform, fanId, actionId } = request.body as IDataObject;
			const reference = `ref_${String(fanId ?? actionId)}`;
			const url =
				platform === 'telegram'
					? `https://t.me/nia_vale_bot?start=${reference}`
					: `http://hub.test/l/discord/${reference}`;
			return { status: 200, body: { platform, url, reference } };
		});
	}

	it('makes a Telegram deep link for the fan of each item, paired with it', async () => {
		answerLinks();
		const run = await runWorkflow(
			readFixture('community-create-link.workflow.json'),
			credentials(),
			[
				event('presave.completed', 'fan_1', { id: 'act_presave_1', kind: 'presave' }),
				{ json: { fan: { id: 'fan_2' } } },
				{ json: { id: 'fan_3' } },
			],
		);
		expect(calls(hub.requests)).toEqual(Array(3).fill('POST /v1/community/links'));
		expect(bodies(hub.requests)).toEqual([
			{ platform: 'telegram', fanId: 'fan_1' },
			{ platform: 'telegram', fanId: 'fan_2' },
			{ platform: 'telegram', fanId: 'fan_3' },
		]);
		const [items] = outputsOf(run, 'Create Link');
		expect(items).toEqual(
			['fan_1', 'fan_2', 'fan_3'].map((fanId, item) => ({
				json: {
					platform: 'telegram',
					url: `https://t.me/nia_vale_bot?start=ref_${fanId}`,
					reference: `ref_${fanId}`,
				},
				pairedItem: { item },
			})),
		);
	});

	it('attributes a Discord invite to the event’s action, never sending a hidden fan id', async () => {
		answerLinks();
		const fixture = readFixture('community-create-link.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			platform: 'discord',
			attributeTo: 'action',
			// Hidden once Action is chosen: the hub takes one target.
			fanId: 'fan_hidden',
		};
		const run = await runWorkflow(fixture, credentials(), [
			event('presave.completed', 'fan_1', { id: 'act_presave_1', kind: 'presave' }),
		]);
		expect(bodies(hub.requests)).toEqual([{ platform: 'discord', actionId: 'act_presave_1' }]);
		const [items] = outputsOf(run, 'Create Link');
		expect(items?.[0]?.json.url).toBe('http://hub.test/l/discord/ref_act_presave_1');
	});

	it('makes one Telegram link tagged with a source, naming no fan', async () => {
		hub.on('POST', /^\/v1\/community\/links$/, {
			status: 200,
			body: {
				platform: 'telegram',
				url: 'https://t.me/nia_vale_bot?start=instagram-bio',
				reference: 'instagram-bio',
			},
		});
		const fixture = readFixture('community-create-link.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			attributeTo: 'source',
			source: ' instagram-bio ',
		};
		const run = await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_not_sent' } }]);
		expect(bodies(hub.requests)).toEqual([{ platform: 'telegram', source: 'instagram-bio' }]);
		const [items] = outputsOf(run, 'Create Link');
		expect(items?.[0]?.json.reference).toBe('instagram-bio');
	});

	it('refuses an item without an action to attribute to, before calling the hub', async () => {
		const fixture = readFixture('community-create-link.workflow.json');
		fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, attributeTo: 'action' };
		const run = await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_1' } }]);
		expect(errorOf(run, 'Create Link')?.message).toBe('Action ID is empty');
		expect(hub.requests).toHaveLength(0);
	});

	it('passes on the hub’s word when the platform’s bot is not set up', async () => {
		const message =
			'discord is not configured on this hub; set FANLOOP_DISCORD_TOKEN (see the README).';
		hub.on('POST', /^\/v1\/community\/links$/, hubError(503, 'provider_not_configured', message));
		const fixture = readFixture('community-create-link.workflow.json');
		fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, platform: 'discord' };
		const run = await runWorkflow(fixture, credentials(), [{ json: { id: 'fan_1' } }]);
		expect(errorOf(run, 'Create Link')?.message).toBe(message);
		expect(errorOf(run, 'Create Link')?.description).toContain('provider_not_configured');
	});
});

describe('Fanloop Community: Grant and Revoke Role', () => {
	const HIERARCHY =
		"The bot can't give the Release updates role: move the bot's role above it in Server Settings → Roles.";
	const NO_DISCORD =
		'fan_tg has no Discord account linked yet; send them a Discord invite link first.';

	/** fan_ok holds the role after a grant and loses it after a revoke; the others are refused. */
	function answerRoles() {
		hub.on('POST', /^\/v1\/community\/roles$/, (request) => {
			const { fanId, action } = request.body as { fanId: string; action: string };
			if (fanId === 'fan_tg') return hubError(409, 'no_discord_identity', NO_DISCORD);
			if (fanId === 'fan_high') return hubError(422, 'role_hierarchy', HIERARCHY);
			return { status: 200, body: { fanId, platform: 'discord', hasRole: action === 'grant' } };
		});
	}

	it('grants to the fan of a Trigger event and outputs whether they hold the role', async () => {
		answerRoles();
		const run = await runWorkflow(
			readFixture('community-grant-role.workflow.json'),
			credentials(),
			[event('community.joined', 'fan_ok')],
		);
		expect(calls(hub.requests)).toEqual(['POST /v1/community/roles']);
		expect(bodies(hub.requests)).toEqual([{ fanId: 'fan_ok', action: 'grant' }]);
		const [items] = outputsOf(run, 'Grant Role');
		expect(items).toEqual([
			{ json: { fanId: 'fan_ok', platform: 'discord', hasRole: true }, pairedItem: { item: 0 } },
		]);
	});

	it('revokes with the same call, action revoke', async () => {
		answerRoles();
		const fixture = readFixture('community-grant-role.workflow.json');
		fixture.nodes[1].parameters = { resource: 'role', operation: 'revoke' };
		const run = await runWorkflow(fixture, credentials(), [event('community.left', 'fan_ok')]);
		expect(bodies(hub.requests)).toEqual([{ fanId: 'fan_ok', action: 'revoke' }]);
		const [items] = outputsOf(run, 'Grant Role');
		expect(items?.[0]?.json.hasRole).toBe(false);
	});

	it('fails the run with the hub’s sentence when the role sits above the bot’s', async () => {
		answerRoles();
		const run = await runWorkflow(
			readFixture('community-grant-role.workflow.json'),
			credentials(),
			[{ json: { id: 'fan_high' } }],
		);
		expect(errorOf(run, 'Grant Role')?.message).toBe(HIERARCHY);
	});

	it('with Continue On Fail, outputs the refusals as error items, each paired with its input', async () => {
		answerRoles();
		const fixture = readFixture('community-grant-role.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { id: 'fan_tg' } },
			{ json: { id: 'fan_ok' } },
			{ json: { id: 'fan_high' } },
		]);
		const [items] = outputsOf(run, 'Grant Role');
		expect(items?.map((item) => [item.json.error ?? item.json.hasRole, item.pairedItem])).toEqual([
			[NO_DISCORD, { item: 0 }],
			[true, { item: 1 }],
			[HIERARCHY, { item: 2 }],
		]);
	});
});

describe('Fanloop Community: Announce', () => {
	it('posts the text once per item with its campaign and outputs the message id', async () => {
		hub.on('POST', /^\/v1\/community\/announcements$/, (request) => ({
			status: 200,
			body: { platform: (request.body as IDataObject).platform, messageId: '1310000000000000001' },
		}));
		const run = await runWorkflow(readFixture('community-announce.workflow.json'), credentials());
		expect(calls(hub.requests)).toEqual(['POST /v1/community/announcements']);
		expect(bodies(hub.requests)).toEqual([
			{ platform: 'discord', text: 'Out now: Loop Back Home', campaignId: 'cmp_1' },
		]);
		const [items] = outputsOf(run, 'Announce');
		expect(items).toEqual([
			{ json: { platform: 'discord', messageId: '1310000000000000001' }, pairedItem: { item: 0 } },
		]);
	});

	it('refuses an empty text before calling the hub', async () => {
		const fixture = readFixture('community-announce.workflow.json');
		fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, text: '={{ $json.text }}' };
		const run = await runWorkflow(fixture, credentials(), [{ json: { text: '   ' } }]);
		expect(errorOf(run, 'Announce')?.message).toBe('Text is empty');
		expect(hub.requests).toHaveLength(0);
	});
});

describe('Fanloop Community: DM Segment', () => {
	beforeEach(() =>
		hub.on('POST', /^\/v1\/community\/broadcasts$/, { status: 202, body: { jobId: 'job_dm_1' } }),
	);

	it('starts one hub job with the text, message key, campaign and segment, and outputs its id', async () => {
		const run = await runWorkflow(readFixture('community-dm-segment.workflow.json'), credentials());
		expect(calls(hub.requests)).toEqual(['POST /v1/community/broadcasts']);
		expect(bodies(hub.requests)).toEqual([
			{
				platform: 'telegram',
				text: 'Loop Back Home is out now',
				messageKey: 'loop-back-home-out-now',
				campaignId: 'cmp_1',
				segment: { campaignId: 'cmp_1', lacksAction: 'save' },
			},
		]);
		const [items] = outputsOf(run, 'DM Segment');
		expect(items).toEqual([{ json: { jobId: 'job_dm_1' }, pairedItem: { item: 0 } }]);
	});

	it('sends neither segment nor campaign when none is set: every opted-in fan', async () => {
		const fixture = readFixture('community-dm-segment.workflow.json');
		fixture.nodes[1].parameters = {
			resource: 'message',
			operation: 'dmSegment',
			platform: 'discord',
			text: 'Out now',
			messageKey: 'out-now',
		};
		await runWorkflow(fixture, credentials());
		expect(bodies(hub.requests)).toEqual([
			{ platform: 'discord', text: 'Out now', messageKey: 'out-now' },
		]);
	});

	it('refuses to start without a message key, which keeps every fan to one copy', async () => {
		const fixture = readFixture('community-dm-segment.workflow.json');
		fixture.nodes[1].parameters = {
			...fixture.nodes[1].parameters,
			messageKey: '={{ $json.release }}',
		};
		const run = await runWorkflow(fixture, credentials(), [{ json: { release: '' } }]);
		expect(errorOf(run, 'DM Segment')?.message).toBe('Message Key is empty');
		expect(hub.requests).toHaveLength(0);
	});
});

describe('Fanloop Community: Get Status', () => {
	const statusByFan: Record<string, IDataObject> = {
		fan_both: {
			fanId: 'fan_both',
			telegram: { userId: '7001', releaseUpdates: true },
			discord: { userId: '1310000000000000007', releaseUpdates: false },
		},
		fan_none: { fanId: 'fan_none' },
	};

	it('asks per fan and outputs the hub’s answer, paired', async () => {
		hub.on('GET', /^\/v1\/community\/status$/, (request) => {
			const status = statusByFan[request.query.fanId ?? ''];
			return status
				? { status: 200, body: status }
				: hubError(404, 'fan_not_found', `No fan ${request.query.fanId}`);
		});
		const fixture = readFixture('community-get-status.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			event('community.joined', 'fan_both'),
			{ json: { id: 'fan_gone' } },
			{ json: { fan: { id: 'fan_none' } } },
		]);
		expect(hub.requests.map((request) => [request.path, request.query])).toEqual([
			['/v1/community/status', { fanId: 'fan_both' }],
			['/v1/community/status', { fanId: 'fan_gone' }],
			['/v1/community/status', { fanId: 'fan_none' }],
		]);
		const [items] = outputsOf(run, 'Get Status');
		expect(items).toEqual([
			{ json: statusByFan.fan_both, pairedItem: { item: 0 } },
			{
				json: { error: 'No fan fan_gone', details: { code: 'fan_not_found', httpStatus: 404 } },
				pairedItem: { item: 1 },
			},
			{ json: statusByFan.fan_none, pairedItem: { item: 2 } },
		]);
	});
});

describe('Fanloop Community: platforms', () => {
	it('offers exactly the hub’s community platforms', () => {
		expect(COMMUNITY_PLATFORM_OPTIONS.map((option) => option.value).sort()).toEqual(
			[...COMMUNITY_PLATFORMS].sort(),
		);
	});
});
