import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CommunityPlatformError, type CommunityErrorKind } from '../core/community/ports';
import { HubError } from '../core/errors';
import { PlatformError, type PlatformErrorKind } from '../core/streaming/platform';
import type { Logger } from '../core/logger';
import { answerClientError, sendError } from './error-replies';
import { openApiDocument } from './openapi';
import { artistRoutes } from './artist-routes';
import { optInRoutes } from './optin-routes';
import { registerPages } from './pages';
import { registerPageCounters } from './page-counters';
import { registerPresavePages } from './presave-routes';
import { communityRoutes, registerCommunityRoutes } from './community-routes';
import { registerDashboard } from './dashboard/routes';
import { insightsRoutes, registerInsightsCsv } from './insights-routes';
import { ledgerRoutes } from './routes';
import { streamingRoutes } from './streaming-routes';
import { registerTwilioInbound } from './twilio-inbound';
import type { HubServices } from '../services';

export const API_VERSION = '1.0.0';

/** A platform's refusal, as the caller should read it: reconnect, wait, retry, or give up. */
const PLATFORM_STATUS: Record<PlatformErrorKind, number> = {
	reconsent: 409,
	rate_limited: 503,
	transient: 502,
	permanent: 422,
};

/** A chat platform's refusal: not_allowed is the marketer's to fix (the bot's role or rights). */
const COMMUNITY_STATUS: Record<CommunityErrorKind, number> = {
	blocked: 409,
	rate_limited: 503,
	transient: 502,
	not_allowed: 422,
	permanent: 422,
};

/** Turns zod's issues into one sentence per field, each naming where it went wrong. */
function validated<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
	if (!schema) return undefined as T;
	const result = schema.safeParse(value ?? {});
	if (result.success) return result.data;
	const problems = result.error.issues.map((issue) => {
		const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
		return `${path}${issue.message}`;
	});
	throw new HubError(
		'validation_failed',
		`Invalid ${where}. ${problems.join('; ')}`,
		result.error.issues,
	);
}

function bearer(request: FastifyRequest): string | undefined {
	const header = request.headers.authorization;
	return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

export function buildServer(services: HubServices, logger: Logger): FastifyInstance {
	const { ledger } = services;
	const app = Fastify({
		logger: false,
		bodyLimit: 1024 * 1024,
		clientErrorHandler: answerClientError,
		// Malformed and over-long paths are refused before routing: same error shape as everything else.
		frameworkErrors: (error, request, reply) => {
			const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
			sendError(reply, request.url, tooLong ? 414 : 400, {
				code: 'bad_request',
				message: tooLong
					? 'A part of the path is longer than the hub accepts (100 characters); check the id in the URL.'
					: 'The path is not a valid URL: a percent sign must start an escape such as %20.',
			});
		},
	});
	// Twilio webhooks and the fans' forms post urlencoded bodies.
	app.addContentTypeParser(
		'application/x-www-form-urlencoded',
		{ parseAs: 'string' },
		(_request, body, done) => {
			done(null, Object.fromEntries(new URLSearchParams(body as string)));
		},
	);
	const routes = [
		...ledgerRoutes(services),
		...artistRoutes(services),
		...optInRoutes(services),
		...streamingRoutes(services),
		...communityRoutes(services),
		...insightsRoutes(services),
	];
	const openApi = openApiDocument(routes, API_VERSION);

	for (const route of routes) {
		app.route({
			method: route.method,
			url: route.path,
			handler: async (request, reply) => {
				const caller = route.public ? undefined : await ledger.apiKeys.verify(bearer(request));
				const result = await route.handle({
					params: validated(route.params, request.params, 'path'),
					query: validated(route.query, request.query, 'query'),
					body: validated(route.body, request.body, 'request body'),
					caller,
				});
				reply.code(route.status);
				return route.status === 204 ? reply.send() : result;
			},
		});
	}
	app.get('/v1/openapi.json', async () => openApi);
	registerPages(app, services);
	registerPageCounters(app, services, logger);
	registerPresavePages(app, services, logger);
	registerTwilioInbound(app, services, logger);
	registerCommunityRoutes(app, services, logger);
	registerInsightsCsv(app, services);
	registerDashboard(app, services);

	app.setNotFoundHandler((request, reply) => {
		sendError(reply, request.url, 404, {
			code: 'not_found',
			message: `There is no ${request.method} ${request.url.split('?')[0]} in the hub API.`,
		});
	});

	app.setErrorHandler(
		(error: FastifyError | HubError | PlatformError | CommunityPlatformError, request, reply) => {
			if (error instanceof HubError) {
				sendError(reply, request.url, error.httpStatus, {
					code: error.code,
					message: error.message,
					details: error.details,
				});
				return;
			}
			if (error instanceof PlatformError) {
				sendError(reply, request.url, PLATFORM_STATUS[error.kind], {
					code: `platform_${error.kind}`,
					message: error.message,
					details: { platform: error.platform },
				});
				return;
			}
			if (error instanceof CommunityPlatformError) {
				sendError(reply, request.url, COMMUNITY_STATUS[error.kind], {
					code: `platform_${error.kind}`,
					message: error.message,
					details: { platform: error.platform },
				});
				return;
			}
			if (error.statusCode && error.statusCode < 500) {
				const unreadable =
					error instanceof SyntaxError ||
					error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
					error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
				sendError(reply, request.url, error.statusCode, {
					code: unreadable ? 'invalid_json' : 'bad_request',
					message: `The request could not be read: ${error.message}`,
				});
				return;
			}
			// The path only: query strings carry OAuth codes and states, layers sessions, and identities (by-identity).
			logger.error('request failed', {
				method: request.method,
				path: request.url.split('?')[0],
				error: error.message,
			});
			sendError(reply, request.url, 500, {
				code: 'internal_error',
				message: 'The hub hit an unexpected error; it is logged.',
			});
		},
	);

	return app;
}
