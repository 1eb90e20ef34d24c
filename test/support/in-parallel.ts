/** Runs `work` over `items` with at most `limit` in flight; the results keep the items' order. */
export async function inParallel<T, R>(
	items: readonly T[],
	limit: number,
	work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await work(items[index], index);
			}
		}),
	);
	return results;
}

/** The indexes below `count`, for work over a number of items rather than a list of them. */
export function range(count: number): number[] {
	return Array.from({ length: count }, (_, index) => index);
}
