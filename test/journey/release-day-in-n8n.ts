/**
 * The release-day template (workflows/release-day.json) in a real n8n, set up the way its
 * sticky note tells a marketer to: the campaign filled in, the Schedule Trigger's hour and
 * minute set in the workflow's time zone, published. Nothing in it is swapped: the
 * Schedule Trigger itself starts the run, on n8n's own (wall) clock, a couple of minutes
 * after n8n is started.
 */
import type { RunningHub } from '../../hub/src';
import {
	loadTemplate,
	N8n,
	untilHubSubscribed,
	type TemplateNode,
	type WorkflowTemplate,
} from '../n8n/harness';

const SCHEDULE_TRIGGER = 'n8n-nodes-base.scheduleTrigger';
/**
 * From publishing to the schedule's minute: enough for n8n to import, publish and boot on a
 * busy machine. The hour is written before n8n starts, as a marketer sets it before publishing.
 */
const BOOT_MARGIN_MS = 120_000;

export class ReleaseDayInN8n {
	private constructor(
		readonly n8n: N8n,
		readonly workflowId: string,
		/** When the Schedule Trigger starts the run (n8n's wall clock). */
		readonly dueAt: Date,
	) {}

	/**
	 * Imports the template for `campaignSlug` with its Schedule Trigger set to the first whole
	 * minute after a boot margin (UTC, the workflow's time zone here), publishes it and starts
	 * n8n; answers once the Fanloop Trigger has subscribed to the hub.
	 */
	static async start(
		name: string,
		hub: RunningHub,
		campaignSlug: string,
	): Promise<ReleaseDayInN8n> {
		const template = loadTemplate('release-day.json');
		// n8n saves a workflow's static data (where the Fanloop Trigger keeps its signing secret) only for ids of up to 21 characters.
		template.id = `flRd${name.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 21);
		for (const node of template.nodes) {
			if (node.type === 'n8n-nodes-fanloop.fanloopStreaming')
				node.parameters.campaignId = campaignSlug;
		}
		const n8n = await N8n.prepare({
			name,
			// The marketer's time zone for the schedule's hour (n8n's own default is New York).
			env: { GENERIC_TIMEZONE: 'UTC' },
			credentials: [
				{
					id: 'fanloopHub',
					name: 'Fanloop Hub',
					type: 'fanloopHubApi',
					data: { baseUrl: hub.url, apiKey: await hub.createApiKey(`n8n ${name}`) },
				},
			],
		});
		try {
			const dueAt = scheduleAt(template, Date.now() + BOOT_MARGIN_MS);
			await n8n.importJson('workflow', [template]);
			await n8n.cli(['publish:workflow', `--id=${template.id}`]);
			await n8n.start();
			await untilHubSubscribed(hub, [template]);
			if (Date.now() > dueAt.getTime() - 5_000) {
				throw new Error(
					`n8n was ready only after the schedule's minute (${dueAt.toISOString()}): the machine is slower than BOOT_MARGIN_MS allows`,
				);
			}
			return new ReleaseDayInN8n(n8n, template.id, dueAt);
		} catch (error) {
			await n8n.stop();
			throw error;
		}
	}

	stop(): Promise<void> {
		return this.n8n.stop();
	}
}

/** Sets the template's Schedule Trigger to the first whole minute at or after `earliestMs`; answers that moment. */
function scheduleAt(template: WorkflowTemplate, earliestMs: number): Date {
	const due = new Date(Math.ceil(earliestMs / 60_000) * 60_000);
	const trigger = template.nodes.find((node: TemplateNode) => node.type === SCHEDULE_TRIGGER);
	if (!trigger) throw new Error('the release-day template has no Schedule Trigger');
	const rule = trigger.parameters.rule as { interval: Array<Record<string, unknown>> };
	rule.interval[0].triggerAtHour = due.getUTCHours();
	rule.interval[0].triggerAtMinute = due.getUTCMinutes();
	return due;
}
