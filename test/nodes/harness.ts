// A small rebuild of n8n's NodeTestHarness pattern: run a *.workflow.json fixture through
// n8n-core's real WorkflowExecute with our node and credential classes, and hand back the run.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeType,
	INodeTypes,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, Workflow } from 'n8n-workflow';

import { FanloopHubApi } from '../../credentials/FanloopHubApi.credentials';
import { FanloopCampaign } from '../../nodes/FanloopCampaign/FanloopCampaign.node';
import { FanloopCommunity } from '../../nodes/FanloopCommunity/FanloopCommunity.node';
import { FanloopFan } from '../../nodes/FanloopFan/FanloopFan.node';
import { FanloopNextLayer } from '../../nodes/FanloopNextLayer/FanloopNextLayer.node';
import { FanloopOptIn } from '../../nodes/FanloopOptIn/FanloopOptIn.node';
import { FanloopStreaming } from '../../nodes/FanloopStreaming/FanloopStreaming.node';
import { FanloopTrigger } from '../../nodes/FanloopTrigger/FanloopTrigger.node';

const PACKAGE = 'n8n-nodes-fanloop';

/** A Manual Trigger stand-in: passes its input on, so fixtures start like real workflows. */
class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: '',
		defaults: { name: 'Manual Trigger' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: import('n8n-workflow').IExecuteFunctions) {
		return [this.getInputData()];
	}
}

const nodeTypesByName: Record<string, INodeType> = {
	[`${PACKAGE}.fanloopCampaign`]: new FanloopCampaign(),
	[`${PACKAGE}.fanloopCommunity`]: new FanloopCommunity(),
	[`${PACKAGE}.fanloopFan`]: new FanloopFan(),
	[`${PACKAGE}.fanloopNextLayer`]: new FanloopNextLayer(),
	[`${PACKAGE}.fanloopOptIn`]: new FanloopOptIn(),
	[`${PACKAGE}.fanloopStreaming`]: new FanloopStreaming(),
	[`${PACKAGE}.fanloopTrigger`]: new FanloopTrigger(),
	'n8n-nodes-base.manualTrigger': new ManualTrigger(),
};

export const nodeTypes: INodeTypes = {
	getByName: (type) => nodeTypesByName[type] as INodeType | IVersionedNodeType,
	getByNameAndVersion: (type, version) =>
		NodeHelpers.getVersionedNodeType(nodeTypesByName[type], version),
	getKnownTypes: () => ({}),
};

const credentialTypes: Record<string, ICredentialType> = { fanloopHubApi: new FanloopHubApi() };

/** Applies a credential's generic `authenticate` the way n8n does, for `{{$credentials.x}}` templates. */
function applyGenericAuth(
	credentials: ICredentialDataDecryptedObject,
	typeName: string,
	request: IHttpRequestOptions,
): IHttpRequestOptions {
	const authenticate = credentialTypes[typeName]?.authenticate;
	if (!authenticate || typeof authenticate === 'function') return request;
	const fill = (template: string) =>
		template
			.replace(/^=/, '')
			.replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, key: string) =>
				String(credentials[key] ?? ''),
			);
	const headers = { ...(request.headers ?? {}) };
	for (const [name, value] of Object.entries(authenticate.properties.headers ?? {})) {
		headers[name] = fill(String(value));
	}
	return { ...request, headers };
}

class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly credentials: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}
	getParentTypes() {
		return [];
	}
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		request: IHttpRequestOptions,
	) {
		return applyGenericAuth(credentials, typeName, request);
	}
	async preAuthentication() {
		return undefined;
	}
	async runPreAuthentication() {
		return undefined;
	}
	getOAuth2Options() {
		return undefined;
	}
	async getCredentials(): Promise<never> {
		throw new Error('not used in node tests');
	}
	async getDecrypted(_data: unknown, _nodeCredentials: unknown, type: string) {
		return this.credentials[type] ?? {};
	}
	async updateCredentials() {}
	async updateCredentialsOauthTokenData() {}
	getCredentialsProperties() {
		return [];
	}
	isCredentialUsableByNode() {
		return true;
	}
}

export type WorkflowFixture = IWorkflowBase;

export function readFixture(name: string): WorkflowFixture {
	return JSON.parse(
		readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'),
	) as WorkflowFixture;
}

/** Runs a fixture workflow with n8n-core's WorkflowExecute against the given hub base URL. */
export async function runWorkflow(
	fixture: WorkflowFixture,
	credentials: ICredentialDataDecryptedObject,
	startItems: Array<{ json: Record<string, unknown> }> = [{ json: {} }],
): Promise<IRun> {
	const workflow = new Workflow({
		id: 'test',
		name: fixture.name,
		nodes: fixture.nodes,
		connections: fixture.connections,
		nodeTypes,
		settings: fixture.settings,
		active: false,
	});
	const hooks = new ExecutionLifecycleHooks('manual', '1', fixture);
	const additionalData = {
		hooks,
		credentialsHelper: new TestCredentialsHelper({ fanloopHubApi: credentials }),
		currentNodeParameters: undefined,
		executionId: '1',
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('not used');
		},
		getRunExecutionData: async () => undefined,
		logAiEvent: () => undefined,
	} as unknown as IWorkflowExecuteAdditionalData;

	const startNode = workflow.getStartNode();
	if (!startNode) throw new Error('fixture has no start node');
	const runExecutionData: IRunExecutionData = {
		resultData: { runData: {} },
		executionData: {
			metadata: {},
			contextData: {},
			waitingExecution: {},
			waitingExecutionSource: null,
			nodeExecutionStack: [{ node: startNode, data: { main: [startItems] }, source: null }],
		},
	} as unknown as IRunExecutionData;
	return await new WorkflowExecute(
		additionalData,
		'manual',
		runExecutionData,
	).processRunExecutionData(workflow);
}

/** The items of every output of a node's first run. */
export function outputsOf(run: IRun, nodeName: string) {
	const nodeRun = run.data.resultData.runData[nodeName]?.[0];
	if (!nodeRun) {
		const error = run.data.resultData.error;
		throw new Error(`node "${nodeName}" did not run${error ? `: ${error.message}` : ''}`);
	}
	if (nodeRun.error) throw nodeRun.error;
	return nodeRun.data?.main ?? [];
}
