/**
 * The Campaign node's Get Insights, for a campaign and for an artist, against the real hub
 * (in process, SQLite): the node's output is the hub's own report, the window and source
 * reach the hub as it reads them, and the hub's refusals reach the marketer in its words.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startHub, type RunningHub } from '../../hub/src';
import { HubApi } from '../support/hub-api';
import { outputsOf, readFixture, runWorkflow, type WorkflowFixture } from './harness';

let dataDir: string;
let hub: RunningHub;
let api: HubApi;
let apiKey: string;
let campaignId: string;
const slug = 'midnight-city';

const credentials = () => ({ baseUrl: hub.url, apiKey });

function insightsFixture(parameters: INodeParameters = {}): WorkflowFixture {
	const fixture = readFixture('campaign-insights.workflow.json');
	fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, ...parameters };
	return fixture;
}

async function record(identity: string, kind: string, source: string, parentActionId?: string) {
	const fan = await api.call('POST', '/v1/fans', {
		identities: [{ channel: 'spotify', value: identity }],
	});
	const action = await api.call('POST', '/v1/actions', {
		fanId: fan.body.fan.id,
		campaignId,
		kind,
		platform: 'spotify',
		source,
		...(parentActionId ? { parentActionId } : {}),
	});
	expect(action.status).toBe(201);
	return action.body.action.id as string;
}

beforeAll(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-insights-node-'));
	hub = await startHub({ port: 0, dataDir, sealingKey: randomBytes(32) });
	apiKey = await hub.createApiKey('insights node test');
	api = new HubApi(hub.url, apiKey);
	const created = await api.call('POST', '/v1/campaigns', {
		slug,
		artist: 'Nia Vale',
		title: 'Midnight City',
		releaseAtUtc: '2027-01-15T00:00:00Z',
		platforms: { spotify: { albumId: 'spotify:album:5anDb0xDem0A1bum000001' } },
		layers: ['sms'],
		consentWordings: { sms: 'Text me about Nia Vale. Reply STOP to stop.' },
	});
	campaignId = created.body.campaign.id;
	const presave = await record('fan-ig', 'presave', 'instagram');
	await record('fan-ig', 'follow', 'presave_page', presave);
	await record('fan-tiktok', 'presave', 'tiktok');
});

afterAll(async () => {
	await hub?.close();
	if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('Fanloop Campaign: Get Insights', () => {
	it("outputs the hub's report of a campaign, by slug or by ID, each paired with its input", async () => {
		const fromApi = (await api.call('GET', `/v1/campaigns/${slug}/insights`)).body as IDataObject;
		expect(fromApi.layering).toMatchObject({ fans: 2, actions: 3, actionsPerEntryFan: 1.5 });

		const run = await runWorkflow(insightsFixture(), credentials(), [
			{ json: { campaign: slug } },
			{ json: { campaign: campaignId } },
		]);
		const items = outputsOf(run, 'Get Insights')[0]!;
		expect(items).toEqual([
			{ json: fromApi, pairedItem: { item: 0 } },
			{ json: fromApi, pairedItem: { item: 1 } },
		]);
	});

	it('narrows every figure to a source and a window, dates read in the workflow’s time zone', async () => {
		const run = await runWorkflow(
			insightsFixture({
				insightsOptions: {
					source: ' instagram ',
					from: '2020-01-01T00:00:00',
					to: '2099-01-01T00:00:00',
				},
			}),
			credentials(),
			[{ json: { campaign: slug } }],
		);
		const [item] = outputsOf(run, 'Get Insights')[0]!;
		// Midnight in Berlin (CET, UTC+1) is 23:00 UTC the day before.
		expect(item.json.scope).toMatchObject({
			source: 'instagram',
			from: '2019-12-31T23:00:00.000Z',
			to: '2098-12-31T23:00:00.000Z',
		});
		expect(item.json.layering).toMatchObject({ fans: 1, actions: 2, actionsPerEntryFan: 2 });
		expect(item.json.funnel).toMatchObject({ presaves: 1 });

		const later = await runWorkflow(
			insightsFixture({ insightsOptions: { from: '={{ $now.plus({ days: 1 }) }}' } }),
			credentials(),
			[{ json: { campaign: slug } }],
		);
		expect(outputsOf(later, 'Get Insights')[0]![0].json.layering).toMatchObject({ fans: 0 });
	});

	it('reports an artist across their campaigns, found by name', async () => {
		const fixture = insightsFixture({
			resource: 'artist',
			operation: 'getInsights',
			artistId: 'Nia Vale',
			campaignId: undefined,
		});
		const run = await runWorkflow(fixture, credentials());
		const [item] = outputsOf(run, 'Get Insights')[0]!;
		expect(item.json).toEqual(
			(await api.call('GET', `/v1/artists/${encodeURIComponent('Nia Vale')}/insights`)).body,
		);
		expect(item.json.scope).toMatchObject({ artist: { name: 'Nia Vale' } });
	});

	it('with Continue On Fail, outputs an error item for an unknown campaign, a backwards window or an unreadable date, and goes on', async () => {
		const fixture = insightsFixture({
			insightsOptions: { from: '={{ $json.from }}', to: '={{ $json.to }}' },
		});
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { campaign: 'no-such-single' } },
			{ json: { campaign: slug, from: '2026-12-05T00:00:00', to: '2026-12-01T00:00:00' } },
			{ json: { campaign: slug, from: 'last tuesday' } },
			{ json: { campaign: slug } },
		]);
		const items = outputsOf(run, 'Get Insights')[0]!;
		expect(items.map((item) => item.json.error ?? 'report')).toEqual([
			'No campaign with slug or id "no-such-single".',
			'Invalid query. from must be before to.',
			'From "last tuesday" is not a date',
			'report',
		]);
		expect(items[0].json.details).toMatchObject({ code: 'campaign_not_found', httpStatus: 404 });
		expect(items[1].json.details).toMatchObject({ code: 'validation_failed', httpStatus: 400 });
		expect(items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
	});
});
