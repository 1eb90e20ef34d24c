import type { IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import * as fan from './fan';
import type { FanloopFanType } from './node.type';

type OperationExecute = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<INodeExecutionData[]>;

const operations: { [R in FanloopFanType['resource']]: Record<string, OperationExecute> } = {
	fan: {
		upsert: fan.upsert.execute,
		get: fan.get.execute,
		merge: fan.merge.execute,
		recordAction: fan.recordAction.execute,
		getMany: fan.getMany.execute,
		export: fan.export.execute,
		erase: fan.erase.execute,
	} satisfies Record<Extract<FanloopFanType, { resource: 'fan' }>['operation'], OperationExecute>,
};

/** Runs the chosen operation once per input item; owns pairedItem and Continue On Fail. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const resource = this.getNodeParameter(
			'resource',
			itemIndex,
			'fan',
		) as FanloopFanType['resource'];
		const operation = this.getNodeParameter('operation', itemIndex) as string;
		try {
			const execute = operations[resource]?.[operation];
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
				const message = error instanceof Error ? error.message : String(error);
				returnData.push({ json: { error: message }, pairedItem: { item: itemIndex } });
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
}
