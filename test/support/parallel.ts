/** Runs `work` for every index below `count` with at most `limit` in flight (seeding many fans). */
export async function inParallel(
	count: number,
	limit: number,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, count) }, async () => {
			while (next < count) await work(next++);
		}),
	);
}
