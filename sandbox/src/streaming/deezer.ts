import type { SandboxClock } from '../core/clock';
import { HttpStandIn, type StandInRequest, type StandInResponse } from '../core/http-stand-in';
import { RateWindow } from '../core/rate-window';
import {
	SANDBOX_USER_ID_PATTERN,
	commaList,
	consentPage,
	presentParams,
	formBody,
	randomToken,
	redirectTo,
	textResponse,
} from './support';

export interface DeezerStandInOptions {
	appId: string;
	secret: string;
	/** Deezer checks the redirect against the application's registered domain. */
	redirectUri: string;
	clock: SandboxClock;
	/** Deezer's documented ceiling is about 50 requests per 5 seconds. */
	rateLimit?: { requests: number; windowMs: number };
	appName?: string;
}

export interface DeezerRelease {
	albumId: string;
	upc: string;
	trackIds: string[];
	/** Parallel to `trackIds`. */
	isrcs: string[];
	artistId: string;
	visibleFromMs?: number;
	title?: string;
	artistName?: string;
	releaseDate?: string;
}

export interface DeezerAuthorizeDirect {
	userId: string;
	perms: string[];
	state?: string;
}

type Collection = 'albums' | 'tracks' | 'artists';

const ID_PARAM: Record<Collection, string> = {
	albums: 'album_id',
	tracks: 'track_id',
	artists: 'artist_id',
};
const KNOWN_PERMS = new Set([
	'basic_access',
	'email',
	'offline_access',
	'manage_library',
	'manage_community',
	'delete_library',
	'listening_history',
]);
/** Without `offline_access` a token lives an hour. */
const SHORT_TOKEN_SECONDS = 3600;
const CODE_LIFETIME_MS = 10 * 60 * 1000;

/** Deezer reports errors in the body of an HTTP 200. */
function deezerError(type: string, message: string, code: number): StandInResponse {
	return { status: 200, body: { error: { type, message, code } } };
}

const invalidToken = (): StandInResponse =>
	deezerError('OAuthException', 'Invalid OAuth access token.', 300);
const quotaExceeded = (): StandInResponse => deezerError('Exception', 'Quota limit exceeded', 4);
const noData = (): StandInResponse => deezerError('DataException', 'no data', 800);

interface Grant {
	userId: string;
	perms: string[];
	expiresAtMs: number | undefined;
	revoked: boolean;
}

/**
 * Deezer's OAuth (`connect.deezer.com`) and API (`api.deezer.com`) as two loopback servers over
 * one state. Registration of new Deezer apps is closed, so this serves an existing app's id.
 */
export class DeezerStandIn {
	readonly connect: HttpStandIn;
	readonly api: HttpStandIn;
	private readonly clock: SandboxClock;
	private readonly rateWindow: RateWindow;
	private readonly codes = new Map<
		string,
		{ userId: string; perms: string[]; expiresAtMs: number }
	>();
	private readonly tokens = new Map<string, Grant>();
	private readonly libraries = new Map<string, Record<Collection, Set<string>>>();
	private readonly releases: Required<DeezerRelease>[] = [];
	private userCounter = 0;

	constructor(private readonly options: DeezerStandInOptions) {
		this.clock = options.clock;
		const rateLimit = options.rateLimit ?? { requests: 50, windowMs: 5000 };
		this.rateWindow = new RateWindow(rateLimit.requests, rateLimit.windowMs);
		this.connect = new HttpStandIn(
			'deezer-connect',
			(request) => this.handleConnect(request),
			this.clock,
		);
		this.api = new HttpStandIn('deezer-api', (request) => this.handleApi(request), this.clock);
	}

	async start(
		ports: { connect?: number; api?: number } = {},
	): Promise<{ connectUrl: string; apiUrl: string }> {
		await this.connect.start(ports.connect ?? 0);
		await this.api.start(ports.api ?? 0);
		return { connectUrl: this.connect.url, apiUrl: this.api.url };
	}

	async stop(): Promise<void> {
		await Promise.all([this.connect.stop(), this.api.stop()]);
	}

	get connectUrl(): string {
		return this.connect.url;
	}

	get apiUrl(): string {
		return this.api.url;
	}

	// ---- test side ----

	addRelease(release: DeezerRelease): void {
		this.releases.push({
			visibleFromMs: 0,
			title: 'Sandbox Release',
			artistName: 'Sandbox Artist',
			releaseDate: new Date(release.visibleFromMs ?? this.clock.now()).toISOString().slice(0, 10),
			...release,
		});
	}

	authorizeDirect(request: DeezerAuthorizeDirect): string {
		return this.issueCode(request.userId, request.perms);
	}

	library(userId: string): Record<Collection, string[]> {
		const library = this.libraries.get(userId);
		return {
			albums: [...(library?.albums ?? [])],
			tracks: [...(library?.tracks ?? [])],
			artists: [...(library?.artists ?? [])],
		};
	}

	/** The fan removes the app from their Deezer settings. */
	revoke(userId: string): void {
		for (const grant of this.tokens.values()) {
			if (grant.userId === userId) grant.revoked = true;
		}
	}

