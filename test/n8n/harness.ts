/**
 * What the real-n8n tests add to the product's n8n control (scripts/n8n/): templates turned
 * into webhook-started copies, n8n's log on a failed test, waiting for the hub's subscriptions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { N8n } from '../../scripts/n8n/instance';
import { repoRoot } from '../../scripts/n8n/paths';

export { N8n, type N8nOptions } from '../../scripts/n8n/instance';
export { type N8nOwner } from '../../scripts/n8n/owner';
export { N8N_VERSION, PACKAGE_NAME, repoRoot } from '../../scripts/n8n/paths';
export { freePort } from '../../scripts/n8n/free-port';
export { type Execution } from '../../scripts/n8n/public-api';
export { webhookPaths } from '../../scripts/n8n/webhooks';
export { sleep };

/** Screenshots and other files a test run leaves for a reader. */
export const artifactsDir = path.join(repoRoot, '.test-artifacts');

export interface TemplateNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: unknown;
	[k: string]: unknown;
}

/** A workflow template as shipped in workflows/. */
export interface WorkflowTemplate {
	id: string;
	name: string;
	nodes: TemplateNode[];
	[k: string]: unknown;
}

export function loadTemplate(file: string): WorkflowTemplate {
	return JSON.parse(
		fs.readFileSync(path.join(repoRoot, 'workflows', file), 'utf8'),
	) as WorkflowTemplate;
}

/**
 * A copy of the template whose one trigger of `triggerType` (a schedule, a manual start) is a
 * Webhook node of the same name and place at `hookPath`, so a test starts it on demand;
 * connections stay as shipped. `webhook` adds to the Webhook node's parameters, `adjust` may
 * change any other node of the copy.
 */
export function triggeredByWebhook(
	template: WorkflowTemplate,
	triggerType: string,
	hookPath: string,
	options: { webhook?: Record<string, unknown>; adjust?: (node: TemplateNode) => void } = {},
): WorkflowTemplate {
	const copy = structuredClone(template);
	const triggers = copy.nodes.filter((node) => node.type === triggerType);
	if (triggers.length !== 1)
		throw new Error(`${template.name} has ${triggers.length} ${triggerType} nodes, not one`);
	copy.nodes = copy.nodes.map((node) =>
		node.type === triggerType
			? {
					id: node.id,
					name: node.name,
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: node.position,
					webhookId: `${hookPath}-0000-4000-8000-000000000000`.slice(0, 36),
					parameters: {
						httpMethod: 'POST',
						path: hookPath,
						responseMode: 'onReceived',
						options: {},
						...options.webhook,
					},
				}
			: node,
	);
	copy.nodes.forEach((node) => options.adjust?.(node));
	return copy;
}

export { eventually } from '../support/eventually';

/**
 * Wraps a test body so a failure carries the tail of n8n's log: jest has no "after a failed
 * test" hook, and what n8n printed is usually the explanation.
 */
export function withN8nLog(
	instance: () => N8n | undefined,
	body: () => Promise<void>,
): () => Promise<void> {
	return async () => {
		try {
			await body();
		} catch (error) {
			const tail = instance()?.logTail(80);
			if (tail && error instanceof Error && !error.message.includes(tail)) {
				error.message += `\n\n${tail}`;
			}
			throw error;
		}
	};
}

/**
 * n8n serves a trigger's webhook before the trigger's `create` has registered it with the
 * hub, and the hub fans an event out only to subscriptions that exist when it is recorded.
 * Tests wait for every Fanloop Trigger's subscription before recording anything.
 */
export async function untilHubSubscribed(
	hub: { ledger: { webhooks: { list(): Promise<unknown[]> } } },
	workflows: Array<{ [k: string]: unknown }>,
	timeoutMs = 60_000,
): Promise<void> {
	const expected = workflows
		.flatMap((workflow) => (workflow.nodes ?? []) as Array<{ type: string; disabled?: boolean }>)
		.filter((node) => !node.disabled && node.type === 'n8n-nodes-fanloop.fanloopTrigger').length;
	const deadline = Date.now() + timeoutMs;
	while ((await hub.ledger.webhooks.list()).length < expected) {
		if (Date.now() > deadline)
			throw new Error(`only some of ${expected} Fanloop Triggers subscribed to the hub in time`);
		await sleep(100);
	}
}
