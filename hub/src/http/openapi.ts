import { z } from 'zod';
import type { Route } from './route';
import { errorBody } from './schemas';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
	return z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
	if (!schema) return [];
	const object = jsonSchema(schema, 'input') as {
		properties?: Record<string, JsonSchema>;
		required?: string[];
	};
	return Object.entries(object.properties ?? {}).map(([name, property]) => ({
		name,
		in: location,
		required: location === 'path' || (object.required ?? []).includes(name),
		schema: property,
	}));
}

/** The OpenAPI 3.1 document, generated from the same route declarations and zod schemas the server validates with. */
export function openApiDocument(routes: Route[], version: string): JsonSchema {
	const paths: Record<string, Record<string, JsonSchema>> = {};
	for (const route of routes) {
		const path = route.path.replace(/:(\w+)/g, '{$1}');
		const responses: Record<string, JsonSchema> = {
			[route.status]: route.response
				? {
						description: 'OK',
						content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
					}
				: { description: 'No content' },
			default: {
				description: 'An error with a code and a message a marketer can act on',
				content: { 'application/json': { schema: jsonSchema(errorBody, 'output') } },
			},
		};
		paths[path] ??= {};
		paths[path][route.method.toLowerCase()] = {
			summary: route.summary,
			tags: [route.tag],
			...(route.public ? { security: [] } : {}),
			parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
			...(route.body
				? {
						requestBody: {
							required: true,
							content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
						},
					}
				: {}),
			responses,
		};
	}
	return {
		openapi: '3.1.0',
		info: {
			title: 'Fanloop hub API',
			version,
			description:
				'The fan ledger behind Fanloop: fans, actions layered on actions, campaigns and signed events.',
		},
		security: [{ apiKey: [] }],
		components: {
			securitySchemes: {
				apiKey: { type: 'http', scheme: 'bearer', description: 'A hub API key (flk_…)' },
			},
		},
		paths,
	};
}
