import { DeliveryLoop } from '../../hub/src/core/delivery';
import type { Ledger } from '../../hub/src/core/ledger';
import { silentLogger } from '../../hub/src/core/logger';
import { verifySignature } from '../../hub/src/core/signing';
import { newSealingKey, openLedger } from '../support/ledger';
import { Receiver } from '../support/receiver';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

describe.each(STORE_KINDS)('event delivery on %s', (kind) => {
	let database: TestDatabase;
	let ledger: Ledger;
	let receiver: Receiver;
	let nowMs = Date.parse('2026-11-24T12:00:00Z');
	const clock = () => nowMs;
	const sealingKey = newSealingKey();

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		ledger = await openLedger(database, sealingKey, clock);
	});

	beforeEach(async () => {
		receiver = await new Receiver().start();
		await ledger.store.run('DELETE FROM deliveries');
		await ledger.store.run('DELETE FROM webhook_subscriptions');
	});

	afterEach(() => receiver.stop());

	afterAll(async () => {
		await ledger?.close();
		await database?.drop();
	});

	function loop(target: Ledger = ledger): DeliveryLoop {
		return new DeliveryLoop(target.store, target.webhooks, silentLogger, clock, {
			maxBackoffMs: 60_000,
		});
	}

	async function presave(email: string, campaignId?: string) {
		const fan = (await ledger.fans.upsert({ identities: [{ channel: 'email', value: email }] }))
			.fan;
		return (await ledger.actions.record({ fanId: fan.id, kind: 'presave', campaignId })).action;
	}

	it('signs each event with the subscription secret over timestamp and body', async () => {
		const { secret } = await ledger.webhooks.create({
			url: receiver.url,
			events: ['presave.completed'],
		});
		const action = await presave('signed@example.com');

		expect(await loop().deliverDue()).toBe(1);

		expect(receiver.received).toHaveLength(1);
		const [delivery] = receiver.received;
		const event = JSON.parse(delivery.body);
		expect(event).toMatchObject({
			type: 'presave.completed',
			data: { action: { id: action.id }, fan: { id: action.fanId } },
		});
		expect(delivery.headers['fanloop-event-id']).toBe(event.id);
		const signature = String(delivery.headers['fanloop-signature']);
		expect(verifySignature(secret, delivery.body, signature, nowMs)).toBe(true);
		expect(verifySignature('another-secret', delivery.body, signature, nowMs)).toBe(false);
		expect(
			verifySignature(secret, delivery.body.replace('presave', 'prezave'), signature, nowMs),
		).toBe(false);
		expect(verifySignature(secret, delivery.body, signature, nowMs + 301_000)).toBe(false);
		expect(await loop().deliverDue()).toBe(0);
	});

	it('hands what an earlier registration still owed to a trigger that registers its URL again, signed with the new secret', async () => {
		const first = await ledger.webhooks.create({ url: receiver.url, events: ['*'] });
		receiver.status = 503;
		await presave('re-registered@example.com');
		expect(await loop().deliverDue()).toBe(1);

		// n8n lost the trigger's stored subscription and registers the same webhook URL afresh.
		const second = await ledger.webhooks.create({ url: receiver.url, events: ['*'] });
		receiver.status = 200;
		nowMs += 2_000;

		expect(await loop().deliverDue()).toBe(1);
		const last = receiver.received[receiver.received.length - 1];
		expect(
			verifySignature(second.secret, last.body, String(last.headers['fanloop-signature']), nowMs),
		).toBe(true);
		expect((await ledger.webhooks.list(receiver.url)).map((webhook) => webhook.id)).toEqual([
			second.webhook.id,
		]);
		await expect(ledger.webhooks.get(first.webhook.id)).rejects.toMatchObject({
			code: 'webhook_not_found',
		});
		nowMs += 60_000;
		expect(await loop().deliverDue()).toBe(0);
	});

	it('keeps an event while n8n is down and delivers it, once, when it is back', async () => {
		await ledger.webhooks.create({ url: receiver.url, events: ['*'] });
		const url = receiver.url;
		await receiver.stop();
		await presave('patient@example.com');
		const delivery = loop();

		expect(await delivery.deliverDue()).toBe(1);
		nowMs += 500;
		expect(await delivery.deliverDue()).toBe(0);

		receiver = await new Receiver().start();
		await ledger.store.run('UPDATE webhook_subscriptions SET url = $1 WHERE url = $2', [
			receiver.url,
			url,
		]);
		receiver.status = 503;
		nowMs += 1_000;
		expect(await delivery.deliverDue()).toBe(1);
		receiver.status = 200;
		nowMs += 2_000;
		expect(await delivery.deliverDue()).toBe(1);
		nowMs += 60_000;
		expect(await delivery.deliverDue()).toBe(0);

		expect(receiver.received).toHaveLength(2);
		expect(receiver.received[0].body).toBe(receiver.received[1].body);
		const row = await ledger.store.get<{ status: string; attempts: number }>(
			'SELECT status, attempts FROM deliveries',
		);
		expect(row).toMatchObject({ status: 'delivered' });
		expect(Number(row?.attempts)).toBe(3);
	});

	it('sends a subscription only the event types and campaign it asked for', async () => {
		const campaign = (
			await ledger.campaigns.upsert({
				slug: 'filtered',
				artist: 'A',
				title: 'T',
				releaseAtUtc: '2026-12-04T00:00:00Z',
			})
		).campaign;
		await ledger.webhooks.create({
			url: receiver.url,
			events: ['presave.completed'],
			campaignId: campaign.id,
		});
		const wanted = await presave('wanted@example.com', campaign.id);
		await presave('other-campaign@example.com');
		await ledger.actions.record({ fanId: wanted.fanId, campaignId: campaign.id, kind: 'follow' });

		await loop().deliverDue();

		expect(receiver.received.map((delivery) => JSON.parse(delivery.body).data.action.id)).toEqual([
			wanted.id,
		]);
	});

	it('shares the outbox between hub processes without sending an event twice', async () => {
		await ledger.webhooks.create({ url: receiver.url, events: ['*'] });
		for (let i = 0; i < 40; i++) await presave(`shared-${i}@example.com`);
		const second = await openLedger(database, sealingKey, clock);
		try {
			const loops = [loop(), loop(second), loop(), loop(second)];
			let attempted = 0;
			do {
				const counts = await Promise.all(loops.map((each) => each.deliverDue()));
				attempted = counts.reduce((sum, n) => sum + n, 0);
			} while (attempted > 0);
		} finally {
			await second.close();
		}
		const ids = receiver.received.map((delivery) => delivery.headers['fanloop-event-id']);
		expect(ids).toHaveLength(40);
		expect(new Set(ids).size).toBe(40);
	});
});
