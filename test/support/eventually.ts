/** Polls `fn` until it answers something other than `undefined`, or fails after `timeoutMs` naming what it waited for. */
export async function eventually<T>(
	what: string,
	fn: () => Promise<T | undefined> | T | undefined,
	timeoutMs = 30_000,
	onTimeout?: () => string,
	pollMs = 200,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value !== undefined) return value;
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${what}\n${onTimeout?.() ?? ''}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, pollMs));
	}
}
