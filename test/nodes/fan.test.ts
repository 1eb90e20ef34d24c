import { API_KEY, FakeHub } from './fake-hub';
import { outputsOf, readFixture, runWorkflow } from './harness';

const hub = new FakeHub();
const credentials = () => ({ baseUrl: `${hub.baseUrl}/`, apiKey: API_KEY });

beforeAll(async () => await hub.start());
afterAll(async () => await hub.stop());
beforeEach(() => hub.reset());

describe('Fanloop Fan: one fan shape', () => {
	it('outputs the same fan from Create or Update and from Get, which reads the Fan ID from the item', async () => {
		const fan = { id: 'fan_new', identities: [{ channel: 'email', value: 'mia@example.com' }] };
		hub.on('POST', /^\/v1\/fans$/, { status: 200, body: { fan, created: true } });
		hub.on('GET', /^\/v1\/fans\/fan_new$/, { status: 200, body: fan });
		const run = await runWorkflow(readFixture('fan-upsert-then-get.workflow.json'), credentials(), [
			{ json: { email: 'mia@example.com', name: 'Mia' } },
		]);
		expect(outputsOf(run, 'Create or Update Fan')[0]?.map((item) => item.json)).toEqual([
			{ ...fan, created: true },
		]);
		expect(outputsOf(run, 'Get Fan')[0]?.map((item) => item.json)).toEqual([fan]);
		expect(hub.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
			'POST /v1/fans',
			'GET /v1/fans/fan_new',
		]);
		expect(hub.requests[0]?.body).toEqual({
			identities: [{ channel: 'email', value: 'mia@example.com' }],
			name: 'Mia',
		});
	});
});

describe('Fanloop Fan: the default Fan ID', () => {
	it('reads the fan from whatever Fanloop item comes in: an event, a fan, an action, or a fan result', async () => {
		hub.on('GET', /^\/v1\/fans\/fan_\w+$/, (request) => ({
			status: 200,
			body: { id: request.path.split('/').pop() },
		}));
		const fixture = readFixture('fan-get.workflow.json');
		fixture.nodes[1].parameters = { resource: 'fan', operation: 'get', findBy: 'id' };
		await runWorkflow(fixture, credentials(), [
			{ json: { type: 'presave.completed', data: { fan: { id: 'fan_event' } } } },
			{ json: { fan: { id: 'fan_result' }, consent: {} } },
			{ json: { action: { id: 'act_1', fanId: 'fan_action' }, created: true } },
			{ json: { id: 'fan_flat', identities: [] } },
		]);
		expect(hub.requests.map((request) => request.path)).toEqual([
			'/v1/fans/fan_event',
			'/v1/fans/fan_result',
			'/v1/fans/fan_action',
			'/v1/fans/fan_flat',
		]);
	});
});

