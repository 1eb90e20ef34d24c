/**
 * The "Community join" template (workflows/community-join.json) as shipped, imported and
 * published in a real n8n with the packed package installed as a community node. Fans talk to
 * the hub's own Telegram bot (grammY, long polling) through the Telegram stand-in: a pre-saver
 * follows the pre-save page's deep link and opts in with the button, a newcomer starts the bot
 * on their own. Each community.joined event reaches n8n once, also the ones recorded while n8n
 * was down, and the template offers the pre-saver SMS and the newcomer the pre-save.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub, type RunningHub } from '../../hub/src';
import { SandboxClock } from '../../sandbox/src/core/clock';
import {
	SANDBOX_TELEGRAM,
	startTelegramStandIn,
	type TelegramStandIn,
} from '../../sandbox/src/community/telegram';
import { startMessagingSandbox, type MessagingSandbox } from '../../sandbox/src/messaging';
import { HubApi } from '../support/hub-api';
import { sandboxMessaging } from '../support/messaging';
import {
	eventually,
	loadTemplate,
	N8n,
	sleep,
	untilHubSubscribed,
	withN8nLog,
	type Execution,
} from './harness';

const shipped = loadTemplate('community-join.json');
const PAGE_NODE = 'Pre-save page';
const CAMPAIGN_SLUG = 'loop-back-home';
/** The template with the fallback campaign set to the test's, as the sticky note asks the marketer to. */
const template = structuredClone(shipped);
const pageNode = template.nodes.find((node) => node.name === PAGE_NODE);
if (!pageNode) throw new Error(`community-join.json has no "${PAGE_NODE}" node`);
pageNode.parameters.campaignId = `={{ $json.campaignId || '${CAMPAIGN_SLUG}' }}`;
const TRIGGER = 'Community joined';

/** 11:00 in Berlin: inside the hours the hub sends marketing texts in. */
const BERLIN_MORNING = Date.parse('2026-12-03T10:00:00Z');

jest.setTimeout(240_000);

interface JoinedEvent {
	id: string;
	fanId: string;
	what: string;
	/** The ledger action the event announces (the chat arrival, or the opt-in). */
	actionId: string;
}

