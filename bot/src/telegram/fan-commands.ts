import { Composer, type Context } from 'grammy';
import type { ChatUser, CommunityDesk } from '../port';
import * as replies from './replies';

/** The fan behind an update, as the desk knows chat users. */
export function chatUserOf(ctx: Context): ChatUser | undefined {
	if (!ctx.from || ctx.from.is_bot) return undefined;
	return {
		platform: 'telegram',
		userId: String(ctx.from.id),
		...(ctx.from.username ? { username: ctx.from.username } : {}),
		...(ctx.from.language_code ? { locale: ctx.from.language_code } : {}),
	};
}

/**
 * Every fan action, each reachable as a command and (but /start and /help) as an inline
 * button: the desk records it, the reply says what happened in plain words.
 */
export function fanCommands(desk: CommunityDesk): Composer<Context> {
	const commands = new Composer<Context>();
	const privateChats = commands.chatType('private');

	const offerJoin = async (ctx: Context, user: ChatUser, wording?: string) => {
		const offer = replies.joinOffer(wording ?? (await desk.releaseUpdatesWording(user)));
		await ctx.reply(offer.text, { reply_markup: offer.keyboard });
	};

	const actions: Record<
		keyof typeof replies.BUTTON,
		(ctx: Context, user: ChatUser) => Promise<unknown>
	> = {
		join: async (ctx, user) => {
			const result = await desk.join(user);
			if (result.outcome === 'refused') return ctx.reply(replies.REFUSALS[result.refusal]);
			return ctx.reply(result.outcome === 'joined' ? replies.JOINED : replies.ALREADY_JOINED);
		},
		stop: async (ctx, user) => {
			const result = await desk.stop(user);
			if (result.outcome === 'refused') return ctx.reply(replies.REFUSALS[result.refusal]);
			return ctx.reply(result.outcome === 'stopped' ? replies.STOPPED : replies.NOT_JOINED);
		},
		status: async (ctx, user) => {
			const result = await desk.status(user);
			if (result.outcome === 'refused') return ctx.reply(replies.REFUSALS[result.refusal]);
			const view = replies.status(result);
			return ctx.reply(view.text, { reply_markup: view.keyboard });
		},
		presave: async (ctx, user) => {
			const campaign = await desk.presaveLink(user);
			if (!campaign) return ctx.reply(replies.NO_CAMPAIGN);
			const view = replies.presave(campaign);
			return ctx.reply(view.text, { reply_markup: view.keyboard });
		},
		saveall: async (ctx, user) => {
			const offer = await desk.futureSavesOffer(user);
			if (offer.outcome === 'refused') return ctx.reply(replies.REFUSALS[offer.refusal]);
			if (offer.outcome === 'not_connected') return ctx.reply(replies.NOT_CONNECTED);
			if (offer.outcome === 'already_saving') return ctx.reply(replies.ALREADY_SAVING);
			const view = replies.saveAllOffer(offer.wording);
			return ctx.reply(view.text, { reply_markup: view.keyboard });
		},
		saveall_yes: async (ctx, user) => {
			const result = await desk.saveEveryRelease(user);
			if (result.outcome === 'refused') return ctx.reply(replies.REFUSALS[result.refusal]);
			if (result.outcome === 'not_connected') return ctx.reply(replies.NOT_CONNECTED);
			return ctx.reply(result.outcome === 'saving' ? replies.SAVING : replies.ALREADY_SAVING);
		},
		channel: async (ctx, user) => {
			const result = await desk.channelInvite(user);
			if (result.outcome === 'refused') return ctx.reply(replies.REFUSALS[result.refusal]);
			if (result.outcome === 'unavailable') return ctx.reply(replies.NO_CHANNEL);
			const view = replies.channelInvite(result.url);
			return ctx.reply(view.text, { reply_markup: view.keyboard });
		},
	};

	privateChats.command('start', async (ctx) => {
		const user = chatUserOf(ctx);
		if (!user) return;
		const result = await desk.start(user, ctx.match.trim() || undefined);
		if (result.outcome === 'refused') {
			await ctx.reply(replies.REFUSALS[result.refusal]);
			return;
		}
		await ctx.reply(replies.greeting(result.campaign, result.releaseUpdates));
		if (!result.releaseUpdates) await offerJoin(ctx, user, result.releaseUpdatesWording);
	});

	// Typed, /join shows the wording first (to fans who can still give it); the button under it is the fan's yes.
	privateChats.command('join', async (ctx) => {
		const user = chatUserOf(ctx);
		if (!user) return;
		const status = await desk.status(user);
		if (status.outcome === 'refused') await ctx.reply(replies.REFUSALS[status.refusal]);
		else if (status.releaseUpdates) await ctx.reply(replies.ALREADY_JOINED);
		else await offerJoin(ctx, user);
	});

	for (const name of ['stop', 'status', 'presave', 'channel', 'saveall'] as const) {
		privateChats.command(name, async (ctx) => {
			const user = chatUserOf(ctx);
			if (user) await actions[name](ctx, user);
		});
	}

	privateChats.command('help', (ctx) => ctx.reply(replies.HELP));

	commands.callbackQuery(Object.values(replies.BUTTON), async (ctx) => {
		const user = chatUserOf(ctx);
		await ctx.answerCallbackQuery();
		if (user) await actions[ctx.callbackQuery.data as keyof typeof replies.BUTTON](ctx, user);
	});

	privateChats.on('message', (ctx) => ctx.reply(replies.UNKNOWN));
	return commands;
}