	// ---- connect.deezer.com ----

	private handleConnect(request: StandInRequest): StandInResponse {
		if (request.path === '/oauth/auth.php' && request.method === 'GET')
			return this.authPage(request.query);
		if (request.path === '/oauth/auth.php' && request.method === 'POST')
			return this.authDecision(formBody(request));
		if (
			request.path === '/oauth/access_token.php' &&
			(request.method === 'GET' || request.method === 'POST')
		) {
			const params = new URLSearchParams(request.query);
			for (const [name, value] of formBody(request)) params.set(name, value);
			return this.accessToken(params);
		}
		return textResponse(404, 'Not found');
	}

	private redirectAllowed(redirectUri: string): boolean {
		try {
			return new URL(redirectUri).host === new URL(this.options.redirectUri).host;
		} catch {
			return false;
		}
	}

	private checkAuthParams(
		params: URLSearchParams,
	): StandInResponse | { redirectUri: string; perms: string[] } {
		if (params.get('app_id') !== this.options.appId) return textResponse(400, 'Wrong app_id');
		const redirectUri = params.get('redirect_uri') ?? '';
		if (!this.redirectAllowed(redirectUri))
			return textResponse(400, 'You must specify a valid redirect_uri');
		const perms = commaList(params.get('perms'));
		if (perms.some((perm) => !KNOWN_PERMS.has(perm))) return textResponse(400, 'Wrong perms');
		return { redirectUri, perms: perms.length > 0 ? perms : ['basic_access'] };
	}

	private authPage(params: URLSearchParams): StandInResponse {
		const checked = this.checkAuthParams(params);
		if ('status' in checked) return checked;
		const hiddenFields = presentParams(params, ['app_id', 'redirect_uri', 'perms', 'state']);
		this.userCounter += 1;
		return consentPage({
			provider: 'Deezer',
			appName: this.options.appName ?? 'Fanloop',
			action: '/oauth/auth.php',
			hiddenFields,
			permissions: checked.perms,
			suggestedUserId: `sandbox-deezer-fan-${this.userCounter}`,
		});
	}

	private authDecision(form: URLSearchParams): StandInResponse {
		const checked = this.checkAuthParams(form);
		if ('status' in checked) return checked;
		const state = form.get('state') ?? undefined;
		if (form.get('decision') !== 'agree')
			return redirectTo(checked.redirectUri, { error_reason: 'user_denied', state });
		const userId = form.get('user_id') ?? '';
		if (!SANDBOX_USER_ID_PATTERN.test(userId)) return textResponse(400, 'Invalid sandbox user id');
		return redirectTo(checked.redirectUri, { code: this.issueCode(userId, checked.perms), state });
	}

	private issueCode(userId: string, perms: string[]): string {
		const code = randomToken('fr', 24);
		this.codes.set(code, { userId, perms, expiresAtMs: this.clock.now() + CODE_LIFETIME_MS });
		return code;
	}

	/** Plain `access_token=…&expires=…` unless `output=json`, as the real endpoint answers. */
	private accessToken(params: URLSearchParams): StandInResponse {
		if (
			params.get('app_id') !== this.options.appId ||
			params.get('secret') !== this.options.secret
		) {
			return textResponse(200, 'wrong app_id or secret');
		}
		const code = params.get('code') ?? '';
		const pending = this.codes.get(code);
		if (!pending || pending.expiresAtMs <= this.clock.now()) return textResponse(200, 'wrong code');
		this.codes.delete(code);
		const offline = pending.perms.includes('offline_access');
		const accessToken = randomToken('fr', 36);
		this.tokens.set(accessToken, {
			userId: pending.userId,
			perms: pending.perms,
			expiresAtMs: offline ? undefined : this.clock.now() + SHORT_TOKEN_SECONDS * 1000,
			revoked: false,
		});
		const expires = offline ? 0 : SHORT_TOKEN_SECONDS;
		if (params.get('output') === 'json')
			return { status: 200, body: { access_token: accessToken, expires } };
		return textResponse(200, `access_token=${accessToken}&expires=${expires}`);
	}

	// ---- api.deezer.com ----

