import type { INodeParameters } from 'n8n-workflow';

/** The layers a fan can be offered next, in the order offered when none is chosen. */
export const DEFAULT_LAYERS = ['sms', 'email', 'telegram', 'discord', 'follow', 'save'];

export const LAYER_OPTIONS = [
	{ name: 'Discord', value: 'discord', description: 'Join the Discord server' },
	{ name: 'Email', value: 'email', description: 'Email opt-in' },
	{ name: 'Follow', value: 'follow', description: 'Follow the artist on the streaming platform' },
	{ name: 'Save', value: 'save', description: 'Save the release in the library' },
	{ name: 'SMS', value: 'sms', description: 'SMS opt-in' },
	{ name: 'Telegram', value: 'telegram', description: 'Join the Telegram channel or bot' },
];

/**
 * One labelled main output per configured layer, then "Done".
 * Serialised into the node's `outputs` expression and evaluated by n8n (editor and engine),
 * so it must not reference anything outside its own body.
 */
export const configuredOutputs = (parameters: INodeParameters) => {
	const labels: Record<string, string> = {
		discord: 'Discord',
		email: 'Email',
		follow: 'Follow',
		save: 'Save',
		sms: 'SMS',
		telegram: 'Telegram',
	};
	const chosen = Array.isArray(parameters.layers)
		? (parameters.layers as string[])
		: ['sms', 'email', 'telegram', 'discord', 'follow', 'save'];
	const outputs = chosen.map((layer) => ({
		type: 'main',
		displayName: labels[layer] ?? String(layer),
	}));
	outputs.push({ type: 'main', displayName: 'Done' });
	return outputs;
};
