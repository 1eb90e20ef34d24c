/**
 * One platform budget, two hub processes: on PostgreSQL two pacers over separate
 * connections (as two processes have) hand out slots one interval apart between them,
 * and a 429 one of them meets holds the other back. On SQLite the pacer stays in the process.
 */
import { pacerFor, RatePacer, RollingPacer, SharedRatePacer } from '../../hub/src/core/pacing';
import { migrate } from '../../hub/src/store/migrations';
import { openStore } from '../../hub/src/store/open-store';
import type { SqlStore } from '../../hub/src/store/sql-store';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const REQUESTS_PER_SECOND = 50;
const INTERVAL_MS = 1000 / REQUESTS_PER_SECOND;

describe('the platform pacer on a database several hub processes share', () => {
	let database: TestDatabase;
	const stores: SqlStore[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		for (let i = 0; i < 2; i++) stores.push(await openStore(database));
		await migrate(stores[0]);
	});

	afterAll(async () => {
		for (const store of stores) await store.close();
		await database?.drop();
	});

	it('is chosen by the store: shared on PostgreSQL, in the process on SQLite', async () => {
		expect(pacerFor(stores[0], 'streaming:spotify', REQUESTS_PER_SECOND)).toBeInstanceOf(
			SharedRatePacer,
		);
		const sqlite = await createTestDatabase('sqlite');
		const store = await openStore(sqlite);
		try {
			expect(pacerFor(store, 'streaming:spotify', REQUESTS_PER_SECOND)).toBeInstanceOf(RatePacer);
		} finally {
			await store.close();
			await sqlite.drop();
		}
	});

	it('spaces the calls of two processes one interval apart, together at the budget', async () => {
		const [first, second] = stores.map(
			(store) => new SharedRatePacer(store, 'streaming:together', REQUESTS_PER_SECOND),
		);
		const sentAtMs: number[] = [];
		const startedMs = Date.now();
		await Promise.all(
			Array.from({ length: 60 }, async (_, index) => {
				await (index % 2 === 0 ? first : second).take();
				sentAtMs.push(Date.now());
			}),
		);
		const elapsedMs = Date.now() - startedMs;
		// 60 slots at 50/s: the last is 59 intervals after the first, whichever process took it.
		expect(elapsedMs).toBeGreaterThanOrEqual(59 * INTERVAL_MS - 5);
		expect(elapsedMs).toBeLessThan(59 * INTERVAL_MS + 1_000);
		// No second holds more than the budget, give or take the slot at its very edge and one
		// sleep that woke late on a busy machine and went out beside the next slot: the database
		// hands slots out an interval apart (the elapsed time above), the clock here reads wake-ups.
		sentAtMs.sort((a, b) => a - b);
		for (let i = 0; i < sentAtMs.length; i++) {
			const inSecond = sentAtMs.filter((at) => at >= sentAtMs[i] && at < sentAtMs[i] + 1000);
			expect(inSecond.length).toBeLessThanOrEqual(REQUESTS_PER_SECOND + 2);
		}
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

describe("a chat bot's pacer in one process", () => {
	it('lets no more than the budget arrive in any rolling second, however long the answers take', async () => {
		const pacer = new RollingPacer(20);
		const arrivedAtMs: number[] = [];
		await Promise.all(
			Array.from({ length: 50 }, async (_, index) => {
				const answered = await pacer.take();
				// The way to the platform takes 0–60 ms; the message arrives somewhere on it.
				const wayMs = (index * 37) % 60;
				await new Promise((resolve) => setTimeout(resolve, wayMs / 2));
				arrivedAtMs.push(Date.now());
				await new Promise((resolve) => setTimeout(resolve, wayMs / 2));
				answered();
			}),
		);
		arrivedAtMs.sort((a, b) => a - b);
		for (const from of arrivedAtMs) {
			expect(arrivedAtMs.filter((at) => at >= from && at < from + 1000).length).toBeLessThanOrEqual(
				20,
			);
		}
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
