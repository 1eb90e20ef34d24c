import type { Update } from '@grammyjs/types';

export type UpdateKind = Exclude<keyof Update, 'update_id'>;

/** Telegram leaves these out unless a bot asks for them by name in `allowed_updates`. */
const OPT_IN_KINDS: readonly UpdateKind[] = [
	'chat_member',
	'message_reaction',
	'message_reaction_count',
];

/** The largest batch one getUpdates call returns. */
export const MAX_UPDATES_PER_CALL = 100;

/**
 * The bot's pending updates, as Telegram keeps them for both delivery modes: ids rise by one,
 * an update stays until it is confirmed (getUpdates with a higher offset, or a webhook's 2xx),
 * and the bot's `allowed_updates` decide which updates are created at all.
 */
export class UpdateQueue {
	private pending: Update[] = [];
	private nextUpdateId: number;
	private allowed: readonly UpdateKind[] | undefined;
	private readonly listeners = new Set<() => void>();

	constructor(firstUpdateId: number) {
		this.nextUpdateId = firstUpdateId;
	}

	get size(): number {
		return this.pending.length;
	}

	/** The bot's current subscription; `undefined` means Telegram's default. */
	get allowedUpdates(): readonly UpdateKind[] | undefined {
		return this.allowed;
	}

	/** An empty list means the default again, as in the Bot API. */
	setAllowed(kinds: readonly UpdateKind[]): void {
		this.allowed = kinds.length === 0 ? undefined : [...kinds];
	}

	accepts(kind: UpdateKind): boolean {
		return this.allowed ? this.allowed.includes(kind) : !OPT_IN_KINDS.includes(kind);
	}

	/** Creates the update when the bot subscribes to its kind; returns it, or undefined when filtered out. */
	add<K extends UpdateKind>(kind: K, payload: NonNullable<Update[K]>): Update | undefined {
		if (!this.accepts(kind)) return undefined;
		const update = { update_id: this.nextUpdateId, [kind]: payload } as Update;
		this.nextUpdateId += 1;
		this.pending.push(update);
		for (const listener of [...this.listeners]) listener();
		return update;
	}

	/**
	 * getUpdates' offset: a positive one confirms every update below it; a negative one keeps
	 * only the last `-offset` updates and forgets the rest.
	 */
	confirm(offset: number): void {
		if (offset < 0) this.pending = this.pending.slice(offset);
		else this.pending = this.pending.filter((update) => update.update_id >= offset);
	}

	first(limit: number): Update[] {
		return this.pending.slice(0, limit);
	}

	/** The oldest pending update not among `busy` (updates a webhook connection is already carrying). */
	oldestExcept(busy: ReadonlySet<number>): Update | undefined {
		return this.pending.find((update) => !busy.has(update.update_id));
	}

	/** A webhook's 2xx confirms that one update, whatever its neighbours' fate. */
	remove(updateId: number): void {
		this.pending = this.pending.filter((update) => update.update_id !== updateId);
	}

	clear(): void {
		this.pending = [];
	}

	/** Resolves at the next added update, after `timeoutMs` (when given), or when `signal` aborts. */
	nextArrival(signal: AbortSignal, timeoutMs?: number): Promise<void> {
		return new Promise((resolve) => {
			if (signal.aborted) {
				resolve();
				return;
			}
			const finish = (): void => {
				this.listeners.delete(finish);
				signal.removeEventListener('abort', finish);
				if (timer) clearTimeout(timer);
				resolve();
			};
			const timer = timeoutMs === undefined ? undefined : setTimeout(finish, timeoutMs);
			this.listeners.add(finish);
			signal.addEventListener('abort', finish);
		});
	}
}
