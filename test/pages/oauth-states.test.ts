import type { Ledger } from '../../hub/src/core/ledger';
import {
	LayerSessions,
	LAYER_SESSION_LIFETIME_MS,
} from '../../hub/src/core/presave/layer-sessions';
import {
	OAUTH_STATE_LIFETIME_MS,
	OAuthStates,
	StateRefused,
} from '../../hub/src/core/presave/oauth-states';
import { newSealingKey, openLedger } from '../support/ledger';
import { createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/stores';

async function refusal(promise: Promise<unknown>): Promise<string> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!(error instanceof StateRefused))
		throw new Error(`expected StateRefused, got ${String(error)}`);
	return error.reason;
}

describe.each(STORE_KINDS)('OAuth states and layers sessions on %s', (kind) => {
	const sealingKey = newSealingKey();
	let database: TestDatabase;
	let ledger: Ledger;
	let states: OAuthStates;
	let nowMs = Date.parse('2026-11-20T12:00:00Z');
	const clock = () => nowMs;
	let campaignId: string;

	beforeAll(async () => {
		database = await createTestDatabase(kind);
		ledger = await openLedger(database, sealingKey, clock);
		states = new OAuthStates(ledger.store, ledger.sealer, sealingKey, clock);
		const { campaign } = await ledger.campaigns.upsert({
			slug: 'states',
			artist: 'Nia Vale',
			title: 'Glass Harbour',
			releaseAtUtc: '2026-12-04T00:00:00Z',
		});
		campaignId = campaign.id;
	});

	afterAll(async () => {
		await ledger?.close();
		await database?.drop();
	});

	it('keeps the PKCE verifier sealed until the one exchange that consumes the state', async () => {
		const started = await states.start({
			platform: 'spotify',
			campaignId,
			follow: true,
			locale: 'de',
			pkce: true,
		});
		expect(started.codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const stored = JSON.stringify(await ledger.store.all('SELECT * FROM oauth_states'));
		expect(stored).not.toContain(started.codeVerifier);

		await expect(states.consume(started.state, 'spotify')).resolves.toEqual({
			platform: 'spotify',
			campaignId,
			follow: true,
			locale: 'de',
			codeVerifier: started.codeVerifier,
			reconsent: false,
		});
		expect(await refusal(states.consume(started.state, 'spotify'))).toBe('used');
	});

	it('lets exactly one of several simultaneous callbacks through', async () => {
		const { state } = await states.start({
			platform: 'deezer',
			campaignId,
			follow: false,
			locale: 'en',
			pkce: false,
		});
		const outcomes = await Promise.allSettled(
			[1, 2, 3, 4].map(() => states.consume(state, 'deezer')),
		);
		expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
	});

	it('refuses forged, truncated, other-platform and expired states', async () => {
		const { state } = await states.start({
			platform: 'spotify',
			campaignId,
			follow: false,
			locale: 'en',
			pkce: true,
		});
		const [id, signature] = state.split('.');
		const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
		for (const forged of [
			`${id}.${flipped}`,
			id,
			`${state}.extra`,
			'',
			`${'x'.repeat(22)}.${signature}`,
		]) {
			expect(await refusal(states.consume(forged, 'spotify'))).toBe('invalid');
		}
		expect(await refusal(states.consume(state, 'deezer'))).toBe('invalid');

		nowMs += OAUTH_STATE_LIFETIME_MS;
		expect(await refusal(states.consume(state, 'spotify'))).toBe('expired');
	});

	it('sweeps states a day after they died, so the table holds only recent sign-ins', async () => {
		await states.start({
			platform: 'spotify',
			campaignId,
			follow: false,
			locale: 'en',
			pkce: true,
		});
		nowMs += OAUTH_STATE_LIFETIME_MS + 24 * 3_600_000 + 1;
		await states.start({
			platform: 'spotify',
			campaignId,
			follow: false,
			locale: 'en',
			pkce: true,
		});
		const left = await ledger.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM oauth_states');
		expect(Number(left?.n)).toBe(1);
	});

	it('reads a layers session back until it expires, and nothing forged', async () => {
		const sessions = new LayerSessions(sealingKey, clock);
		const actionId = 'act_01JD0000000000000000000000';
		const session = sessions.issue(actionId);
		expect(sessions.read(session)).toBe(actionId);
		expect(new LayerSessions(newSealingKey(), clock).read(session)).toBeUndefined();
		expect(sessions.read(session.replace('act_01JD', 'act_01JE'))).toBeUndefined();
		nowMs += LAYER_SESSION_LIFETIME_MS;
		expect(sessions.read(session)).toBeUndefined();
	});

	it('will not start a state for a campaign that does not exist', async () => {
		await expect(
			states.start({
				platform: 'spotify',
				campaignId: 'cmp_missing',
				follow: false,
				locale: 'en',
				pkce: true,
			}),
		).rejects.toThrow();
		const stored = await ledger.store.get<{ n: number }>(
			"SELECT COUNT(*) AS n FROM oauth_states WHERE campaign_id = 'cmp_missing'",
		);
		expect(Number(stored?.n)).toBe(0);
	});
});
