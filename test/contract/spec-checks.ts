import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggedProviderCall } from '../../hub/src/providers/http-client';
import { CALLS_WITHOUT_SPEC, type SpecException } from './listed-calls';

/** Published specs are untyped JSON, walked by key. */
type Json = any;

const SPECS = join(__dirname, 'specs');
const load = (file: string): Json => JSON.parse(readFileSync(join(SPECS, file), 'utf8'));

/** What the contract test knows beyond the log: which scopes each (fingerprinted) token carries. */
export interface CheckContext {
	scopesByToken: Map<string, string[]>;
	exceptions: SpecException[];
}

/**
 * The fields of each answer the hub reads, per operation (`a.b[].c`): each must be in the
 * spec's response schema and in the stand-in's answer (`?…`: when the answer has its first step).
 */
const FIELDS_READ: Record<string, string[]> = {
	// Each search asks for one type: the other list is absent, as the spec allows.
	'spotify GET /search': ['?albums.items[].uri', '?tracks.items[].uri'],
	'spotify GET /me': ['id'],
	// One boolean per URI asked about.
	'spotify GET /me/library/contains': ['[]'],
	'discord POST /users/@me/channels': ['id'],
	'discord POST /channels/{channel_id}/messages': ['id'],
	'discord GET /guilds/{guild_id}/roles': [
		'[].id',
		'[].name',
		'[].position',
		'[].permissions',
		'[].mentionable',
	],
	'discord GET /users/@me': ['id'],
	'discord GET /guilds/{guild_id}/members/{user_id}': ['roles'],
	'discord POST /channels/{channel_id}/invites': ['code'],
	'twilio POST /2010-04-01/Accounts/{AccountSid}/Messages.json': ['sid'],
	'telegram getMe': ['username'],
	'telegram sendMessage': ['message_id'],
	'telegram createChatInviteLink': ['invite_link'],
	'youtube youtube.channels.list': ['items[].id'],
};

interface OpenApiProvider {
	provider: string;
	spec: Json;
	/** The spec's server path, which the logged path starts with ("/v1", "/api/v10"). */
	basePath: string;
}

const OPENAPI: OpenApiProvider[] = [
	{ provider: 'spotify', spec: load('spotify/web-api.openapi.json'), basePath: '/v1' },
	{ provider: 'discord', spec: load('discord/openapi.json'), basePath: '/api/v10' },
	{ provider: 'twilio', spec: load('twilio/api-v2010.openapi.json'), basePath: '' },
];
const TELEGRAM = load('telegram/api.json');
const YOUTUBE = load('youtube/youtube-v3.discovery.json');

/** Everything wrong with one call, in words; empty when the call is right. */
export function problemsOf(call: LoggedProviderCall, context: CheckContext): string[] {
	const label = `${call.provider} ${call.method} ${call.path}`;
	const openApi = OPENAPI.find(
		(entry) => entry.provider === call.provider && call.path.startsWith(entry.basePath),
	);
	if (openApi) {
		const found = findOperation(openApi, call);
		if (found)
			return checkOpenApi(openApi, found, call, context).map((problem) => `${label}: ${problem}`);
	}
	if (call.provider === 'telegram') {
		const method = /^\/bot<redacted>\/([A-Za-z]+)$/.exec(call.path)?.[1];
		if (method && TELEGRAM.methods[method])
			return checkTelegram(method, call).map((problem) => `${label}: ${problem}`);
	}
	if (call.provider === 'youtube') {
		const method = findDiscoveryMethod(call);
		if (method)
			return checkDiscovery(method, call, context).map((problem) => `${label}: ${problem}`);
	}
	const listed = CALLS_WITHOUT_SPEC.some(
		(entry) =>
			entry.provider === call.provider &&
			entry.method === call.method &&
			entry.path.test(call.path),
	);
	return listed
		? []
		: [`${label}: no published spec has this call, and it is not listed with a first-party source`];
}

// ---- OpenAPI ----

interface FoundOperation {
	specPath: string;
	operation: Json;
	pathItem: Json;
}

function findOperation(
	entry: OpenApiProvider,
	call: LoggedProviderCall,
): FoundOperation | undefined {
	const path = call.path.slice(entry.basePath.length);
	for (const [specPath, pathItem] of Object.entries<Json>(entry.spec.paths)) {
		const pattern = new RegExp(
			`^${specPath.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`,
		);
		const operation = pathItem[call.method.toLowerCase()];
		if (pattern.test(path) && operation) return { specPath, operation, pathItem };
	}
	return undefined;
}

