/**
 * One platform budget, two hub processes: on PostgreSQL two pacers over separate
 * connections (as two processes have) hand out slots one interval apart between them,
 * and a 429 one of them meets holds the other back. On SQLite the pacer stays in the process.
 */
import {
	messagePacerFor,
	pacerFor,
	type Pacer,
	RatePacer,
	RollingPacer,
	SharedRatePacer,
} from '../../hub/src/core/pacing';
import { SharedRollingPacer } from '../../hub/src/core/shared-rolling-pacer';
import { migrate } from '../../hub/src/store/migrations';
import { openStore } from '../../hub/src/store/open-store';
import type { SqlStore, SqlValue } from '../../hub/src/store/sql-store';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const REQUESTS_PER_SECOND = 50;
const INTERVAL_MS = 1000 / REQUESTS_PER_SECOND;

/** Two stores on one fresh PostgreSQL database, as two hub processes have, for the tests of one block. */
function twoProcessStores(): SqlStore[] {
	let database: TestDatabase | undefined;
	const stores: SqlStore[] = [];
	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		for (let i = 0; i < 2; i++) stores.push(await openStore(database));
		await migrate(stores[0]);
	});
	afterAll(async () => {
		for (const store of stores.splice(0)) await store.close();
		await database?.drop();
	});
	return stores;
}

/** Takes a turn, then spends `wayMs` on the way to the platform, arriving halfway; returns when it arrived. */
async function sendAlongTheWay(pacer: Pacer, wayMs: number): Promise<number> {
	const answered = await pacer.take();
	await new Promise((resolve) => setTimeout(resolve, wayMs / 2));
	const arrivedAtMs = Date.now();
	await new Promise((resolve) => setTimeout(resolve, wayMs / 2));
	answered();
	return arrivedAtMs;
}

/** The most of `timesMs` any rolling second holds. */
function busiestSecond(timesMs: number[]): number {
	return Math.max(
		...timesMs.map((from) => timesMs.filter((at) => at >= from && at < from + 1000).length),
	);
}

describe('the platform pacer on a database several hub processes share', () => {
	const stores = twoProcessStores();

	it('is chosen by the store: shared on PostgreSQL, in the process on SQLite', async () => {
		expect(pacerFor(stores[0], 'streaming:spotify', REQUESTS_PER_SECOND)).toBeInstanceOf(
			SharedRatePacer,
		);
		expect(messagePacerFor(stores[0], 'telegram:1', REQUESTS_PER_SECOND)).toBeInstanceOf(
			SharedRollingPacer,
		);
		const sqlite = await createTestDatabase('sqlite');
		const store = await openStore(sqlite);
		try {
			expect(pacerFor(store, 'streaming:spotify', REQUESTS_PER_SECOND)).toBeInstanceOf(RatePacer);
			expect(messagePacerFor(store, 'telegram:1', REQUESTS_PER_SECOND)).toBeInstanceOf(
				RollingPacer,
			);
		} finally {
			await store.close();
			await sqlite.drop();
		}
	});

	it('spaces the calls of two processes one interval apart, together at the budget', async () => {
		// Each slot as the database handed it out, by its clock: wake-ups on a busy machine come
		// late and bunch up on the way, the plan is the pacer's to keep.
		const slotsMs: number[] = [];
		const [first, second] = stores.map(
			(store) =>
				new SharedRatePacer(
					readingSlots(store, slotsMs),
					'streaming:together',
					REQUESTS_PER_SECOND,
				),
		);
		const startedMs = Date.now();
		await Promise.all(
			Array.from({ length: 60 }, (_, index) => (index % 2 === 0 ? first : second).take()),
		);
		const elapsedMs = Date.now() - startedMs;
		// 60 slots at 50/s: the last is 59 intervals after the first, whichever process took it.
		expect(elapsedMs).toBeGreaterThanOrEqual(59 * INTERVAL_MS - 5);
		expect(elapsedMs).toBeLessThan(59 * INTERVAL_MS + 1_000);
		expect(slotsMs).toHaveLength(60);
		expect(busiestSecond(slotsMs)).toBeLessThanOrEqual(REQUESTS_PER_SECOND);
	});

	it('holds every process back when one meets a 429', async () => {
		const [first, second] = stores.map(
			(store) => new SharedRatePacer(store, 'streaming:paused', REQUESTS_PER_SECOND),
		);
		await first.take();
		await first.pauseFor(400);
		const startedMs = Date.now();
		await second.take();
		expect(Date.now() - startedMs).toBeGreaterThanOrEqual(350);
	});
});

