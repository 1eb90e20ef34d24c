import { invalidFormBody } from './discord-errors';

/** Application command types and the option types a test's values are checked against, Discord's numbering. */
export const COMMAND_TYPES = { chatInput: 1, user: 2, message: 3 } as const;
const OPTION_TYPES = { integer: 4, boolean: 5, number: 10 } as const;
const MAX_COMMANDS_PER_SCOPE = 100;
const MAX_OPTIONS = 25;

/** Names Discord accepts for slash commands and options: 1–32 lower-case letters, digits, `-` and `_`. */
const CHAT_INPUT_NAME = /^[-_'\p{Ll}\p{Lo}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

export interface CommandOption {
	type: number;
	name: string;
	description: string;
	required?: boolean;
	options?: CommandOption[];
	[field: string]: unknown;
}

/** A command as the application registered it (what Discord stores, before ids are added). */
export interface CommandDefinition {
	type: number;
	name: string;
	description: string;
	options: CommandOption[];
	/** Every other field the application sent (default_member_permissions, contexts, …), kept as sent. */
	extra: Record<string, unknown>;
}

export interface RegisteredCommand extends CommandDefinition {
	id: string;
	applicationId: string;
	guildId?: string;
	version: string;
}

/** Checks one command body the way Discord's form validation does and returns it normalised. */
export function parseCommand(value: unknown, field: string): CommandDefinition {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw invalidFormBody(
			field,
			'DICT_TYPE_CONVERT',
			'Only dictionaries may be used in a DictType',
		);
	}
	const {
		type = COMMAND_TYPES.chatInput,
		name,
		description = '',
		options = [],
		...extra
	} = value as Record<string, unknown>;
	if (
		type !== COMMAND_TYPES.chatInput &&
		type !== COMMAND_TYPES.user &&
		type !== COMMAND_TYPES.message
	) {
		throw invalidFormBody(`${field}.type`, 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3}.');
	}
	if (typeof name !== 'string' || name.length < 1 || name.length > 32) {
		throw invalidFormBody(
			`${field}.name`,
			'BASE_TYPE_BAD_LENGTH',
			'Must be between 1 and 32 in length.',
		);
	}
	if (type === COMMAND_TYPES.chatInput) {
		if (!CHAT_INPUT_NAME.test(name)) {
			throw invalidFormBody(
				`${field}.name`,
				'APPLICATION_COMMAND_INVALID_NAME',
				'Command name is invalid',
			);
		}
		checkDescription(description, `${field}.description`);
	} else if (description !== '') {
		throw invalidFormBody(
			`${field}.description`,
			'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION',
			'Context menu commands cannot have description',
		);
	}
	return {
		type: type as number,
		name,
		description: description as string,
		options: parseOptions(options, `${field}.options`),
		extra,
	};
}

/** A whole PUT list: each command valid, and no two sharing a name and type. */
export function parseCommandList(values: unknown[]): CommandDefinition[] {
	if (values.length > MAX_COMMANDS_PER_SCOPE) {
		throw invalidFormBody(
			'_',
			'BASE_TYPE_MAX_LENGTH',
			`Must be ${MAX_COMMANDS_PER_SCOPE} or fewer in length.`,
		);
	}
	const commands = values.map((value, index) => parseCommand(value, String(index)));
	const seen = new Set<string>();
	commands.forEach((command, index) => {
		const key = `${command.type}:${command.name}`;
		if (seen.has(key)) {
			throw invalidFormBody(
				`${index}.name`,
				'APPLICATION_COMMANDS_DUPLICATE_NAME',
				`Application command names must be unique`,
			);
		}
		seen.add(key);
	});
	return commands;
}

export function commandPayload(command: RegisteredCommand): Record<string, unknown> {
	return {
		id: command.id,
		application_id: command.applicationId,
		version: command.version,
		default_member_permissions: null,
		type: command.type,
		name: command.name,
		description: command.description,
		...(command.guildId ? { guild_id: command.guildId } : {}),
		nsfw: false,
		integration_types: [0],
		contexts: null,
		...command.extra,
		...(command.options.length > 0 ? { options: command.options } : {}),
	};
}

/** An invocation's option list from a test's `{ name: value }`, typed by the registered option. */
export function invocationOptions(
	command: CommandDefinition,
	values: Record<string, string | number | boolean>,
): Array<{ name: string; type: number; value: string | number | boolean }> {
	const invocation = Object.entries(values).map(([name, value]) => {
		const declared = command.options.find((option) => option.name === name);
		if (!declared) throw new Error(`/${command.name} has no option "${name}"`);
		const expected =
			declared.type === OPTION_TYPES.boolean
				? 'boolean'
				: declared.type === OPTION_TYPES.integer || declared.type === OPTION_TYPES.number
					? 'number'
					: 'string';
		if (typeof value !== expected) {
			throw new Error(`/${command.name} option "${name}" takes a ${expected}, not ${typeof value}`);
		}
		return { name, type: declared.type, value };
	});
	for (const option of command.options) {
		if (option.required && !(option.name in values)) {
			throw new Error(`/${command.name} needs its required option "${option.name}"`);
		}
	}
	return invocation;
}

function parseOptions(value: unknown, field: string): CommandOption[] {
	if (!Array.isArray(value)) {
		throw invalidFormBody(field, 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
	}
	if (value.length > MAX_OPTIONS) {
		throw invalidFormBody(
			field,
			'BASE_TYPE_MAX_LENGTH',
			`Must be ${MAX_OPTIONS} or fewer in length.`,
		);
	}
	return value.map((option: unknown, index) => {
		const at = `${field}.${index}`;
		if (option === null || typeof option !== 'object' || Array.isArray(option)) {
			throw invalidFormBody(at, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
		}
		const { type, name, description, options, ...rest } = option as Record<string, unknown>;
		if (typeof type !== 'number' || type < 1 || type > 11) {
			throw invalidFormBody(
				`${at}.type`,
				'BASE_TYPE_CHOICES',
				'Value must be a valid option type.',
			);
		}
		if (typeof name !== 'string' || !CHAT_INPUT_NAME.test(name)) {
			throw invalidFormBody(
				`${at}.name`,
				'APPLICATION_COMMAND_INVALID_NAME',
				'Command name is invalid',
			);
		}
		checkDescription(description, `${at}.description`);
		return {
			...rest,
			type,
			name,
			description: description as string,
			...(options === undefined ? {} : { options: parseOptions(options, `${at}.options`) }),
		};
	});
}

function checkDescription(description: unknown, field: string): void {
	if (typeof description !== 'string' || description.length < 1 || description.length > 100) {
		throw invalidFormBody(field, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
	}
}