function checkOpenApi(
	entry: OpenApiProvider,
	found: FoundOperation,
	call: LoggedProviderCall,
	context: CheckContext,
): string[] {
	const { operation, pathItem, specPath } = found;
	const problems: string[] = [];
	const excepted = (concerns: SpecException['concerns']) =>
		context.exceptions.some(
			(exception) =>
				exception.provider === call.provider &&
				exception.method === call.method &&
				exception.specPath === specPath &&
				exception.concerns === concerns &&
				(exception.appliesTo?.(call) ?? true),
		);
	if (operation.deprecated && !excepted('deprecated'))
		problems.push(`the spec marks ${call.method} ${specPath} deprecated`);
	for (const parameter of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
		const resolved = resolve(entry.spec, parameter);
		if (resolved.in === 'query' && resolved.required && !(resolved.name in call.query))
			problems.push(`the required query parameter "${resolved.name}" is missing`);
	}
	problems.push(...checkRequestBody(entry.spec, operation, call));
	const security = (operation.security ?? entry.spec.security ?? []) as Array<
		Record<string, string[]>
	>;
	// Alternatives: one that names no scope (a bot token, Basic auth) needs none.
	const needsScope =
		security.length > 0 &&
		security.every((requirement) => Object.values(requirement).some((scopes) => scopes.length > 0));
	const scopes = security.flatMap((requirement) => Object.values(requirement).flat());
	if (needsScope && !excepted('scopes')) problems.push(...checkScopes(scopes, call, context));
	if (call.response) {
		const responses = operation.responses ?? {};
		const status = String(call.response.status);
		const documented = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
		if (!documented) problems.push(`the spec documents no ${status} answer`);
		else if (call.response.status < 300)
			problems.push(
				...checkFieldsRead(
					`${call.provider} ${call.method} ${specPath}`,
					call.response.body,
					(field) => openApiHasField(entry.spec, resolve(entry.spec, documented), field),
				),
			);
	}
	return problems;
}

function checkRequestBody(spec: Json, operation: Json, call: LoggedProviderCall): string[] {
	if (call.bodyEncoding === 'none') {
		const requestBody = operation.requestBody && resolve(spec, operation.requestBody);
		return requestBody?.required ? ['the spec requires a request body and none was sent'] : [];
	}
	const requestBody = operation.requestBody && resolve(spec, operation.requestBody);
	if (!requestBody) return ['a body was sent where the spec takes none'];
	const mediaType =
		call.bodyEncoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
	const content = requestBody.content?.[mediaType];
	if (!content) return [`the spec takes no ${mediaType} body here`];
	const schema = resolve(spec, content.schema ?? {});
	const body = (call.body ?? {}) as Record<string, unknown>;
	return ((schema.required ?? []) as string[])
		.filter((field) => !(field in body))
		.map((field) => `the required body field "${field}" is missing`);
}

