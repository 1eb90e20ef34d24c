/**
 * The page bench's load generator, run as its own process so its requests do not share an
 * event loop with the server under test: `node page-load.js <url> <requests> <concurrency>
 * <warm-up> <headers JSON>` prints `{ perSecond, p99Ms }` as JSON on stdout.
 */
async function main(): Promise<void> {
	const [url, requestsText, concurrencyText, warmUpText, headersJson] = process.argv.slice(2);
	const requests = Number(requestsText);
	const concurrency = Number(concurrencyText);
	const headers = JSON.parse(headersJson) as Record<string, string>;
	const get = async () => {
		const response = await fetch(url, { headers });
		if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
		await response.arrayBuffer();
	};
	for (let i = 0; i < Number(warmUpText); i++) await get();
	const latenciesMs: number[] = [];
	let next = 0;
	const startedAt = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < requests) {
				next += 1;
				const sentAt = performance.now();
				await get();
				latenciesMs.push(performance.now() - sentAt);
			}
		}),
	);
	const seconds = (performance.now() - startedAt) / 1000;
	latenciesMs.sort((a, b) => a - b);
	process.stdout.write(
		JSON.stringify({
			perSecond: latenciesMs.length / seconds,
			p99Ms: latenciesMs[Math.floor(latenciesMs.length * 0.99) - 1],
		}),
	);
}

main().catch((error: unknown) => {
	process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
