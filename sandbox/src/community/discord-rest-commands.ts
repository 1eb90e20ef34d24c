import type { CommandRegistry } from './discord-command-registry';
import { commandPayload, parseCommand, parseCommandList } from './discord-commands';
import { NO_CONTENT, arrayBodyOf, bodyOf, ok, type RouteTable } from './discord-routes';

/** The application's command routes, global and per guild, which share every operation. */
export function addCommandRoutes(table: RouteTable, commands: CommandRegistry): void {
	for (const scope of ['', '/guilds/:guildId'] as const) {
		const base = `/applications/:applicationId${scope}/commands`;
		table
			.add('GET', base, ({ params }) =>
				ok(commands.list(params.applicationId, params.guildId).map(commandPayload)),
			)
			.add('PUT', base, ({ params, request }) => {
				const definitions = parseCommandList(arrayBodyOf(request));
				return ok(
					commands.replace(params.applicationId, params.guildId, definitions).map(commandPayload),
				);
			})
			.add('POST', base, ({ params, request }) => {
				const definition = parseCommand(bodyOf(request), '_');
				const { command, created } = commands.upsert(
					params.applicationId,
					params.guildId,
					definition,
				);
				// 201 for a new command, 200 when one with that name was overwritten.
				return { status: created ? 201 : 200, body: commandPayload(command) };
			})
			.add('DELETE', `${base}/:commandId`, ({ params }) => {
				commands.delete(params.applicationId, params.guildId, params.commandId);
				return NO_CONTENT;
			});
	}
}
