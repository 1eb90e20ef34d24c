import type { StandInRequest, StandInResponse } from '../core/http-stand-in';
import { jsonObjectBody } from '../messaging/support';
import { invalidFormBody } from './discord-errors';

export interface RouteCall {
	request: StandInRequest;
	params: Record<string, string>;
}

export interface Route {
	method: string;
	/** `METHOD /path/:param` as metered: params named `channelId`, `guildId` or `webhookId` split buckets. */
	template: string;
	/** Interaction callbacks and interaction webhooks carry their token in the URL and need no bot token. */
	botAuth: boolean;
	handle(call: RouteCall): StandInResponse;
}

interface CompiledRoute extends Route {
	pattern: RegExp;
	paramNames: string[];
}

export interface MatchedRoute {
	route: Route;
	params: Record<string, string>;
	/** What Discord splits this route's bucket by. */
	majorParameter: string;
}

export const ok = (body: unknown): StandInResponse => ({ status: 200, body });
export const NO_CONTENT: StandInResponse = { status: 204 };

/** A table of Discord routes under `/api/v10`, matched by method and path shape. */
export class RouteTable {
	private readonly routes: CompiledRoute[] = [];

	add(method: string, path: string, handle: Route['handle'], botAuth = true): this {
		const paramNames: string[] = [];
		const source = path.replace(/:(\w+)/g, (_match, name: string) => {
			paramNames.push(name);
			return '([^/]+)';
		});
		this.routes.push({
			method,
			template: `${method} ${path}`,
			botAuth,
			handle,
			pattern: new RegExp(`^${source}/?$`),
			paramNames,
		});
		return this;
	}

	/** The route for a path, or whether the path exists under another method (405 rather than 404). */
	match(method: string, path: string): MatchedRoute | 'wrong_method' | undefined {
		let pathKnown = false;
		for (const route of this.routes) {
			const found = route.pattern.exec(path);
			if (!found) continue;
			pathKnown = true;
			if (route.method !== method) continue;
			const params = Object.fromEntries(
				route.paramNames.map((name, index) => [name, decodeURIComponent(found[index + 1])]),
			);
			return { route, params, majorParameter: majorParameterOf(params) };
		}
		return pathKnown ? 'wrong_method' : undefined;
	}
}

function majorParameterOf(params: Record<string, string>): string {
	if (params.channelId) return params.channelId;
	if (params.guildId) return params.guildId;
	if (params.webhookId) return `${params.webhookId}/${params.token ?? ''}`;
	if (params.interactionId) return params.interactionId;
	return 'global';
}

/** The JSON body of a write; a body that is present but not a JSON object is a form error. */
export function bodyOf(request: StandInRequest): Record<string, unknown> {
	if (request.rawBody.trim() === '') return {};
	const body = jsonObjectBody(request);
	if (!body)
		throw invalidFormBody('_', 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
	return body;
}

/** A JSON array body (PUT of a whole command list). */
export function arrayBodyOf(request: StandInRequest): unknown[] {
	try {
		const parsed: unknown = JSON.parse(request.rawBody);
		if (Array.isArray(parsed)) return parsed;
	} catch {
		// Falls through to the form error below.
	}
	throw invalidFormBody('_', 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
}

/** An integer field or query parameter within Discord's bounds; absent means `fallback`. */
export function integerIn(
	value: unknown,
	fallback: number,
	min: number,
	max: number,
	field: string,
): number {
	if (value === undefined || value === null) return fallback;
	const number = Number(value);
	if (!Number.isInteger(number) || number < min || number > max) {
		throw invalidFormBody(
			field,
			'NUMBER_TYPE_MAX',
			`Must be an integer between ${min} and ${max}.`,
		);
	}
	return number;
}
