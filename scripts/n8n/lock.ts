import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STALE_AFTER_MS = 10 * 60_000;

/**
 * Runs `fn` while holding a lock folder shared by every process of the clone (parallel jest
 * workers, `npm start`), waiting without blocking the event loop. A lock older than ten
 * minutes was left by a killed process and is taken over.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	const deadline = Date.now() + STALE_AFTER_MS;
	for (;;) {
		try {
			fs.mkdirSync(lockDir);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const ageMs = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
			if (ageMs > STALE_AFTER_MS) fs.rmSync(lockDir, { recursive: true, force: true });
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
			await sleep(200);
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}
