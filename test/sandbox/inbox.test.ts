/**
 * The sandbox inbox `npm start` opens: acting as a Telegram fan there reaches the hub's real
 * bot through the Bot API stand-in, and the bot's answers and buttons show up on the page.
 */
import { startSandboxInbox, type SandboxInbox } from '../../sandbox/src/inbox';
import { eventually } from '../support/eventually';
import { TelegramHub } from '../community/telegram-hub';

describe('the sandbox inbox, Telegram side', () => {
	let h: TelegramHub;
	let inbox: SandboxInbox;

	beforeAll(async () => {
		h = await TelegramHub.start('sqlite');
		inbox = await startSandboxInbox({ telegram: h.telegram });
	});

	afterAll(async () => {
		await inbox?.stop();
		await h?.close();
	});

	const post = async (path: string, form: Record<string, string>) =>
		(
			await fetch(`${inbox.url}${path}`, { method: 'POST', body: new URLSearchParams(form) })
		).text();
	const page = async () => (await fetch(inbox.url)).text();

	it('opens the layers page’s deep link as a fan, shows the bot’s answer, and presses its button', async () => {
		const { presaveId } = await h.presave();
		const link = await h.api.call('POST', '/v1/community/links', {
			platform: 'telegram',
			actionId: presaveId,
		});
		expect(link.status).toBe(200);

		expect(await post('/telegram/open', { fan: 'Robin <b>', link: link.body.url })).toContain(
			'Robin &lt;b&gt; opened the link',
		);
		let last = '';
		await eventually(
			'the bot’s welcome in the inbox',
			async () => {
				last = await page();
				return /<li><small>/.test(last) ? true : undefined;
			},
			10_000,
			() => last,
		);

		expect(await post('/telegram/send', { fan: 'Robin <b>', text: '/join' })).toContain(
			'wrote to the bot',
		);
		const withButton = await eventually('the join offer with its button', async () => {
			const html = await page();
			return /action="\/telegram\/press"/.test(html) ? html : undefined;
		});
		const [, messageId, data] =
			/name="message" value="(\d+)"><input type="hidden" name="data" value="([^"]+)"/.exec(
				withButton,
			) ?? [];
		expect(await post('/telegram/press', { fan: 'Robin <b>', message: messageId, data })).toContain(
			'pressed a button',
		);

		await eventually('community.joined for the fan who came from the pre-save', () =>
			h.events().some((event) => event.type === 'community.joined') ? true : undefined,
		);
	});

	it('says so when Telegram refuses what the fan did', async () => {
		expect(await post('/telegram/open', { fan: 'Kai', link: 'not a link' })).toContain(
			'Telegram refused',
		);
		expect(await post('/nowhere', {})).toContain('Nothing here answers that form');
	});
});
