import { forgetLeftover, recordLeftover } from '../leftovers';

/**
 * n8n runs in its own process group (it spawns a task runner); these are the groups still
 * running. When the owning process exits anyway (an uncaught error), they are killed, so nothing
 * is left listening on the machine; a test run's sweep covers processes that cannot run exit
 * hooks (a jest worker torn down).
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// the group is gone already
	}
}

export function trackGroup(pid: number): void {
	liveGroups.add(pid);
	recordLeftover('group', String(pid), String(pid));
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.once('exit', () => {
		for (const group of liveGroups) signalGroup(group, 'SIGKILL');
	});
}

export function untrackGroup(pid: number): void {
	liveGroups.delete(pid);
	forgetLeftover('group', String(pid));
}
