import { createRouter } from '../../shared/router';
import * as fan from './fan';
import * as link from './link';
import * as message from './message';
import type { FanloopCommunityType } from './node.type';
import * as role from './role';

export const router = createRouter<FanloopCommunityType>(
	{
		link: {
			create: link.create.execute,
		},
		role: {
			grant: role.grant.execute,
			revoke: role.revoke.execute,
		},
		message: {
			announce: message.announce.execute,
			dmSegment: message.dmSegment.execute,
		},
		fan: {
			getStatus: fan.getStatus.execute,
		},
	},
	'link',
);
