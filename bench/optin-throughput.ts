/**
 * Opt-in throughput, two figures:
 *
 * 1. Opt-in requests/s through the Fanloop Opt-In node in a real n8n: the shipped
 *    "Email double opt-in" template (n8n Webhook → Opt-In Request → Respond to Webhook),
 *    N sign-up POSTs with bounded concurrency, counted as finished executions and as pending
 *    consents in the hub; against the same requests POSTed straight to the hub's API, so the
 *    ratio is what n8n and the node add over the hub itself.
 * 2. The SMS send rate the hub achieves ÷ the rate one Twilio sender is allowed (the stand-in's
 *    `sendRatePerSecond`, a US long code's 1 segment/s): consents granted to M fans directly in
 *    the hub, one send each through the hub API, and the stand-in's `deliveredAtMs` spacing read
 *    on its sandbox clock, so the paced minute is modelled rather than waited for.
 *
 * Loopback only, bounded counts.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startHub } from '../hub/src';
import { SandboxClock } from '../sandbox/src/core/clock';
import { SANDBOX_SMTP, SANDBOX_TWILIO } from '../sandbox/src/messaging';
import { SmtpStandIn } from '../sandbox/src/messaging/smtp';
import { TwilioStandIn } from '../sandbox/src/messaging/twilio';
import { N8N_VERSION, N8n, repoRoot, sleep } from '../test/n8n/harness';
import { HubClient } from '../test/n8n/hub-client';

const REQUESTS = Math.min(Number(process.env.BENCH_OPTINS ?? 300), 2_000);
const CONCURRENCY = 16;
const SMS_FANS = Math.min(Number(process.env.BENCH_SMS_FANS ?? 60), 500);
const SEND_RATE_PER_SECOND = 1;

const template = JSON.parse(
	fs.readFileSync(path.join(repoRoot, 'workflows/email-double-optin.json'), 'utf8'),
) as { id: string; nodes: Array<{ type: string; parameters?: { path?: string } }> };
const bare = JSON.parse(
	fs.readFileSync(path.join(repoRoot, 'test/n8n/fixtures/bare-webhook.workflow.json'), 'utf8'),
) as { id: string };
const signupPath =
	template.nodes.find((n) => n.type === 'n8n-nodes-base.webhook')?.parameters?.path ?? '';

/** Runs `task(i)` for i < count with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < count) await task(next++);
		}),
	);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5 * 60_000) {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(250);
	}
}

async function main(): Promise<void> {
	const clock = new SandboxClock();
	clock.set(Date.parse('2026-12-03T10:00:00Z')); // 11:00 in Berlin
	const twilio = new TwilioStandIn({
		accountSid: SANDBOX_TWILIO.accountSid,
		authToken: SANDBOX_TWILIO.authToken,
		sendRatePerSecond: SEND_RATE_PER_SECOND,
		clock,
	});
	await twilio.start();
	const smtp = new SmtpStandIn({
		auth: { user: SANDBOX_SMTP.user, password: SANDBOX_SMTP.password },
		clock,
	});
	await smtp.start();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanloop-bench-optin-'));
	const hub = await startHub({
		port: 0,
		host: '127.0.0.1',
		dataDir,
		sealingKey: randomBytes(32),
		clock: () => clock.now(),
		messaging: {
			twilio: { ...SANDBOX_TWILIO, apiUrl: twilio.url },
			smtp: { url: smtp.url, from: SANDBOX_SMTP.from },
		},
		delivery: { pollMs: 50, signingClock: Date.now },
		jobs: { pollMs: 50 },
	});
	let n8n: N8n | undefined;
	try {
		const api = new HubClient(hub.url, await hub.createApiKey('bench'));
		const countConsents = async (like: string): Promise<number> =>
			Number(
				(
					await hub.ledger.store.get<{ n: number }>(
						`SELECT COUNT(*) AS n FROM consents c JOIN identities i ON i.fan_id = c.fan_id AND i.channel = 'email'
						 WHERE c.channel = 'email' AND c.status = 'pending' AND i.external_id LIKE $1`,
						[like],
					)
				)?.n ?? 0,
			);

		// 1. Sign-ups through the template's Webhook → Opt-In Request → Respond to Webhook.
		n8n = await N8n.start({
			name: 'bench-optin',
			credentials: [
				{
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey('bench n8n') },
				},
			],
			workflows: [template, bare],
			env: { N8N_LOG_LEVEL: 'warn' },
		});
		const url = n8n.webhookUrl(signupPath);
		let started = performance.now();
		await pool(REQUESTS, CONCURRENCY, async (i) => {
			const res = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
				body: JSON.stringify({ email: `n8n-${i}@bench.example`, timezone: 'Europe/Berlin' }),
			});
			await res.arrayBuffer();
			if (res.status !== 202) throw new Error(`sign-up webhook answered ${res.status}`);
		});
		const answeredSeconds = (performance.now() - started) / 1000;
		await waitFor('finished executions', async () => {
			const done = (await n8n!.executions(template.id)).filter((e) => e.stoppedAt);
			return done.length >= REQUESTS;
		});
		const n8nSeconds = (performance.now() - started) / 1000;
		const executions = await n8n.executions(template.id);
		const succeeded = executions.filter((e) => e.status === 'success').length;
		const n8nConsents = await countConsents('n8n-%');

		// n8n's own floor: the same bodies to a bare Webhook → No Op workflow on the same instance.
		started = performance.now();
		const bareUrl = n8n.webhookUrl('fanloop-bare');
		await pool(REQUESTS, CONCURRENCY, async (i) => {
			const res = await fetch(bareUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ email: `bare-${i}@bench.example`, timezone: 'Europe/Berlin' }),
			});
			await res.arrayBuffer();
			if (res.status !== 200) throw new Error(`bare webhook answered ${res.status}`);
		});
		await waitFor('bare executions', async () => {
			const done = (await n8n!.executions(bare.id)).filter((e) => e.stoppedAt);
			return done.length >= REQUESTS;
		});
		const bareSeconds = (performance.now() - started) / 1000;

		// The same requests straight to the hub's API.
		started = performance.now();
		await pool(REQUESTS, CONCURRENCY, async (i) => {
			await api.request('POST', '/v1/optins', {
				channel: 'email',
				address: `direct-${i}@bench.example`,
				wording: 'Email me about new releases. Unsubscribe any time.',
				source: 'signup-form',
				ip: '203.0.113.7',
				timezone: 'Europe/Berlin',
			});
		});
		const directSeconds = (performance.now() - started) / 1000;
		const directConsents = await countConsents('direct-%');
		await n8n.stop();
		n8n = undefined;

		// 2. SMS: consents granted in the hub (a START texted in), then one send per fan.
		const phones = Array.from(
			{ length: SMS_FANS },
			(_, i) => `+491512${String(1_000_000 + i).slice(1)}`,
		);
		const fanIds: string[] = [];
		for (const phone of phones) {
			const { fan } = await api.request<{ fan: { id: string } }>('POST', '/v1/fans', {
				identities: [{ channel: 'phone', value: phone }],
				timezone: 'Europe/Berlin',
			});
			await hub.services.optIns.inboundSms(phone, 'START');
			fanIds.push(fan.id);
		}
		const text = 'Night Drive is out now. Reply STOP to opt out.';
		started = performance.now();
		const statuses = new Map<string, number>();
		await pool(fanIds.length, 8, async (i) => {
			const { status } = await api.request<{ status: string }>('POST', '/v1/messages', {
				fanId: fanIds[i],
				channel: 'sms',
				text,
				idempotencyKey: `bench-sms-${i}`,
			});
			statuses.set(status, (statuses.get(status) ?? 0) + 1);
		});
		const sendSeconds = (performance.now() - started) / 1000;
		const sent = twilio
			.sent()
			.filter((m) => m.body === text)
			.sort((a, b) => a.deliveredAtMs - b.deliveredAtMs);
		const spanMs =
			sent.length > 1 ? sent[sent.length - 1].deliveredAtMs - sent[0].deliveredAtMs : 0;
		const segments = sent.reduce((sum, m) => sum + m.numSegments, 0) - (sent[0]?.numSegments ?? 0);
		const achievedRate = spanMs > 0 ? (segments * 1000) / spanMs : Number.NaN;
		const gaps = sent.slice(1).map((m, i) => m.deliveredAtMs - sent[i].deliveredAtMs);

		const n8nRate = REQUESTS / n8nSeconds;
		const directRate = REQUESTS / directSeconds;
		const bareRate = REQUESTS / bareSeconds;
		process.stdout.write(
			[
				`optin-throughput (n8n ${N8N_VERSION}, SQLite hub, loopback, ${CONCURRENCY} in flight)`,
				`  sign-up → Opt-In Request (email template): ${n8nRate.toFixed(1)} opt-ins/s ` +
					`(${REQUESTS} in ${n8nSeconds.toFixed(2)} s to the last finished execution; all answered in ${answeredSeconds.toFixed(2)} s)`,
				`    executions: ${executions.length} finished, ${succeeded} success; pending email consents in the hub: ${n8nConsents}/${REQUESTS}`,
				`  hub API POST /v1/optins directly:        ${directRate.toFixed(1)} opt-ins/s (${directSeconds.toFixed(2)} s; consents ${directConsents}/${REQUESTS})`,
				`  POST → bare Webhook workflow (n8n floor):  ${bareRate.toFixed(1)} executions/s (${bareSeconds.toFixed(2)} s)`,
				`  ratio template/direct hub: ${(n8nRate / directRate).toFixed(2)}; template/bare webhook: ${(n8nRate / bareRate).toFixed(2)}`,
				`  SMS: ${fanIds.length} sends through the hub API in ${sendSeconds.toFixed(2)} s wall (${(fanIds.length / sendSeconds).toFixed(1)} accepted/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
				`    delivered on the sandbox clock over ${(spanMs / 1000).toFixed(1)} s: ${achievedRate.toFixed(3)} segments/s, ` +
					`gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms`,
				`    achieved ÷ allowed per sender (${SEND_RATE_PER_SECOND}/s): ${(achievedRate / SEND_RATE_PER_SECOND).toFixed(3)}`,
				'',
			].join('\n'),
		);
		if (n8nConsents !== REQUESTS || succeeded !== REQUESTS || sent.length !== fanIds.length) {
			throw new Error('counts do not add up: see the figures above');
		}
	} finally {
		await n8n?.stop();
		await hub.close();
		await twilio.stop();
		await smtp.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exitCode = 1;
});
