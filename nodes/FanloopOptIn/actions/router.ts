import { createRouter } from '../../shared/router';
import * as message from './message';
import type { FanloopOptInType } from './node.type';
import * as optIn from './optIn';

export const router = createRouter<FanloopOptInType>(
	{
		optIn: {
			request: optIn.request.execute,
			confirm: optIn.confirm.execute,
			optOut: optIn.optOut.execute,
			checkConsent: optIn.checkConsent.execute,
		},
		message: {
			send: message.send.execute,
		},
	},
	'optIn',
);