	private handleApi(request: StandInRequest): StandInResponse {
		if (this.rateWindow.take(this.clock.now()) > 0) return quotaExceeded();
		// Deezer reads parameters from the query or a form body, and lets GET-only clients ask for
		// another method with `request_method`.
		const params = new URLSearchParams(request.query);
		for (const [name, value] of formBody(request)) params.set(name, value);
		const method = (params.get('request_method') ?? request.method).toUpperCase();

		const catalog = /^\/(album|track)\/(upc|isrc):([A-Za-z0-9]+)$/.exec(request.path);
		if (catalog && method === 'GET')
			return this.catalogLookup(catalog[1] as 'album' | 'track', catalog[3]);
		const byId = /^\/(album|track)\/(\d+)$/.exec(request.path);
		if (byId && method === 'GET') return this.catalogById(byId[1] as 'album' | 'track', byId[2]);

		if (!request.path.startsWith('/user/me')) return deezerError('DataException', 'no data', 800);
		const token = params.get('access_token');
		if (token === null) {
			return deezerError(
				'OAuthException',
				'An active access token must be used to query information about the current user.',
				200,
			);
		}
		const grant = this.tokens.get(token);
		if (
			!grant ||
			grant.revoked ||
			(grant.expiresAtMs !== undefined && grant.expiresAtMs <= this.clock.now())
		) {
			return invalidToken();
		}
		if (request.path === '/user/me' && method === 'GET') {
			return {
				status: 200,
				body: {
					id: grant.userId,
					name: `Sandbox fan ${grant.userId}`,
					country: 'FR',
					type: 'user',
				},
			};
		}
		const collection = /^\/user\/me\/(albums|tracks|artists)$/.exec(request.path)?.[1] as
			Collection | undefined;
		if (collection === undefined) return noData();
		if (method === 'GET') return this.listCollection(grant.userId, collection);
		if (method !== 'POST' && method !== 'DELETE')
			return deezerError('Exception', 'Method not allowed', 0);
		const writePerm = method === 'DELETE' ? 'delete_library' : 'manage_library';
		if (!grant.perms.includes(writePerm)) {
			return deezerError(
				'OAuthException',
				`You must have the ${writePerm} permission to perform this action`,
				200,
			);
		}
		const idParam = ID_PARAM[collection];
		const id = params.get(idParam);
		if (!id) return deezerError('MissingParameterException', `Missing parameters: ${idParam}`, 501);
		if (!this.exists(collection, id)) return noData();
		const library = this.libraryOf(grant.userId);
		if (method === 'POST') library[collection].add(id);
		else library[collection].delete(id);
		return { status: 200, body: true };
	}

	private libraryOf(userId: string): Record<Collection, Set<string>> {
		let library = this.libraries.get(userId);
		if (!library) {
			library = { albums: new Set(), tracks: new Set(), artists: new Set() };
			this.libraries.set(userId, library);
		}
		return library;
	}

	private visibleReleases(): Required<DeezerRelease>[] {
		const nowMs = this.clock.now();
		return this.releases.filter((release) => release.visibleFromMs <= nowMs);
	}

	private exists(collection: Collection, id: string): boolean {
		return this.visibleReleases().some((release) =>
			collection === 'albums'
				? release.albumId === id
				: collection === 'tracks'
					? release.trackIds.includes(id)
					: release.artistId === id,
		);
	}

	private artistObject(release: Required<DeezerRelease>): Record<string, unknown> {
		return {
			id: Number(release.artistId),
			name: release.artistName,
			type: 'artist',
			link: `https://www.deezer.com/artist/${release.artistId}`,
		};
	}

	private albumObject(release: Required<DeezerRelease>): Record<string, unknown> {
		return {
			id: Number(release.albumId),
			title: release.title,
			upc: release.upc,
			link: `https://www.deezer.com/album/${release.albumId}`,
			nb_tracks: release.trackIds.length,
			release_date: release.releaseDate,
			record_type: release.trackIds.length > 1 ? 'album' : 'single',
			artist: this.artistObject(release),
			type: 'album',
		};
	}

	private trackObject(release: Required<DeezerRelease>, index: number): Record<string, unknown> {
		const id = release.trackIds[index];
		return {
			id: Number(id),
			title: release.title,
			isrc: release.isrcs[index],
			link: `https://www.deezer.com/track/${id}`,
			track_position: index + 1,
			artist: this.artistObject(release),
			album: { id: Number(release.albumId), title: release.title, type: 'album' },
			type: 'track',
		};
	}

	private catalogLookup(kind: 'album' | 'track', code: string): StandInResponse {
		for (const release of this.visibleReleases()) {
			if (kind === 'album' && release.upc === code)
				return { status: 200, body: this.albumObject(release) };
			const index = release.isrcs.findIndex((isrc) => isrc.toUpperCase() === code.toUpperCase());
			if (kind === 'track' && index >= 0)
				return { status: 200, body: this.trackObject(release, index) };
		}
		return noData();
	}

	private catalogById(kind: 'album' | 'track', id: string): StandInResponse {
		for (const release of this.visibleReleases()) {
			if (kind === 'album' && release.albumId === id)
				return { status: 200, body: this.albumObject(release) };
			const index = release.trackIds.indexOf(id);
			if (kind === 'track' && index >= 0)
				return { status: 200, body: this.trackObject(release, index) };
		}
		return noData();
	}

	private listCollection(userId: string, collection: Collection): StandInResponse {
		const ids = [...(this.libraries.get(userId)?.[collection] ?? [])];
		const data = ids.flatMap((id) => {
			const release = this.releases.find((candidate) =>
				collection === 'albums'
					? candidate.albumId === id
					: collection === 'tracks'
						? candidate.trackIds.includes(id)
						: candidate.artistId === id,
			);
			if (!release) return [];
			if (collection === 'albums') return [this.albumObject(release)];
			if (collection === 'artists') return [this.artistObject(release)];
			return [this.trackObject(release, release.trackIds.indexOf(id))];
		});
		return { status: 200, body: { data, total: data.length } };
	}
}
