import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { readRequiredString } from '../../../shared/parameters';
import { hubRequest } from '../../../shared/transport';

/** What grant and revoke say about the answer, worded once for both. */
export const ROLE_OUTCOME_HINT =
	"The output hasRole says whether the fan holds the role afterwards. The item fails with the hub's explanation when the bot's own role sits below the release updates role in the server settings, or when the fan has no Discord account linked (they join through a Discord invite link first).";

/** Grant and revoke are one hub call that differs only in its action. */
export async function changeRole(
	context: IExecuteFunctions,
	itemIndex: number,
	action: 'grant' | 'revoke',
): Promise<INodeExecutionData[]> {
	const result = await hubRequest.call(context, {
		method: 'POST',
		path: '/v1/community/roles',
		body: { fanId: readRequiredString(context, 'fanId', itemIndex, 'Fan ID'), action },
		itemIndex,
	});
	return [{ json: result }];
}
