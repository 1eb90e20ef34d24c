import { DeliveryLoop } from '../../hub/src/core/delivery';
import type { Ledger } from '../../hub/src/core/ledger';
import { silentLogger } from '../../hub/src/core/logger';
import { StoreUpkeep } from '../../hub/src/core/upkeep';
import { newSealingKey, openLedger } from '../support/ledger';
import { Receiver } from '../support/receiver';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

const DAY_MS = 24 * 3_600_000;
// One clock for every store's run, only ever moving on: an id carries the latest time its
// process has seen (core/ids.ts) and retention goes by ids, so a clock set back 35 days for
// the next store would make that store's events look 35 days younger than they are.
let nowMs = Date.parse('2026-11-01T12:00:00Z');
const clock = () => nowMs;

describe.each(STORE_KINDS)('event retention on %s', (kind) => {
	let database: TestDatabase;
	let ledger: Ledger;
	let receiver: Receiver;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		ledger = await openLedger(database, newSealingKey(), clock);
		receiver = await new Receiver().start();
	});

	afterAll(async () => {
		await receiver?.stop();
		await ledger?.close();
		await database?.drop();
	});

	async function presave(email: string): Promise<string> {
		const fan = (await ledger.fans.upsert({ identities: [{ channel: 'email', value: email }] }))
			.fan;
		return (await ledger.actions.record({ fanId: fan.id, kind: 'presave' })).action.id;
	}

	const eventIds = async () =>
		(await ledger.store.all<{ id: string }>('SELECT id FROM outbox ORDER BY id')).map(
			(row) => row.id,
		);

	it('drops old events once every delivery is settled, and keeps what a trigger is still owed', async () => {
		const upkeep = new StoreUpkeep(ledger.store, silentLogger, clock, {
			eventRetentionMs: 30 * DAY_MS,
		});
		const delivery = new DeliveryLoop(ledger.store, ledger.webhooks, silentLogger, clock);
		// Recorded before any trigger existed: an event nobody was owed.
		await presave('unheard@example.com');
		const [unheard] = await eventIds();
		await ledger.webhooks.create({ url: receiver.url, events: ['*'] });
		await presave('delivered@example.com');
		expect(await delivery.deliverDue()).toBe(1);
		receiver.status = 503;
		await presave('owed@example.com');
		expect(await delivery.deliverDue()).toBe(1);
		const [, delivered, owed] = await eventIds();
		nowMs += 10 * DAY_MS;
		await presave('recent@example.com');
		const recent = (await eventIds()).find(
			(id) => ![unheard, delivered, owed].includes(id),
		) as string;

		// The first three are now 35 days old, past retention: only the settled ones go.
		nowMs += 25 * DAY_MS;
		expect(await upkeep.purgeSettledEvents()).toBe(2);

		expect(await eventIds()).toEqual([owed, recent].sort());
		const deliveries = await ledger.store.all<{ event_id: string; status: string }>(
			'SELECT event_id, status FROM deliveries ORDER BY event_id',
		);
		expect(deliveries).toEqual(
			[
				{ event_id: owed, status: 'pending' },
				{ event_id: recent, status: 'pending' },
			].sort((a, b) => (a.event_id < b.event_id ? -1 : 1)),
		);
		await upkeep.refreshStatistics();
	});
});
