import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { insightsCsv } from '../../core/insights/csv';
import { Insights, type InsightsReport } from '../../core/insights/insights';
import { HubError } from '../../core/errors';
import type { HubServices } from '../../services';
import { escapeHtml, sendPage } from '../html';
import { filterOf, insightsQuery } from '../insights-routes';
import { DashboardSessions } from './session';
import { campaignsBody, DASHBOARD_STYLE, reportBody, signInBody } from './views';

const SIGN_IN = '/dashboard/sign-in';

/**
 * The marketer's dashboard: the campaigns, and one page per campaign and per artist
 * with what layering earned. Every page but sign-in needs a session; a request without
 * one is sent to sign in and gets no figures.
 */
export function registerDashboard(app: FastifyInstance, services: HubServices): void {
	const insights = new Insights(services.ledger.store, services.ledger.pageCounters);
	const sessions = new DashboardSessions(
		services.ledger,
		services.clock,
		services.program.publicUrl.startsWith('https:'),
	);
	const page = (reply: FastifyReply, status: number, title: string, body: string) =>
		sendPage(reply, status, title, body, { style: DASHBOARD_STYLE, imgSrc: ['data:'] });
	const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
		if (await sessions.isSignedIn(request)) return true;
		reply.header('cache-control', 'no-store').redirect(SIGN_IN, 303);
		return false;
	};

	app.get(SIGN_IN, async (_request, reply) => page(reply, 200, 'Fanloop insights', signInBody()));
	app.post(SIGN_IN, async (request, reply) => {
		const apiKey = (request.body as Record<string, unknown> | undefined)?.apiKey;
		try {
			await sessions.signIn(reply, typeof apiKey === 'string' ? apiKey : '');
		} catch (error) {
			if (error instanceof HubError && error.code === 'unauthorized')
				return page(
					reply,
					401,
					'Fanloop insights',
					signInBody('That API key is wrong or revoked.'),
				);
			throw error;
		}
		return reply.redirect('/dashboard', 303);
	});
	app.post('/dashboard/sign-out', async (_request, reply) => {
		sessions.signOut(reply);
		return reply.redirect(SIGN_IN, 303);
	});

	app.get('/dashboard', async (request, reply) => {
		if (!(await signedIn(request, reply))) return reply;
		return page(reply, 200, 'Campaigns', campaignsBody(await insights.campaigns()));
	});

	/** A report page and its CSV, for one kind of scope. */
	const reportPages = (
		prefix: string,
		title: (report: InsightsReport) => string,
		read: (id: string, query: unknown) => Promise<InsightsReport>,
	) => {
		app.get(`${prefix}/:id`, async (request, reply) => {
			if (!(await signedIn(request, reply))) return reply;
			const { id } = request.params as { id: string };
			const report = await readOrPage(reply, () => read(id, request.query));
			if (!report) return reply;
			const query = new URLSearchParams(request.query as Record<string, string>).toString();
			const csvHref = `${prefix}/${encodeURIComponent(id)}/insights.csv${query ? `?${query}` : ''}`;
			return page(reply, 200, title(report), reportBody(report, csvHref));
		});
		app.get(`${prefix}/:id/insights.csv`, async (request, reply) => {
			if (!(await signedIn(request, reply))) return reply;
			const report = await read((request.params as { id: string }).id, request.query);
			return reply
				.headers({
					'content-type': 'text/csv; charset=utf-8',
					'content-disposition': 'attachment; filename="insights.csv"',
					'cache-control': 'no-store',
				})
				.send(insightsCsv(report));
		});
	};

	/** A campaign or artist that is not there, or a filter that does not read, is a page saying so. */
	async function readOrPage(reply: FastifyReply, read: () => Promise<InsightsReport>) {
		try {
			return await read();
		} catch (error) {
			if (error instanceof HubError && error.httpStatus < 500) {
				await page(
					reply,
					error.httpStatus,
					'Not available',
					`<p>${escapeHtml(error.message)}</p><p><a href="/dashboard">All campaigns</a></p>`,
				);
				return undefined;
			}
			throw error;
		}
	}

	const filter = (query: unknown) => {
		const parsed = insightsQuery.safeParse(withoutEmpty(query));
		if (!parsed.success)
			throw new HubError('validation_failed', 'The dates or the source in the filter do not read.');
		return filterOf(parsed.data);
	};
	reportPages(
		'/dashboard/campaigns',
		(report) => `${report.scope.campaigns[0]?.title ?? ''} · ${report.scope.artist.name}`,
		(id, query) => insights.campaign(id, filter(query)),
	);
	reportPages(
		'/dashboard/artists',
		(report) => `${report.scope.artist.name}: every release`,
		(id, query) => insights.artist(id, filter(query)),
	);
}

/** An empty date box in the filter form arrives as `from=`: it means no bound. */
function withoutEmpty(query: unknown): Record<string, string> {
	return Object.fromEntries(
		Object.entries((query ?? {}) as Record<string, unknown>).filter(
			(entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '',
		),
	);
}
