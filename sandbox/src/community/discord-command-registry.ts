import { COMMAND_TYPES, type CommandDefinition, type RegisteredCommand } from './discord-commands';
import { missingAccess, unknown } from './discord-errors';
import type { DiscordState } from './discord-state';

/** Interaction contexts (Discord's numbering): in a guild, in the user's DM with the bot. */
export const INTERACTION_CONTEXTS = { guild: 0, botDm: 1 } as const;

/**
 * The application's commands, global and per guild, as the REST routes manage them:
 * only the bot's own application, only guilds the bot is in, ids kept across overwrites.
 */
export class CommandRegistry {
	private readonly global = new Map<string, RegisteredCommand>();
	private readonly perGuild = new Map<string, Map<string, RegisteredCommand>>();

	constructor(private readonly state: DiscordState) {}

	list(applicationId: string, guildId?: string): RegisteredCommand[] {
		return [...this.scope(applicationId, guildId).values()];
	}

	/** PUT replaces the whole list; a command keeping its name and type keeps its id. */
	replace(
		applicationId: string,
		guildId: string | undefined,
		definitions: CommandDefinition[],
	): RegisteredCommand[] {
		const scope = this.scope(applicationId, guildId);
		const previous = [...scope.values()];
		scope.clear();
		for (const definition of definitions) {
			const kept = previous.find((command) => sameCommand(command, definition));
			const command = this.stamp(definition, guildId, kept?.id);
			scope.set(command.id, command);
		}
		return [...scope.values()];
	}

	/** POST creates a command, or overwrites the one with the same name and type. */
	upsert(
		applicationId: string,
		guildId: string | undefined,
		definition: CommandDefinition,
	): { command: RegisteredCommand; created: boolean } {
		const scope = this.scope(applicationId, guildId);
		const existing = [...scope.values()].find((command) => sameCommand(command, definition));
		const command = this.stamp(definition, guildId, existing?.id);
		scope.set(command.id, command);
		return { command, created: !existing };
	}

	delete(applicationId: string, guildId: string | undefined, commandId: string): void {
		if (!this.scope(applicationId, guildId).delete(commandId)) throw unknown('application command');
	}

	/** What a test reads back: a guild's commands, or the global ones. */
	registered(guildId?: string): RegisteredCommand[] {
		return [...((guildId ? this.perGuild.get(guildId) : this.global)?.values() ?? [])];
	}

	/**
	 * The slash command a user can run by name: in a guild its own commands come first, then
	 * global ones; in a DM with the bot only global ones. Either way its `contexts` (when
	 * set) must include where the user is.
	 */
	usable(name: string, where: { guildId: string } | 'dm'): RegisteredCommand | undefined {
		const context = where === 'dm' ? INTERACTION_CONTEXTS.botDm : INTERACTION_CONTEXTS.guild;
		const scopes = where === 'dm' ? [this.global] : [this.perGuild.get(where.guildId), this.global];
		for (const scope of scopes) {
			const found = [...(scope?.values() ?? [])].find((command) => {
				const contexts = command.extra.contexts;
				const usableHere = !Array.isArray(contexts) || contexts.includes(context);
				return command.name === name && command.type === COMMAND_TYPES.chatInput && usableHere;
			});
			if (found) return found;
		}
		return undefined;
	}

	private scope(applicationId: string, guildId?: string): Map<string, RegisteredCommand> {
		if (applicationId !== this.state.applicationId) throw missingAccess();
		if (!guildId) return this.global;
		// A bot may only manage commands in guilds it is in.
		if (!this.state.guilds.has(guildId)) throw missingAccess();
		let scope = this.perGuild.get(guildId);
		if (!scope) {
			scope = new Map();
			this.perGuild.set(guildId, scope);
		}
		return scope;
	}

	private stamp(
		definition: CommandDefinition,
		guildId: string | undefined,
		id?: string,
	): RegisteredCommand {
		return {
			...definition,
			id: id ?? this.state.snowflakes.next(),
			applicationId: this.state.applicationId,
			guildId,
			version: this.state.snowflakes.next(),
		};
	}
}

function sameCommand(a: CommandDefinition, b: CommandDefinition): boolean {
	return a.name === b.name && a.type === b.type;
}
