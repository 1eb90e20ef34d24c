/** The production webhook paths a workflow registers (Webhook nodes and trigger nodes with a webhookId). */
export function webhookPaths(workflow: {
	[k: string]: unknown;
}): Array<{ path: string; method: string }> {
	const nodes = (workflow.nodes ?? []) as Array<{
		type: string;
		webhookId?: string;
		disabled?: boolean;
		parameters?: { path?: string; httpMethod?: string };
	}>;
	const hooks: Array<{ path: string; method: string }> = [];
	for (const node of nodes) {
		if (node.disabled) continue;
		if (node.type === 'n8n-nodes-base.webhook') {
			hooks.push({
				path: node.parameters?.path ?? node.webhookId ?? '',
				method: node.parameters?.httpMethod ?? 'GET',
			});
		} else if (node.webhookId && /trigger$/i.test(node.type)) {
			hooks.push({ path: `${node.webhookId}/webhook`, method: 'POST' });
		}
	}
	return hooks;
}

/**
 * Whether n8n serves a production webhook yet. A CORS preflight asks n8n which methods a path
 * has without running anything: 204 with the method listed once registered, 404 before.
 */
export async function isWebhookRegistered(webhookUrl: string, method = 'POST'): Promise<boolean> {
	const res = await fetch(webhookUrl, {
		method: 'OPTIONS',
		headers: { origin: 'http://127.0.0.1', 'access-control-request-method': method },
	}).catch(() => undefined);
	const allowed = res?.headers.get('access-control-allow-methods') ?? '';
	return res?.status === 204 && allowed.split(/,\s*/).includes(method);
}
