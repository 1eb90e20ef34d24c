import { randomBytes } from 'node:crypto';
import { FanReferences } from '../../hub/src/core/fan-references';
import { newId } from '../../hub/src/core/ids';

describe('signed fan references', () => {
	const references = new FanReferences(randomBytes(32));

	it('round-trips an action and a fan within Telegram’s start-payload alphabet and length', () => {
		const actionId = newId('act');
		const fanId = newId('fan');
		const forAction = references.issue({ kind: 'action', actionId });
		const forFan = references.issue({ kind: 'fan', fanId });
		for (const reference of [forAction, forFan]) expect(reference).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
		expect(references.read(forAction)).toEqual({ kind: 'action', actionId });
		expect(references.read(forFan)).toEqual({ kind: 'fan', fanId });
	});

	it('refuses a reference signed by another hub, edited, truncated or switched to another kind', () => {
		const fanId = newId('fan');
		const genuine = references.issue({ kind: 'fan', fanId });
		const foreign = new FanReferences(randomBytes(32)).issue({ kind: 'fan', fanId });
		const otherFan = `${genuine.slice(0, 5)}${genuine[5] === 'A' ? 'B' : 'A'}${genuine.slice(6)}`;
		const asAction = `a${genuine.slice(1)}`;
		for (const forged of [foreign, otherFan, asAction, genuine.slice(0, -1), '', 'x'.repeat(43)]) {
			expect(references.read(forged)).toBeUndefined();
		}
	});

	it('refuses to sign something that is not a hub id', () => {
		expect(() =>
			references.issue({ kind: 'fan', fanId: 'act_01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
		).toThrow();
		expect(() => references.issue({ kind: 'action', actionId: 'act_short' })).toThrow();
	});
});
