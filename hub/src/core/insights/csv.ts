import type { InsightsReport } from './insights';

type Row = [table: string, dimension: string, measure: string, value: number];

/** A cell a spreadsheet reads as text: quoted when needed, never taken for a formula. */
function cell(value: string | number): string {
	let text = String(value);
	if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report's tables in one long CSV (table, dimension, measure, value): one shape a
 * spreadsheet pivots, whatever the table.
 */
export function insightsCsv(report: InsightsReport): string {
	const rows: Row[] = [];
	const { funnel, layering } = report;
	for (const measure of ['views', 'clicks', 'consents', 'presaves'] as const)
		rows.push(['funnel', 'all', measure, funnel[measure]]);
	for (const { platform, ...counts } of funnel.byPlatform)
		for (const [measure, value] of Object.entries(counts))
			rows.push(['funnel_by_platform', platform, measure, value]);
	for (const { source, ...counts } of funnel.bySource)
		for (const [measure, value] of Object.entries(counts))
			rows.push(['funnel_by_source', source, measure, value]);
	for (const { platform, ...states } of report.delivery)
		for (const [state, value] of Object.entries(states))
			rows.push(['delivery', platform, state, value]);
	rows.push(
		['layering', 'all', 'fans', layering.fans],
		['layering', 'all', 'actions_per_entry_fan', layering.actionsPerEntryFan],
	);
	for (const entry of layering.entries) {
		rows.push(
			['layering', entry.entry, 'fans', entry.fans],
			['layering', entry.entry, 'actions_per_fan', entry.actionsPerFan],
		);
		for (const layer of entry.layers)
			rows.push(['layering_share', `${entry.entry}>${layer.layer}`, 'share', layer.share]);
	}
	for (const edge of layering.graph)
		rows.push(['layer_graph', `${edge.from}>${edge.to}`, 'actions', edge.count]);
	for (const bucket of report.reachability)
		rows.push(['reachability', bucket.channels, 'fans', bucket.fans]);
	for (const release of report.nextRelease) {
		const pair = `${release.from}>${release.to}`;
		rows.push(
			['next_release', pair, 'fans', release.fans],
			['next_release', pair, 'returned', release.returned],
		);
		for (const layer of release.byLayer)
			rows.push(['next_release_by_layer', `${pair}:${layer.layer}`, 'fans', layer.fans]);
	}
	for (const day of report.daily) {
		rows.push(
			['daily', day.day, 'views', day.views],
			['daily', day.day, 'reachable', day.reachable],
		);
		for (const [layer, value] of Object.entries(day.layers))
			rows.push(['daily', day.day, layer, value]);
	}
	const lines = [['table', 'dimension', 'measure', 'value'], ...rows].map((row) =>
		row.map(cell).join(','),
	);
	return `${lines.join('\r\n')}\r\n`;
}