/** The store, noting each slot a pacer takes from it as the database's answer gives it. */
function readingSlots(store: SqlStore, slotsMs: number[]): SqlStore {
	const reading: SqlStore = Object.create(store);
	reading.get = async <T>(sql: string, params?: readonly SqlValue[]) => {
		const row = await store.get<T>(sql, params);
		const slot = (row as { slot_ms?: number | string } | undefined)?.slot_ms;
		if (slot !== undefined) slotsMs.push(Number(slot));
		return row;
	};
	return reading;
}

describe("a chat bot's pacer shared by hub processes", () => {
	const MESSAGES_PER_SECOND = 20;
	const stores = twoProcessStores();

	it('lets no more than the budget arrive in any rolling second, however the way to the platform bunches two processes up', async () => {
		const [first, second] = stores.map(
			(store) => new SharedRollingPacer(store, 'telegram:bunched', MESSAGES_PER_SECOND),
		);
		const startedMs = Date.now();
		// The way takes 0–300 ms (a process stalled between its turn and the request, a slow
		// connection). Slots spaced at the budget's rate meet 21 and more in a second here.
		const arrivedAtMs = await Promise.all(
			Array.from({ length: 60 }, (_, index) =>
				sendAlongTheWay(index % 2 === 0 ? first : second, (index * 137) % 300),
			),
		);
		expect(busiestSecond(arrivedAtMs)).toBeLessThanOrEqual(MESSAGES_PER_SECOND);
		// 60 messages at 20 a rolling second take more than two seconds, and the two processes
		// together still keep near the budget (not one process's share of it).
		const elapsedMs = Date.now() - startedMs;
		expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
		expect(elapsedMs).toBeLessThan(6_000);
	});

	it('keeps the place of a message never answered (its process died on the way)', async () => {
		const [dying, living] = stores.map(
			(store) => new SharedRollingPacer(store, 'telegram:died', 2),
		);
		await dying.take();
		await dying.take();
		const tookMs = await Promise.race([
			living.take().then(() => Date.now()),
			new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1_500)),
		]);
		expect(tookMs).toBeUndefined();
	});

	it('holds every process back when one meets a 429', async () => {
		const [first, second] = stores.map(
			(store) => new SharedRollingPacer(store, 'telegram:paused', MESSAGES_PER_SECOND),
		);
		(await first.take())();
		await first.pauseFor(400);
		const startedMs = Date.now();
		(await second.take())();
		expect(Date.now() - startedMs).toBeGreaterThanOrEqual(350);
	});
});

describe("a chat bot's pacer in one process", () => {
	it('lets no more than the budget arrive in any rolling second, however long the answers take', async () => {
		const pacer = new RollingPacer(20);
		// The way to the platform takes 0–60 ms.
		const arrivedAtMs = await Promise.all(
			Array.from({ length: 50 }, (_, index) => sendAlongTheWay(pacer, (index * 37) % 60)),
		);
		expect(busiestSecond(arrivedAtMs)).toBeLessThanOrEqual(20);
	});

	it('holds every message back when the platform asks to wait', async () => {
		const pacer = new RollingPacer(20);
		(await pacer.take())();
		pacer.pauseFor(400);
		const startedMs = Date.now();
		(await pacer.take())();
		expect(Date.now() - startedMs).toBeGreaterThanOrEqual(350);
	});
});
