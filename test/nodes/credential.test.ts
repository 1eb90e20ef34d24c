import type { INode } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { FanloopHubApi } from '../../credentials/FanloopHubApi.credentials';
import { API_KEY, FakeHub } from './fake-hub';
import { nodeTypes, outputsOf, readFixture, runWorkflow } from './harness';

const credential = new FanloopHubApi();
const node: INode = {
	id: '1',
	name: 'Credential Test',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** The address n8n's credential test calls, resolved the way n8n resolves it: an expression over $credentials. */
function testRequestBase(baseUrl: string): unknown {
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return workflow.expression.getSimpleParameterValue(
		node,
		credential.test.request.baseURL as string,
		'internal',
		{ $credentials: { baseUrl, apiKey: API_KEY } },
	);
}

describe('Fanloop Hub credential', () => {
	it.each([
		['https://hub.example.com', 'https://hub.example.com'],
		['https://hub.example.com/', 'https://hub.example.com'],
		['https://hub.example.com/v1', 'https://hub.example.com'],
		[' https://hub.example.com/v1/ ', 'https://hub.example.com'],
	])('tests the hub at %j as %j', (baseUrl, expected) => {
		expect(testRequestBase(baseUrl)).toBe(expected);
	});

	it("answers a wrong key and a wrong address with the hub's own sentences, not a bare status", () => {
		const messages = Object.fromEntries(
			(credential.test.rules ?? []).map((rule) => [
				(rule.properties as { value: number }).value,
				(rule.properties as { message: string }).message,
			]),
		);
		expect(messages[401]).toContain('fanloop-hub api-key create');
		expect(messages[404]).toContain('without a path');
	});

	describe('a Base URL ending in /v1 in the nodes', () => {
		const hub = new FakeHub();
		beforeAll(async () => await hub.start());
		afterAll(async () => await hub.stop());

		it('reaches the same API paths', async () => {
			hub.on('GET', /^\/v1\/fans\/fan_a$/, { status: 200, body: { id: 'fan_a' } });
			const run = await runWorkflow(
				readFixture('fan-get.workflow.json'),
				{ baseUrl: `${hub.baseUrl}/v1/`, apiKey: API_KEY },
				[{ json: { fanId: 'fan_a' } }],
			);
			expect(outputsOf(run, 'Get Fan')[0]?.map((item) => item.json)).toEqual([{ id: 'fan_a' }]);
			expect(hub.requests.map((request) => request.path)).toEqual(['/v1/fans/fan_a']);
		});
	});
});
