import type { CommunityDesk } from '../port';

/**
 * Which of the hub's single-use invites a new member used up. Discord does not say; a
 * used-up invite just stops being listed, so the watch compares the hub's open invites
 * with the server's live ones right after the join. An invite that expired before the
 * join vanished too, so the watch remembers when each invite it saw created expires and
 * leaves those out. When more than one candidate is left, nobody is credited (better no
 * attribution than a wrong one) and the hub is told they are spent, so they do not stay
 * candidates for every later join.
 */
export class InviteWatch {
	private readonly expiresAtMs = new Map<string, number>();

	constructor(
		private readonly desk: CommunityDesk,
		private readonly liveCodes: () => Promise<Set<string>>,
	) {}

	/** An invite was created (INVITE_CREATE); `expiresAtMs` is null for one that never expires. */
	created(code: string, expiresAtMs: number | null): void {
		if (expiresAtMs !== null) this.expiresAtMs.set(code, expiresAtMs);
	}

	/** The open invite a member who joined at `joinedAtMs` (Discord's clock) used up, if it can be told. */
	async usedBy(joinedAtMs: number): Promise<string | undefined> {
		const open = await this.desk.openInviteCodes();
		if (open.length === 0) return undefined;
		const live = await this.liveCodes();
		const candidates = open.filter(
			(code) => !live.has(code) && (this.expiresAtMs.get(code) ?? Infinity) > joinedAtMs,
		);
		for (const code of this.expiresAtMs.keys()) if (!live.has(code)) this.expiresAtMs.delete(code);
		if (candidates.length > 1) await this.desk.invitesSpent(candidates);
		return candidates.length === 1 ? candidates[0] : undefined;
	}
}
