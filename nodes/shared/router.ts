import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { HUB_ERROR_CODE, HUB_ERROR_HINT } from './transport';

/** One operation's work for one input item. */
export type OperationExecute = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<INodeExecutionData[]>;

/**
 * Every operation of every resource of a node, typed from its `AllEntities<NodeMap>`, so a
 * node whose map misses an operation (or names one it does not have) fails to compile.
 */
export type OperationMap<T extends { resource: string; operation: string }> = {
	[R in T['resource']]: {
		[O in Extract<T, { resource: R }>['operation']]: OperationExecute;
	};
};

/**
 * The item Continue On Fail outputs for a failed item: the message in `error`, and under `details`
 * the hub's error code, the hint and the HTTP status, so a workflow can branch on them. Only
 * these keys: n8n sends an item to a node's error output by them (error, message, details).
 */
function errorItem(error: unknown): IDataObject {
	const item: IDataObject = { error: error instanceof Error ? error.message : String(error) };
	const details: IDataObject = {};
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		const code = error.context[HUB_ERROR_CODE];
		const hint =
			HUB_ERROR_HINT in error.context ? error.context[HUB_ERROR_HINT] : error.description;
		if (typeof code === 'string') details.code = code;
		if (typeof hint === 'string' && hint) details.hint = hint;
	}
	if (error instanceof NodeApiError && error.httpCode) details.httpStatus = Number(error.httpCode);
	if (Object.keys(details).length > 0) item.details = details;
	return item;
}

/**
 * Builds a node's execute(): runs the chosen operation once per input item and owns
 * pairedItem and Continue On Fail, so every Fanloop node treats items and failures alike.
 */
export function createRouter<T extends { resource: string; operation: string }>(
	operations: OperationMap<T>,
	defaultResource: T['resource'],
) {
	const byName = operations as unknown as Record<string, Record<string, OperationExecute>>;

	return async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];

		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const resource = String(this.getNodeParameter('resource', itemIndex, defaultResource));
			const operation = String(this.getNodeParameter('operation', itemIndex));
			try {
				const execute = byName[resource]?.[operation];
				if (!execute) {
					throw new NodeOperationError(
						this.getNode(),
						`The operation "${operation}" is not supported for "${resource}"`,
						{ itemIndex },
					);
				}
				const results = await execute.call(this, itemIndex);
				for (const result of results) {
					returnData.push({ ...result, pairedItem: { item: itemIndex } });
				}
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: errorItem(error), pairedItem: { item: itemIndex } });
					continue;
				}
				if (error instanceof NodeApiError) {
					// Hands back the same error: the transport already worded it for the marketer.
					throw new NodeApiError(this.getNode(), error as unknown as JsonObject, { itemIndex });
				}
				// A NodeOperationError comes back unchanged; anything else is wrapped.
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			}
		}

		return [returnData];
	};
}