/** Follows `$ref`s to the object they name. */
function resolve(spec: Json, node: Json): Json {
	let current = node;
	for (let hops = 0; current && typeof current.$ref === 'string' && hops < 20; hops += 1) {
		current = current.$ref
			.slice(2)
			.split('/')
			.reduce((at: Json, part: string) => at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
	}
	return current;
}

/** Whether the documented response's JSON schema has the field (`a.b[].c`, `[].id`). */
function openApiHasField(spec: Json, response: Json, field: string): boolean {
	const media =
		response?.content?.['application/json'] ?? Object.values<Json>(response?.content ?? {})[0];
	return schemaHasPath(media?.schema, fieldSteps(field), (node) => resolve(spec, node));
}

function fieldSteps(field: string): string[] {
	return field
		.split('.')
		.flatMap((step) =>
			step === '[]'
				? ['[]']
				: step.endsWith('[]')
					? [step.slice(0, -2), '[]']
					: step.startsWith('[]')
						? ['[]', step.slice(2)]
						: [step],
		)
		.filter(Boolean);
}

function schemaHasPath(schema: Json, steps: string[], deref: (node: Json) => Json): boolean {
	const node = deref(schema);
	if (!node) return false;
	if (steps.length === 0) return true;
	for (const key of ['allOf', 'oneOf', 'anyOf'])
		if (
			Array.isArray(node[key]) &&
			node[key].some((branch: Json) => schemaHasPath(branch, steps, deref))
		)
			return true;
	const [step, ...rest] = steps;
	if (step === '[]') return node.items !== undefined && schemaHasPath(node.items, rest, deref);
	const property = node.properties?.[step];
	return property !== undefined && schemaHasPath(property, rest, deref);
}

// ---- scopes and fields ----

function checkScopes(scopes: string[], call: LoggedProviderCall, context: CheckContext): string[] {
	const token = /^Bearer (<redacted:[0-9a-f]+>)$/.exec(call.headers.authorization ?? '')?.[1];
	const granted = token ? context.scopesByToken.get(token) : undefined;
	if (!granted)
		return [
			`it needs one of the scopes ${scopes.join(', ')}, and the call's token is not a fan's grant the test knows`,
		];
	return scopes.some((scope) => granted.includes(scope))
		? []
		: [
				`it needs one of the scopes ${scopes.join(', ')}; the fan's grant has ${granted.join(', ') || 'none'}`,
			];
}

function checkFieldsRead(
	key: string,
	body: unknown,
	documented: (field: string) => boolean,
): string[] {
	const problems: string[] = [];
	for (const entry of FIELDS_READ[key] ?? []) {
		const optional = entry.startsWith('?');
		const field = optional ? entry.slice(1) : entry;
		const steps = fieldSteps(field);
		if (!documented(field))
			problems.push(`the hub reads "${field}", which the spec's answer does not have`);
		const skip = optional && (typeof body !== 'object' || body === null || !(steps[0] in body));
		if (!skip && !presentIn(body, steps)) problems.push(`the stand-in's answer lacks "${field}"`);
	}
	return problems;
}

/** Whether the answer has the field; an empty list has every field of its items. */
function presentIn(value: unknown, steps: string[]): boolean {
	if (steps.length === 0) return value !== undefined;
	const [step, ...rest] = steps;
	if (step === '[]') return Array.isArray(value) && value.every((item) => presentIn(item, rest));
	return (
		typeof value === 'object' &&
		value !== null &&
		presentIn((value as Record<string, unknown>)[step], rest)
	);
}

// ---- Telegram Bot API ----

function checkTelegram(method: string, call: LoggedProviderCall): string[] {
	const spec = TELEGRAM.methods[method];
	const problems: string[] = [];
	// The Bot API takes query strings, form bodies, JSON and multipart alike (core.telegram.org/bots/api#making-requests).
	const body = (call.body ?? {}) as Record<string, unknown>;
	for (const field of (spec.fields ?? []) as Array<{ name: string; required: boolean }>)
		if (field.required && !(field.name in body) && !(field.name in call.query))
			problems.push(`the required field "${field.name}" is missing`);
	const known = new Set(
		((spec.fields ?? []) as Array<{ name: string }>).map((field) => field.name),
	);
	for (const name of Object.keys(body))
		if (!known.has(name)) problems.push(`"${name}" is no field of ${method}`);
	if (call.response && call.response.status === 200) {
		const answer = call.response.body as { ok?: boolean; result?: unknown };
		const returned = TELEGRAM.types[(spec.returns as string[])[0]];
		problems.push(
			...checkFieldsRead(`telegram ${method}`, answer.result, (field) =>
				((returned?.fields ?? []) as Array<{ name: string }>).some((entry) => entry.name === field),
			),
		);
	}
	return problems;
}

// ---- Google discovery (YouTube) ----

function findDiscoveryMethod(call: LoggedProviderCall): Json | undefined {
	for (const resource of Object.values<Json>(YOUTUBE.resources))
		for (const method of Object.values<Json>(resource.methods))
			if (method.httpMethod === call.method && `/${method.path}` === call.path) return method;
	return undefined;
}

function checkDiscovery(method: Json, call: LoggedProviderCall, context: CheckContext): string[] {
	const problems: string[] = [];
	for (const [name, parameter] of Object.entries<Json>(method.parameters ?? {}))
		if (parameter.location === 'query' && parameter.required && !(name in call.query))
			problems.push(`the required query parameter "${name}" is missing`);
	if (method.request && call.bodyEncoding !== 'json') problems.push('the method takes a JSON body');
	if (!method.request && call.bodyEncoding !== 'none')
		problems.push('a body was sent where the method takes none');
	problems.push(...checkScopes(method.scopes ?? [], call, context));
	if (call.response && call.response.status < 300)
		problems.push(
			...checkFieldsRead(`youtube ${method.id}`, call.response.body, (field) =>
				schemaHasPath(method.response, fieldSteps(field), (node) =>
					node?.$ref ? YOUTUBE.schemas[node.$ref] : node,
				),
			),
		);
	return problems;
}
