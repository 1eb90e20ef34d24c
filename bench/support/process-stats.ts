import * as fs from 'node:fs';

/** CPU seconds a live process has used so far (user + system, from the kernel's clock ticks). */
export function cpuSeconds(pid: number): number {
	const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	// utime and stime are fields 14 and 15 of /proc/<pid>/stat; the split above starts at field 3.
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set of a live process, from the kernel's high-water mark. */
export function peakRssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
	return kb / 1024;
}
