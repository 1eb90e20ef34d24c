import { API_KEY, FakeHub } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';
import { configuredOutputs } from '../../nodes/FanloopNextLayer/actions/layers';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: hub.baseUrl, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => {
	hub.reset();
	// fan_new took nothing, fan_sms took SMS, fan_all took every layer.
	const taken: Record<string, string[]> = {
		fan_new: [],
		fan_sms: ['sms'],
		fan_all: ['sms', 'telegram', 'save'],
	};
	hub.on('GET', /^\/v1\/fans\/[^/]+\/next-layers$/, (request) => {
		const fanId = request.path.split('/')[3];
		const requested = request.query.layers.split(',');
		if (!taken[fanId]) {
			return {
				status: 404,
				body: { error: { code: 'fan_not_found', message: `No fan with id ${fanId}` } },
			};
		}
		return {
			status: 200,
			body: {
				fanId,
				campaignId: request.query.campaignId,
				taken: taken[fanId],
				next: requested.filter((layer) => !taken[fanId].includes(layer)),
			},
		};
	});
});

const fans = [
	{ json: { data: { fan: { id: 'fan_new' } } } },
	{ json: { fan: { id: 'fan_sms' } } },
	{ json: { id: 'fan_all' } },
];

const idsPerOutput = (outputs: ReturnType<typeof outputsOf>) =>
	outputs.map((items) =>
		(items ?? []).map(
			(item) =>
				`${(item.json.nextLayer as { fanId: string }).fanId}#${JSON.stringify(item.pairedItem)}`,
		),
	);

describe('Fanloop Next Layer', () => {
	it('draws one labelled output per chosen layer plus Done', () => {
		expect(configuredOutputs({ layers: ['telegram', 'sms'] })).toEqual([
			{ type: 'main', displayName: 'Telegram' },
			{ type: 'main', displayName: 'SMS' },
			{ type: 'main', displayName: 'Done' },
		]);
	});

	it('Next Layer Only: sends each fan to the first untaken layer in the configured order, else Done', async () => {
		const run = await runWorkflow(readFixture('next-layer.workflow.json'), credentials(), fans);
		expect(idsPerOutput(outputsOf(run, 'Next Layer'))).toEqual([
			['fan_new#{"item":0}'],
			['fan_sms#{"item":1}'],
			[],
			['fan_all#{"item":2}'],
		]);
		expect(hub.requests[0].query).toEqual({ layers: 'sms,telegram,save', campaignId: 'cmp_1' });
	});

	it('Every Untaken Layer: sends each fan to every layer it has not taken', async () => {
		const fixture = readFixture('next-layer.workflow.json');
		fixture.nodes[1].parameters.mode = 'everyUntaken';
		const run = await runWorkflow(fixture, credentials(), fans);
		expect(idsPerOutput(outputsOf(run, 'Next Layer'))).toEqual([
			['fan_new#{"item":0}'],
			['fan_new#{"item":0}', 'fan_sms#{"item":1}'],
			['fan_new#{"item":0}', 'fan_sms#{"item":1}'],
			['fan_all#{"item":2}'],
		]);
	});

	it('keeps the input json and adds which layer was chosen', async () => {
		const run = await runWorkflow(readFixture('next-layer.workflow.json'), credentials(), [
			fans[1],
		]);
		const [, telegram] = outputsOf(run, 'Next Layer');
		expect(telegram?.[0].json).toEqual({
			fan: { id: 'fan_sms' },
			nextLayer: {
				fanId: 'fan_sms',
				campaignId: 'cmp_1',
				taken: ['sms'],
				next: ['telegram', 'save'],
				layer: 'telegram',
			},
		});
	});

	it('with Continue On Fail, puts a failed check on Done, never on a layer', async () => {
		const fixture = readFixture('next-layer.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { id: 'fan_unknown' } },
			fans[0],
		]);
		const outputs = outputsOf(run, 'Next Layer');
		expect(outputs[3]).toEqual([{ json: { error: expect.any(String) }, pairedItem: { item: 0 } }]);
		expect(outputs[0]?.map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
	});
});
