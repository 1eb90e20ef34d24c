/** A clock tests can move: stand-ins read time only from here (token expiry, rate windows, quotas). */
export class SandboxClock {
	private offsetMs = 0;

	now(): number {
		return Date.now() + this.offsetMs;
	}

	advance(ms: number): void {
		this.offsetMs += ms;
	}

	set(epochMs: number): void {
		this.offsetMs = epochMs - Date.now();
	}
}
