import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { readRequiredString, readString, readStrings } from '../../shared/parameters';
import { hubRequest } from '../../shared/transport';
import { DEFAULT_LAYERS } from './layers';

export type RoutingMode = 'nextOnly' | 'everyUntaken';

function layerName(entry: unknown): string | undefined {
	if (typeof entry === 'string') return entry;
	if (typeof entry === 'object' && entry !== null && 'layer' in entry) {
		const layer = (entry as { layer: unknown }).layer;
		return typeof layer === 'string' ? layer : undefined;
	}
	return undefined;
}

/**
 * Asks the hub which of the configured layers each fan has not taken and sends the item to the
 * matching outputs: output i is layers[i], the last output is "Done" (every layer taken).
 */
export async function route(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	// Read once, not per item: the outputs on the canvas are drawn from this list.
	const configured = readStrings(this, 'layers', 0);
	const layers = configured.length > 0 ? configured : DEFAULT_LAYERS;
	const doneIndex = layers.length;
	const outputs: INodeExecutionData[][] = layers.map(() => []);
	outputs.push([]);

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const pairedItem = { item: itemIndex };
		try {
			const fanId = readRequiredString(this, 'fanId', itemIndex, 'Fan ID');
			const campaignId = readString(this, 'campaignId', itemIndex);
			const mode = readString(this, 'mode', itemIndex, 'nextOnly') as RoutingMode;
			const qs: IDataObject = { layers: layers.join(',') };
			if (campaignId) qs.campaignId = campaignId;
			const answer = await hubRequest.call(this, {
				method: 'GET',
				path: `/v1/fans/${encodeURIComponent(fanId)}/next-layers`,
				qs,
				itemIndex,
			});
			const taken = Array.isArray(answer.taken) ? answer.taken.map(layerName) : [];
			const untaken = new Set(
				(Array.isArray(answer.next) ? answer.next.map(layerName) : []).filter(
					(layer): layer is string => layer !== undefined,
				),
			);
			// Configured order decides, whatever order the hub answered in.
			const targets = layers
				.map((layer, index) => ({ layer, index }))
				.filter(({ layer }) => untaken.has(layer));
			const chosen = mode === 'everyUntaken' ? targets : targets.slice(0, 1);
			const nextLayer = {
				fanId: answer.fanId ?? fanId,
				campaignId: answer.campaignId ?? (campaignId || null),
				taken: taken.filter((layer): layer is string => layer !== undefined),
				next: targets.map(({ layer }) => layer),
			};
			if (chosen.length === 0) {
				outputs[doneIndex].push({
					json: { ...items[itemIndex].json, nextLayer: { ...nextLayer, layer: null } },
					pairedItem,
				});
				continue;
			}
			for (const { layer, index } of chosen) {
				outputs[index].push({
					json: { ...items[itemIndex].json, nextLayer: { ...nextLayer, layer } },
					pairedItem,
				});
			}
		} catch (error) {
			if (this.continueOnFail()) {
				// On "Done", never on a layer output: a failed check must not trigger an offer.
				const message = error instanceof Error ? error.message : String(error);
				outputs[doneIndex].push({ json: { error: message }, pairedItem });
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

	return outputs;
}
