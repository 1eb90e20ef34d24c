import { createRouter } from '../../shared/router';
import * as fan from './fan';
import type { FanloopFanType } from './node.type';

export const router = createRouter<FanloopFanType>(
	{
		fan: {
			upsert: fan.upsert.execute,
			get: fan.get.execute,
			merge: fan.merge.execute,
			recordAction: fan.recordAction.execute,
			getMany: fan.getMany.execute,
			export: fan.export.execute,
			erase: fan.erase.execute,
		},
	},
	'fan',
);