describe('the Community join template in a real n8n', () => {
	const clock = new SandboxClock();
	let dataDir: string;
	let telegram: TelegramStandIn;
	let messaging: MessagingSandbox;
	let hub: RunningHub;
	let api: HubApi;
	let n8n: N8n | undefined;
	let campaignId: string;

	async function call<T = any>(method: string, url: string, body?: unknown): Promise<T> {
		const response = await api.call<T>(method, url, body);
		if (response.status >= 300)
			throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
		return response.body;
	}

	/** A fan who pre-saved on the campaign page, leaving their number. */
	async function preSaver(phone: string): Promise<{ fanId: string; presaveId: string }> {
		const { fan } = await call('POST', '/v1/fans', {
			identities: [{ channel: 'phone', value: phone }],
			timezone: 'Europe/Berlin',
		});
		const { action } = await call('POST', '/v1/actions', {
			fanId: fan.id,
			campaignId,
			kind: 'presave',
			status: 'done',
		});
		return { fanId: fan.id, presaveId: action.id };
	}

	/** The fan taps the pre-save page's Telegram link, then "Yes, keep me posted" under the bot's offer. */
	async function joinThroughTelegram(userId: number, startPayload?: string): Promise<void> {
		telegram.send(userId, startPayload ? `/start ${startPayload}` : '/start');
		const offer = await eventually('the bot to offer release updates', () =>
			telegram
				.messages(userId)
				.find((message) =>
					message.reply_markup?.inline_keyboard
						.flat()
						.some((button) => 'callback_data' in button && button.callback_data === 'join'),
				),
		);
		telegram.press(userId, offer, 'join');
		await eventually('the bot to confirm the opt-in', () =>
			telegram.messages(userId).some((message) => message.text?.startsWith('Done!'))
				? true
				: undefined,
		);
	}

	async function deepLinkPayload(presaveId: string): Promise<string> {
		const link = await call<{ url: string; reference: string }>('POST', '/v1/community/links', {
			platform: 'telegram',
			actionId: presaveId,
		});
		expect(link.url).toBe(`https://t.me/${SANDBOX_TELEGRAM.username}?start=${link.reference}`);
		return link.reference;
	}

	/** community.joined events in the hub's outbox for these fans. */
	async function joinedEvents(fanIds: string[]): Promise<JoinedEvent[]> {
		const rows = await hub.ledger.store.all<{ id: string; payload: string }>(
			`SELECT id, payload FROM outbox WHERE type = 'community.joined'`,
		);
		return rows
			.map(
				(row) =>
					JSON.parse(row.payload) as {
						id: string;
						data: { fan: { id: string }; community: { what: string }; action: { id: string } };
					},
			)
			.map((event) => ({
				id: event.id,
				fanId: event.data.fan.id,
				what: event.data.community.what,
				actionId: event.data.action.id,
			}))
			.filter((event) => fanIds.includes(event.fanId));
	}

	/** The event each finished execution of the template started from. */
	function eventIdsOf(executions: Execution[]): string[] {
		return executions.flatMap((execution) =>
			(execution.data?.resultData.runData[TRIGGER]?.[0]?.data?.main[0] ?? []).map((item) =>
				String((item.json as { id: string }).id),
			),
		);
	}

	/** Waits until n8n has run the template once for each of `events` and for nothing else of these fans. */
	async function expectEachEventOnce(events: JoinedEvent[]): Promise<Execution[]> {
		const wanted = new Set(events.map((event) => event.id));
		const executions = await eventually(
			'an execution for every community.joined event',
			async () => {
				const all = (await n8n!.executions(template.id, true)).filter(
					(execution) => execution.stoppedAt || execution.finished,
				);
				const ids = eventIdsOf(all);
				return [...wanted].every((id) => ids.includes(id)) ? all : undefined;
			},
			90_000,
			() => n8n!.logTail(),
			500,
		);
		const ids = eventIdsOf(executions).filter((id) => wanted.has(id));
		expect(ids.sort()).toEqual([...wanted].sort());
		return executions;
	}

	async function smsOptInsLayeredOn(
		fanId: string,
	): Promise<Array<{ parentActionId: string | null; status: string }>> {
		const exported = await call<{
			actions: Array<{ kind: string; parentActionId: string | null; status: string }>;
		}>('GET', `/v1/fans/${fanId}/export`);
		return exported.actions.filter((action) => action.kind === 'optin_sms');
	}

	beforeAll(async () => {
		clock.set(BERLIN_MORNING);
		telegram = await startTelegramStandIn();
		messaging = await startMessagingSandbox({ clock });
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-community-n8n-'));
		hub = await startHub({
			port: 0,
			host: '127.0.0.1',
			dataDir,
			sealingKey: randomBytes(32),
			clock: () => clock.now(),
			messaging: sandboxMessaging(messaging),
			community: { telegram: { botToken: SANDBOX_TELEGRAM.token, apiRoot: telegram.apiRoot } },
			// n8n checks signatures against its own clock; quick redelivery once n8n is back.
			delivery: { pollMs: 50, maxBackoffMs: 1_000, signingClock: Date.now },
			jobs: { pollMs: 50 },
		});
		api = new HubApi(hub.url, await hub.createApiKey('community n8n test'));
		({
			campaign: { id: campaignId },
		} = await call('POST', '/v1/campaigns', {
			slug: CAMPAIGN_SLUG,
			artist: 'Nia Vale',
			title: 'Loop Back Home',
			releaseAtUtc: '2027-01-15T00:00:00Z',
		}));
		n8n = await N8n.start({
			name: 'community',
			credentials: [
				{
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('n8n community') },
				},
			],
			workflows: [template],
		});
		await untilHubSubscribed(hub, [template]);
	});

	afterAll(async () => {
		await n8n?.stop();
		await hub?.close();
		await telegram?.close();
		await messaging?.stop();
		if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("ships the campaign's real pre-save page, fetched from the hub, in place of a placeholder link", () => {
		expect(JSON.stringify(shipped)).not.toMatch(/https?:\/\/[^"\s]*example/);
		expect(shipped.nodes.find((node) => node.name === PAGE_NODE)).toMatchObject({
			type: 'n8n-nodes-fanloop.fanloopCampaign',
			parameters: { operation: 'get' },
		});
		const email = shipped.nodes.find((node) => node.name === 'Email the pre-save link');
		expect(email?.parameters.text).toContain('{{ $json.pageUrl }}');
	});

	it(
		'runs once per community.joined: SMS asked of the pre-saver, the pre-save offered to the newcomer',
		withN8nLog(
			() => n8n,
			async () => {
				const phone = '+4915120000101';
				const saver = await preSaver(phone);
				const saverChat = telegram.createUser({ firstName: 'Mia' });
				await joinThroughTelegram(saverChat.id, await deepLinkPayload(saver.presaveId));
				const newcomerChat = telegram.createUser({ firstName: 'Ben' });
				await joinThroughTelegram(newcomerChat.id);

				const status = await call('GET', `/v1/community/status?fanId=${saver.fanId}`);
				// The deep link linked the chat to the pre-saver, not to a new fan.
				expect(status).toEqual({
					fanId: saver.fanId,
					telegram: { userId: String(saverChat.id), releaseUpdates: true },
				});
				const newcomerId = (
					await call('GET', `/v1/fans/by-identity?channel=telegram&value=${newcomerChat.id}`)
				).id as string;
				expect(newcomerId).not.toBe(saver.fanId);

				const events = await joinedEvents([saver.fanId, newcomerId]);
				// Each fan joined the chat and then opted in to release updates.
				expect(
					events
						.map((event) => `${event.fanId === saver.fanId ? 'saver' : 'newcomer'}:${event.what}`)
						.sort(),
				).toEqual([
					'newcomer:chat',
					'newcomer:release_updates',
					'saver:chat',
					'saver:release_updates',
				]);
				const executions = await expectEachEventOnce(events);
				expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);

				// The pre-saver: one SMS opt-in, layered on the join whose event n8n ran first, and its
				// "reply YES" text. The chat arrival itself is layered on the pre-save.
				const asked = await smsOptInsLayeredOn(saver.fanId);
				expect(asked).toHaveLength(1);
				const saverEvents = events.filter((event) => event.fanId === saver.fanId);
				expect(saverEvents.map((event) => event.actionId)).toContain(asked[0].parentActionId);
				const { actions } = await call<{
					actions: Array<{ id: string; parentActionId: string | null }>;
				}>('GET', `/v1/fans/${saver.fanId}/export`);
				const chatArrival = saverEvents.find((event) => event.what === 'chat');
				expect(actions.find((action) => action.id === chatArrival?.actionId)?.parentActionId).toBe(
					saver.presaveId,
				);
				await eventually('the opt-in text', () =>
					messaging.twilio.sent().some((message) => message.to === phone) ? true : undefined,
				);
				expect(messaging.twilio.sent().filter((message) => message.to === phone)).toHaveLength(1);

				// The newcomer has no pre-save: both of their events took the pre-save branch, and
				// with no email consent on record the hub sent nothing (suppressed), once.
				const newcomerRuns = executions.filter((execution) =>
					eventIdsOf([execution]).some((id) =>
						events.some((event) => event.id === id && event.fanId === newcomerId),
					),
				);
				const offers = newcomerRuns
					.flatMap(
						(execution) =>
							execution.data?.resultData.runData['Email the pre-save link']?.[0]?.data?.main[0] ??
							[],
					)
					.map((item) => item.json as { status: string });
				expect(offers.map((offer) => offer.status)).toEqual(['suppressed', 'suppressed']);
				// The offer would have carried the campaign's own page, as the hub serves it.
				const pages = newcomerRuns
					.flatMap(
						(execution) => execution.data?.resultData.runData[PAGE_NODE]?.[0]?.data?.main[0] ?? [],
					)
					.map((item) => (item.json as { pageUrl: string }).pageUrl);
				expect(pages).toEqual([`${hub.url}/c/${CAMPAIGN_SLUG}`, `${hub.url}/c/${CAMPAIGN_SLUG}`]);
				expect(await smsOptInsLayeredOn(newcomerId)).toEqual([]);
			},
		),
	);

	it(
		'delivers the joins a fan made while n8n was down once n8n is back, each once',
		withN8nLog(
			() => n8n,
			async () => {
				await n8n!.stop();
				const phone = '+4915120000102';
				const saver = await preSaver(phone);
				const chat = telegram.createUser({ firstName: 'Lea' });
				await joinThroughTelegram(chat.id, await deepLinkPayload(saver.presaveId));
				const events = await joinedEvents([saver.fanId]);
				expect(events.map((event) => event.what).sort()).toEqual(['chat', 'release_updates']);
				// Let the hub fail at least one delivery against the stopped n8n.
				await sleep(2_000);
				expect(await smsOptInsLayeredOn(saver.fanId)).toEqual([]);

				await n8n!.start();
				const executions = await expectEachEventOnce(events);
				expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
				await eventually('the SMS opt-in after n8n came back', async () =>
					(await smsOptInsLayeredOn(saver.fanId)).length ? true : undefined,
				);
				// Any redelivery has had time to arrive: still one execution per event and one ask.
				await sleep(3_000);
				await expectEachEventOnce(events);
				expect(await smsOptInsLayeredOn(saver.fanId)).toHaveLength(1);
				expect(messaging.twilio.sent().filter((message) => message.to === phone)).toHaveLength(1);
			},
		),
	);
});
