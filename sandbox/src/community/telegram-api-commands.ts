import type { BotCommand } from '@grammyjs/types';
import { badRequest, type TelegramParams } from './telegram-params';
import type { BotApiMethods } from './telegram-method';

/** The bot's command menus, kept per scope and language as the Bot API keeps them. */
export class TelegramCommandMethods {
	private readonly commands = new Map<string, BotCommand[]>();

	methods(): BotApiMethods {
		return {
			setMyCommands: (params) => this.setMyCommands(params),
			getMyCommands: (params) => this.commands.get(this.commandsKey(params)) ?? [],
			deleteMyCommands: (params) => {
				this.commands.delete(this.commandsKey(params));
				return true;
			},
		};
	}

	private setMyCommands(params: TelegramParams): true {
		const commands = params.optionalJson('commands');
		if (!Array.isArray(commands) || commands.length > 100) {
			throw badRequest('commands must be an Array of up to 100 BotCommand');
		}
		for (const command of commands as Array<Partial<BotCommand>>) {
			if (typeof command?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command.command)) {
				throw badRequest('BOT_COMMAND_INVALID');
			}
			if (
				typeof command.description !== 'string' ||
				command.description.length < 1 ||
				command.description.length > 256
			) {
				throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
			}
		}
		this.commands.set(
			this.commandsKey(params),
			(commands as BotCommand[]).map(({ command, description }) => ({ command, description })),
		);
		return true;
	}

	/** Commands are kept per scope and language, as the Bot API keeps them. */
	private commandsKey(params: TelegramParams): string {
		const scope = params.optionalJson('scope') ?? { type: 'default' };
		return JSON.stringify([scope, params.optionalString('language_code') ?? '']);
	}
}
