/**
 * Preloaded into a benchmarked hub process (`node --expose-gc -r live-heap-probe.js`): on
 * SIGUSR2 it collects garbage and writes the live heap in bytes to BENCH_LIVE_HEAP_FILE, so the
 * bench reads what the hub really holds rather than what V8 has not collected yet.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_LIVE_HEAP_FILE;
const collect = (globalThis as { gc?: () => void }).gc;
if (file && collect) {
	process.on('SIGUSR2', () => {
		collect();
		writeFileSync(file, String(process.memoryUsage().heapUsed));
	});
}
