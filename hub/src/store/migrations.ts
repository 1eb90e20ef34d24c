import type { SqlDialect, SqlExecutor, SqlStore } from './sql-store';

interface Migration {
	version: number;
	name: string;
	/** A function when what the migration needs differs by what the database can do. */
	statements: string[] | ((dialect: SqlDialect) => string[]);
}

/**
 * The one migration set both databases run. Only portable SQL: TEXT ids made by the
 * hub, BIGINT epoch milliseconds, JSON kept as TEXT. Never edit a released entry;
 * append a new version.
 */
const MIGRATIONS: Migration[] = [
	{
		version: 1,
		name: 'fan ledger',
		statements: [
			`CREATE TABLE hub_meta (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL
			)`,
			`CREATE TABLE fans (
				id TEXT PRIMARY KEY,
				created_at BIGINT NOT NULL,
				locale TEXT,
				country TEXT,
				timezone TEXT,
				merged_into TEXT REFERENCES fans(id),
				erased_at BIGINT
			)`,
			`CREATE TABLE identities (
				channel TEXT NOT NULL,
				external_id TEXT NOT NULL,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				created_at BIGINT NOT NULL,
				PRIMARY KEY (channel, external_id)
			)`,
			`CREATE INDEX identities_by_fan ON identities (fan_id)`,
			`CREATE TABLE suppressions (
				channel TEXT NOT NULL,
				identity_hash TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				PRIMARY KEY (channel, identity_hash)
			)`,
			`CREATE TABLE tokens (
				id TEXT NOT NULL UNIQUE,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				platform TEXT NOT NULL,
				sealed TEXT NOT NULL,
				scopes TEXT NOT NULL,
				authorized_at BIGINT NOT NULL,
				refresh_expires_at BIGINT,
				status TEXT NOT NULL,
				updated_at BIGINT NOT NULL,
				PRIMARY KEY (fan_id, platform)
			)`,
			`CREATE TABLE campaigns (
				id TEXT PRIMARY KEY,
				slug TEXT NOT NULL UNIQUE,
				artist TEXT NOT NULL,
				title TEXT NOT NULL,
				release_at_utc BIGINT NOT NULL,
				timezone TEXT,
				local_midnight INTEGER NOT NULL,
				upc TEXT,
				isrcs TEXT NOT NULL,
				platforms TEXT NOT NULL,
				layers TEXT NOT NULL,
				consent_wordings TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			)`,
			`CREATE TABLE actions (
				id TEXT PRIMARY KEY,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				campaign_id TEXT REFERENCES campaigns(id),
				kind TEXT NOT NULL,
				platform TEXT,
				status TEXT NOT NULL,
				verification TEXT NOT NULL,
				source TEXT,
				parent_action_id TEXT REFERENCES actions(id),
				idempotency_key TEXT UNIQUE,
				error TEXT,
				data TEXT,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			)`,
			`CREATE INDEX actions_by_fan ON actions (fan_id, kind)`,
			`CREATE INDEX actions_by_campaign ON actions (campaign_id, kind)`,
			`CREATE TABLE consents (
				id TEXT PRIMARY KEY,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				channel TEXT NOT NULL,
				purpose TEXT NOT NULL,
				status TEXT NOT NULL,
				wording TEXT,
				wording_version TEXT,
				wording_hash TEXT NOT NULL,
				source TEXT,
				ip TEXT,
				user_agent TEXT,
				requested_at BIGINT NOT NULL,
				confirmed_at BIGINT,
				revoked_at BIGINT,
				revoke_method TEXT,
				action_id TEXT REFERENCES actions(id)
			)`,
			`CREATE INDEX consents_by_fan ON consents (fan_id, channel)`,
			`CREATE TABLE jobs (
				id TEXT PRIMARY KEY,
				kind TEXT NOT NULL,
				status TEXT NOT NULL,
				payload TEXT NOT NULL,
				progress TEXT,
				run_at BIGINT NOT NULL,
				locked_by TEXT,
				locked_until BIGINT,
				attempts INTEGER NOT NULL,
				last_error TEXT,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			)`,
			`CREATE INDEX jobs_due ON jobs (status, run_at)`,
			`CREATE TABLE messages (
				id TEXT PRIMARY KEY,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				campaign_id TEXT REFERENCES campaigns(id),
				channel TEXT NOT NULL,
				subject TEXT,
				body TEXT NOT NULL,
				status TEXT NOT NULL,
				send_at BIGINT NOT NULL,
				provider_message_id TEXT,
				idempotency_key TEXT UNIQUE,
				error TEXT,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			)`,
			`CREATE INDEX messages_by_fan ON messages (fan_id, channel, send_at)`,
			`CREATE TABLE webhook_subscriptions (
				id TEXT PRIMARY KEY,
				url TEXT NOT NULL,
				sealed_secret TEXT NOT NULL,
				events TEXT NOT NULL,
				campaign_id TEXT,
				created_at BIGINT NOT NULL
			)`,
			`CREATE TABLE outbox (
				id TEXT PRIMARY KEY,
				type TEXT NOT NULL,
				campaign_id TEXT,
				payload TEXT NOT NULL,
				created_at BIGINT NOT NULL
			)`,
			`CREATE TABLE deliveries (
				event_id TEXT NOT NULL REFERENCES outbox(id),
				subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
				status TEXT NOT NULL,
				attempts INTEGER NOT NULL,
				next_attempt_at BIGINT NOT NULL,
				locked_until BIGINT,
				last_error TEXT,
				delivered_at BIGINT,
				PRIMARY KEY (event_id, subscription_id)
			)`,
			`CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)`,
			`CREATE TABLE api_keys (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				key_hash TEXT NOT NULL UNIQUE,
				created_at BIGINT NOT NULL,
				revoked_at BIGINT
			)`,
		],
	},
	{
		version: 2,
		name: 'release-day indexes',
		// Release day walks a campaign's pre-saves per platform in id order and asks of each what
		// was layered on it; without these, every batch re-sorted the campaign and every question
		// scanned all actions, so conversion slowed as the campaign grew.
		statements: [
			`CREATE INDEX actions_by_parent ON actions (parent_action_id, kind)`,
			`CREATE INDEX actions_by_campaign_platform ON actions (campaign_id, kind, platform, id)`,
			// Its columns lead the index above.
			`DROP INDEX actions_by_campaign`,
		],
	},
	{
		version: 3,
		name: 'pre-save pages',
		statements: [
			`ALTER TABLE campaigns ADD COLUMN artwork_url TEXT`,
			`ALTER TABLE campaigns ADD COLUMN locale TEXT NOT NULL DEFAULT 'en'`,
			// One row per authorization a fan starts on a pre-save page; used_at is set once, so a state works once.
			`CREATE TABLE oauth_states (
				id TEXT PRIMARY KEY,
				platform TEXT NOT NULL,
				campaign_id TEXT NOT NULL REFERENCES campaigns(id),
				sealed_verifier TEXT,
				follow INTEGER NOT NULL,
				locale TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				expires_at BIGINT NOT NULL,
				used_at BIGINT
			)`,
		],
	},
	{
		version: 4,
		name: 'community',
		statements: [
			// Discord invites carry no payload: a single-use invite is remembered against the fan it was made for.
			`CREATE TABLE community_invites (
				platform TEXT NOT NULL,
				code TEXT NOT NULL,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				parent_action_id TEXT REFERENCES actions(id),
				created_at BIGINT NOT NULL,
				used_at BIGINT,
				PRIMARY KEY (platform, code)
			)`,
			`CREATE TABLE community_broadcasts (
				platform TEXT NOT NULL,
				message_key TEXT NOT NULL,
				job_id TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				PRIMARY KEY (platform, message_key)
			)`,
			// One row per (fan, message), claimed before the message is sent: no fan gets a message twice.
			`CREATE TABLE community_deliveries (
				platform TEXT NOT NULL,
				message_key TEXT NOT NULL,
				fan_id TEXT NOT NULL REFERENCES fans(id),
				status TEXT NOT NULL,
				message_id TEXT,
				error TEXT,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL,
				PRIMARY KEY (platform, message_key, fan_id)
			)`,
		],
	},
	{
		version: 5,
		name: 'artists',
		statements: [
			// The artist outlives a release: the sender fans see, the unit future saves are agreed for.
			`CREATE TABLE artists (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL UNIQUE,
				created_at BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			)`,
			// Each artist name campaigns already carry becomes an artist; its id reuses the time and
			// randomness of that artist's first campaign id, so it is unique and sorts by age.
			`INSERT INTO artists (id, name, created_at, updated_at)
			 SELECT 'art_' || substr(MIN(id), 5), artist, MIN(created_at), MIN(created_at) FROM campaigns GROUP BY artist`,
			`ALTER TABLE campaigns ADD COLUMN artist_id TEXT REFERENCES artists(id)`,
			`UPDATE campaigns SET artist_id = (SELECT a.id FROM artists a WHERE a.name = campaigns.artist)`,
			`CREATE INDEX campaigns_by_artist ON campaigns (artist_id)`,
			// Release day reads an artist's "save every release" consents by purpose and platform, batch by batch.
			`CREATE INDEX consents_by_purpose ON consents (purpose, channel, status, id)`,
		],
	},
	{
		version: 6,
		name: 'fan name',
		statements: [
			// What the marketer calls the fan in messages ("Hi Mia"); personal data, cleared on erasure.
			'ALTER TABLE fans ADD COLUMN name TEXT',
		],
	},
	{
		version: 7,
		name: 'reconnect links',
		statements: [
			// A consent started from a fan's reconnect link renews that fan's grant, and no one else's.
			`ALTER TABLE oauth_states ADD COLUMN reconnect_fan_id TEXT`,
		],
	},
	{
		version: 8,
		name: 'page counters',
		statements: [
			// Daily counts of what fans did on a campaign's pages before any fan exists: no cookie, no fan, no IP.
			`CREATE TABLE page_counters (
				day TEXT NOT NULL,
				campaign_id TEXT NOT NULL REFERENCES campaigns(id),
				source TEXT NOT NULL,
				platform TEXT NOT NULL,
				step TEXT NOT NULL,
				count BIGINT NOT NULL,
				PRIMARY KEY (campaign_id, day, source, platform, step)
			)`,
			// Insights start from each fan's first action in a campaign: this reads it off the index, fan by fan.
			`CREATE INDEX actions_by_campaign_fan ON actions (campaign_id, fan_id, id)`,
		],
	},
	{
		version: 9,
		name: 'kept insights',
		statements: [
			// Each fan's share of each insights figure, per campaign and per artist: what a fold takes back out of the totals.
			`CREATE TABLE insights_fan_shares (
				scope_id TEXT NOT NULL,
				fan_id TEXT NOT NULL,
				entry_source TEXT NOT NULL,
				measure TEXT NOT NULL,
				d1 TEXT NOT NULL,
				d2 TEXT NOT NULL,
				value BIGINT NOT NULL,
				PRIMARY KEY (scope_id, measure, fan_id, d1, d2)
			)`,
			`CREATE INDEX insights_fan_shares_by_fan ON insights_fan_shares (fan_id)`,
			// The shares summed per scope: what a report reads.
			`CREATE TABLE insights_totals (
				scope_id TEXT NOT NULL,
				measure TEXT NOT NULL,
				entry_source TEXT NOT NULL,
				d1 TEXT NOT NULL,
				d2 TEXT NOT NULL,
				fans BIGINT NOT NULL,
				total BIGINT NOT NULL,
				PRIMARY KEY (scope_id, measure, entry_source, d1, d2)
			)`,
			// Fans a ledger write touched since their shares were computed.
			`CREATE TABLE insights_stale_fans (fan_id TEXT PRIMARY KEY)`,
			// Every fan with actions is stale at first: the first report (or "insights rebuild") builds the figures from the ledger.
			`INSERT INTO insights_stale_fans (fan_id) SELECT DISTINCT fan_id FROM actions`,
		],
	},
	{
		version: 10,
		name: 'lookup and retention indexes',
		// Each of these was a full scan on a path that runs often or grows without bound.
		statements: [
			// Every pre-save click purges expired states.
			`CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at)`,
			// A trigger re-registering its URL moves and deletes its subscription's deliveries.
			`CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, status)`,
			// Retention drops events by age, oldest first.
			`CREATE INDEX outbox_by_age ON outbox (created_at, id)`,
			// A broadcast's progress counts its claims by status, without sorting them.
			`CREATE INDEX community_deliveries_by_status ON community_deliveries (platform, message_key, status)`,
			// A fan's open Discord invite, and the open invites the bot matches a join against.
			`CREATE INDEX community_invites_by_fan ON community_invites (fan_id, platform, created_at)`,
			`CREATE INDEX community_invites_open ON community_invites (platform, used_at, created_at)`,
		],
	},
	{
		version: 12,
		name: 'consent asked anew',
		statements: [
			// A consent the hub asked the platform to show anew (Google's prompt=consent) is not asked anew twice.
			`ALTER TABLE oauth_states ADD COLUMN reconsent INTEGER NOT NULL DEFAULT 0`,
		],
	},
	{
		version: 13,
		name: 'pre-save source',
		statements: [
			// The page link's src/utm_source, carried through the consent round trip to the pre-save it records.
			`ALTER TABLE oauth_states ADD COLUMN source TEXT`,
		],
	},
	{
		version: 14,
		name: 'shared rate budgets',
		statements: [
			// The next free slot of each platform app's budget, for hub processes sharing one database (core/pacing.ts).
			`CREATE TABLE rate_budgets (
				budget TEXT PRIMARY KEY,
				next_slot_ms DOUBLE PRECISION NOT NULL
			)`,
		],
	},
	{
		version: 15,
		name: 'leases',
		statements: [
			// Who runs what only one hub process may run (a bot's gateway connection, its poller), until when (core/leases.ts).
			`CREATE TABLE leases (
				name TEXT PRIMARY KEY,
				holder TEXT NOT NULL,
				expires_at BIGINT NOT NULL
			)`,
		],
	},
	{
		version: 16,
		name: 'shared message places',
		statements: [
			// A chat bot's places in its rolling second, for hub processes sharing one database (core/shared-rolling-pacer.ts).
			`CREATE TABLE rate_places (
				budget TEXT NOT NULL,
				place INTEGER NOT NULL,
				free_at_ms DOUBLE PRECISION NOT NULL,
				PRIMARY KEY (budget, place)
			)`,
		],
	},
	{
		version: 17,
		name: 'fewer pages per event',
		// Every recorded action writes an event, a delivery per trigger and its fan's insights mark,
		// and each B-tree it touches is at least one page more in the commit. Retention reads events
		// in id order (ids sort by creation, core/ids.ts), so their age index goes. On SQLite the
		// deliveries and the marks are rebuilt keyed by their primary key alone (WITHOUT ROWID), one
		// B-tree less each; not the events, whose ~600-byte rows split a key-only B-tree's pages
		// more often than that saves. A recorded action wrote 17.7 pages to the WAL, now 15.8.
		statements: (dialect) => [
			'DROP INDEX outbox_by_age',
			...(dialect.rowidTables
				? [
						'ALTER TABLE deliveries RENAME TO deliveries_before_17',
						`CREATE TABLE deliveries (
							event_id TEXT NOT NULL REFERENCES outbox(id),
							subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
							status TEXT NOT NULL,
							attempts INTEGER NOT NULL,
							next_attempt_at BIGINT NOT NULL,
							locked_until BIGINT,
							last_error TEXT,
							delivered_at BIGINT,
							PRIMARY KEY (event_id, subscription_id)
						) WITHOUT ROWID`,
						`INSERT INTO deliveries (event_id, subscription_id, status, attempts, next_attempt_at, locked_until,
							last_error, delivered_at)
						 SELECT event_id, subscription_id, status, attempts, next_attempt_at, locked_until, last_error,
							delivered_at FROM deliveries_before_17`,
						// Its indexes go with it, and are made anew on the new table.
						'DROP TABLE deliveries_before_17',
						`CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)`,
						`CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, status)`,
						'ALTER TABLE insights_stale_fans RENAME TO insights_stale_fans_before_17',
						`CREATE TABLE insights_stale_fans (fan_id TEXT PRIMARY KEY) WITHOUT ROWID`,
						`INSERT INTO insights_stale_fans (fan_id) SELECT fan_id FROM insights_stale_fans_before_17`,
						'DROP TABLE insights_stale_fans_before_17',
					]
				: []),
		],
	},
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

async function appliedVersions(tx: SqlExecutor): Promise<Set<number>> {
	await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`);
	const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
	return new Set(rows.map((row) => Number(row.version)));
}

/**
 * Applies what is missing under the store's exclusive lock: hub processes starting together
 * migrate once. `upToVersion` stops early, so a test can make the ledger an older hub left.
 */
export async function migrate(
	store: SqlStore,
	nowMs = Date.now(),
	upToVersion = LATEST_SCHEMA_VERSION,
): Promise<number[]> {
	const ran = await store.exclusive(async (tx) => {
		const applied = await appliedVersions(tx);
		const ran: number[] = [];
		for (const migration of MIGRATIONS) {
			if (applied.has(migration.version) || migration.version > upToVersion) continue;
			const statements =
				typeof migration.statements === 'function'
					? migration.statements(store.dialect)
					: migration.statements;
			for (const statement of statements) await tx.run(statement);
			await tx.run(
				'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
				[migration.version, migration.name, nowMs],
			);
			ran.push(migration.version);
		}
		return ran;
	});
	// New tables and indexes start without statistics; the planner guesses until it has some.
	if (ran.length > 0) await store.run(store.dialect.refreshStatisticsSql);
	return ran;
}