describe('Fanloop Fan: Get', () => {
	it('gets each fan by ID with the bearer key and pairs every output with its input', async () => {
		hub.on('GET', /^\/v1\/fans\/fan_[ab]$/, (request) => ({
			status: 200,
			body: { fan: { id: request.path.split('/').pop() } },
		}));
		const run = await runWorkflow(readFixture('fan-get.workflow.json'), credentials(), [
			{ json: { fanId: 'fan_a' } },
			{ json: { fanId: 'fan_b' } },
		]);
		const [items] = outputsOf(run, 'Get Fan');
		expect(items?.map((item) => item.json)).toEqual([
			{ fan: { id: 'fan_a' } },
			{ fan: { id: 'fan_b' } },
		]);
		expect(items?.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(hub.requests.map((request) => request.headers.authorization)).toEqual([
			`Bearer ${API_KEY}`,
			`Bearer ${API_KEY}`,
		]);
	});

	it("fails the run with the hub's own message", async () => {
		hub.on('GET', /^\/v1\/fans\//, {
			status: 404,
			body: { error: { code: 'fan_not_found', message: 'No fan with id fan_x' } },
		});
		const run = await runWorkflow(readFixture('fan-get.workflow.json'), credentials(), [
			{ json: { fanId: 'fan_x' } },
		]);
		const error = run.data.resultData.runData['Get Fan']?.[0]?.error;
		expect(error?.message).toBe('No fan with id fan_x');
		expect(error?.description).toContain('fan_not_found');
	});

	it('tells the marketer to check the API key on a 401, without showing the key', async () => {
		const run = await runWorkflow(
			readFixture('fan-get.workflow.json'),
			{ baseUrl: hub.baseUrl, apiKey: 'wrong-key' },
			[{ json: { fanId: 'fan_a' } }],
		);
		const error = run.data.resultData.runData['Get Fan']?.[0]?.error;
		expect(error?.message).toContain('API key');
		expect(error?.description).toContain('Fanloop Hub credential');
		expect(JSON.stringify(error)).not.toContain('wrong-key');
	});

	it('says the hub is unreachable when nothing listens at the base URL', async () => {
		const run = await runWorkflow(
			readFixture('fan-get.workflow.json'),
			{ baseUrl: 'http://127.0.0.1:9', apiKey: API_KEY },
			[{ json: { fanId: 'fan_a' } }],
		);
		const error = run.data.resultData.runData['Get Fan']?.[0]?.error;
		expect(error?.message).toBe('The Fanloop hub at http://127.0.0.1:9 is unreachable');
	});

	it('with Continue On Fail, turns a failed item into { error } paired with its input', async () => {
		hub.on('GET', /^\/v1\/fans\/fan_a$/, { status: 200, body: { fan: { id: 'fan_a' } } });
		hub.on('GET', /^\/v1\/fans\//, {
			status: 404,
			body: { error: { code: 'fan_not_found', message: 'No fan with id fan_x' } },
		});
		const fixture = readFixture('fan-get.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { fanId: 'fan_x' } },
			{ json: { fanId: 'fan_a' } },
		]);
		const [items] = outputsOf(run, 'Get Fan');
		expect(items).toEqual([
			{
				json: {
					error: 'No fan with id fan_x',
					details: { code: 'fan_not_found', httpStatus: 404 },
				},
				pairedItem: { item: 0 },
			},
			{ json: { fan: { id: 'fan_a' } }, pairedItem: { item: 1 } },
		]);
	});

	it('with the error output on, sends the failed item there, code and status included', async () => {
		hub.on('GET', /^\/v1\/fans\/fan_a$/, { status: 200, body: { id: 'fan_a' } });
		hub.on('GET', /^\/v1\/fans\//, {
			status: 404,
			body: { error: { code: 'fan_not_found', message: 'No fan with id fan_x' } },
		});
		const fixture = readFixture('fan-get.workflow.json');
		fixture.nodes[1].onError = 'continueErrorOutput';
		const run = await runWorkflow(fixture, credentials(), [
			{ json: { fanId: 'fan_x' } },
			{ json: { fanId: 'fan_a' } },
		]);
		const [succeeded, failed] = outputsOf(run, 'Get Fan');
		expect(succeeded?.map((item) => item.json)).toEqual([{ id: 'fan_a' }]);
		expect(failed?.map((item) => item.json)).toEqual([
			{
				fanId: 'fan_x',
				error: 'No fan with id fan_x',
				details: { code: 'fan_not_found', httpStatus: 404 },
			},
		]);
	});

	it('with Continue On Fail, keeps what the hub added as the hint, and the key advice on a 401', async () => {
		hub.on('GET', /^\/v1\/fans\/fan_bad$/, {
			status: 400,
			body: {
				error: {
					code: 'validation_failed',
					message: 'Invalid path.',
					details: [{ path: ['fanId'], message: 'too long' }],
				},
			},
		});
		const fixture = readFixture('fan-get.workflow.json');
		fixture.nodes[1].onError = 'continueRegularOutput';
		const run = await runWorkflow(fixture, credentials(), [{ json: { fanId: 'fan_bad' } }]);
		expect(outputsOf(run, 'Get Fan')[0]?.[0]?.json).toEqual({
			error: 'Invalid path.',
			details: {
				code: 'validation_failed',
				hint: 'Details: [{"path":["fanId"],"message":"too long"}]',
				httpStatus: 400,
			},
		});

		const refused = await runWorkflow(fixture, { baseUrl: hub.baseUrl, apiKey: 'wrong-key' }, [
			{ json: { fanId: 'fan_a' } },
		]);
		expect(outputsOf(refused, 'Get Fan')[0]?.[0]?.json).toEqual({
			error: 'The Fanloop hub rejected the API key',
			details: {
				code: 'unauthorized',
				hint: 'Check the API key in the Fanloop Hub credential.',
				httpStatus: 401,
			},
		});
	});
});

describe('Fanloop Fan: Get Many', () => {
	it('follows nextCursor page by page with Return All and emits one item per fan', async () => {
		hub.on('GET', /^\/v1\/fans$/, (request) =>
			request.query.cursor === 'page2'
				? { status: 200, body: { fans: [{ id: 'fan_3' }], nextCursor: null } }
				: { status: 200, body: { fans: [{ id: 'fan_1' }, { id: 'fan_2' }], nextCursor: 'page2' } },
		);
		const run = await runWorkflow(readFixture('fan-getMany.workflow.json'), credentials());
		const [items] = outputsOf(run, 'Segment');
		expect(items?.map((item) => item.json.id)).toEqual(['fan_1', 'fan_2', 'fan_3']);
		expect(items?.every((item) => JSON.stringify(item.pairedItem) === '{"item":0}')).toBe(true);
		expect(hub.requests.map((request) => request.query)).toEqual([
			{ campaignId: 'cmp_1', lacksAction: 'optin_sms', limit: '100' },
			{ campaignId: 'cmp_1', lacksAction: 'optin_sms', limit: '100', cursor: 'page2' },
		]);
	});

	it('stops at Limit without asking for more pages', async () => {
		hub.on('GET', /^\/v1\/fans$/, {
			status: 200,
			body: { fans: [{ id: 'fan_1' }, { id: 'fan_2' }], nextCursor: 'page2' },
		});
		const fixture = readFixture('fan-getMany.workflow.json');
		fixture.nodes[1].parameters = { ...fixture.nodes[1].parameters, returnAll: false, limit: 2 };
		const run = await runWorkflow(fixture, credentials());
		const [items] = outputsOf(run, 'Segment');
		expect(items).toHaveLength(2);
		expect(hub.requests).toHaveLength(1);
		expect(hub.requests[0].query.limit).toBe('2');
	});
});
