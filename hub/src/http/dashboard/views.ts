import type { CampaignRef } from '../../core/insights/artists';
import type { InsightsReport } from '../../core/insights/insights';
import { escapeHtml, InlineStyle } from '../html';
import { dailyChart, funnelChart, reachabilityChart, sankeyChart, type Drawings } from './charts';

/** Phone first, then wider; the charts are images that scale to the column. */
export const DASHBOARD_STYLE = new InlineStyle(`*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f0f14;color:#f4f4f6}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:0 0 .75rem}
p{margin:0 0 1rem;color:#d6d6de}
a{color:#ffd23f}
nav{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 1.25rem}
nav form{margin:0 0 0 auto}
section{min-width:0;background:#17171f;border:1px solid #2c2c36;border-radius:.75rem;padding:1rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem}
@media (min-width:48rem){.grid{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}.grid section{margin:0}.grid{margin:0 0 1rem}}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem;margin:0 0 1rem}
.figure{background:#17171f;border:1px solid #2c2c36;border-radius:.75rem;padding:.75rem 1rem}
.figure b{display:block;font-size:1.6rem;line-height:1.2;color:#ffd23f}
.figure span{color:#b8b8c4;font-size:.9rem}
picture{display:block}
img.chart{display:block;width:100%;height:auto;margin:0 0 .75rem}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #2c2c36;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.alert{color:#ffb4b4;font-weight:600}
label{display:block;margin:0 0 .35rem;color:#d6d6de}
input{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;margin:0 0 .75rem;border:1px solid #8a8a99;border-radius:.5rem;background:#1b1b22;color:#f4f4f6;font:inherit}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:0 .75rem;align-items:end}
button{min-height:2.75rem;padding:.5rem 1rem;border:0;border-radius:.5rem;background:#ffd23f;color:#111;font:inherit;font-weight:700;cursor:pointer;margin:0 0 .75rem}
button.link{background:none;color:#ffd23f;padding:0;min-height:0;margin:0;font-weight:400;text-decoration:underline}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #fff;outline-offset:2px}
ul.campaigns{list-style:none;margin:0;padding:0}
ul.campaigns li{padding:.75rem 0;border-bottom:1px solid #2c2c36}
.muted{color:#9a9aa8;font-size:.9rem}`);

const number = new Intl.NumberFormat('en');
const n = (value: number) => number.format(value);
const percent = (share: number) => `${Math.round(share * 100)}%`;

const dataUri = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;

/** The phone's drawing by default, the desk's where the page is wide enough for it. */
function chart(drawings: Drawings, alt: string, id: string): string {
	return `<picture><source media="(min-width: 48rem)" srcset="${dataUri(drawings.desk)}"><img class="chart" id="${id}" alt="${escapeHtml(alt)}" src="${dataUri(drawings.phone)}"></picture>`;
}

function table(headers: string[], rows: (string | number)[][], numericFrom = 1): string {
	const cell = (value: string | number, index: number, tag: 'td' | 'th') =>
		`<${tag}${index >= numericFrom ? ' class="n"' : ''}>${escapeHtml(typeof value === 'number' ? n(value) : value)}</${tag}>`;
	if (rows.length === 0) return '<p class="muted">Nothing yet.</p>';
	return `<div class="table"><table><thead><tr>${headers.map((header, index) => cell(header, index, 'th')).join('')}</tr></thead><tbody>${rows
		.map((row) => `<tr>${row.map((value, index) => cell(value, index, 'td')).join('')}</tr>`)
		.join('')}</tbody></table></div>`;
}

export function signOutForm(): string {
	return `<form method="post" action="/dashboard/sign-out"><button class="link" type="submit" id="sign-out">Sign out</button></form>`;
}

export function signInBody(problem?: string): string {
	return `<p>Sign in with a hub API key (create one with <code>fanloop-hub api-key create --name dashboard</code>). The browser keeps a session, not the key.</p>${
		problem ? `<p class="alert" role="alert" id="sign-in-problem">${escapeHtml(problem)}</p>` : ''
	}<form method="post" action="/dashboard/sign-in"><label for="api-key">API key</label><input id="api-key" name="apiKey" type="password" autocomplete="current-password" required><button type="submit" id="sign-in">Sign in</button></form>`;
}

export function campaignsBody(campaigns: CampaignRef[]): string {
	const items = campaigns
		.map(
			(campaign) =>
				`<li><a href="/dashboard/campaigns/${encodeURIComponent(campaign.slug)}">${escapeHtml(campaign.title)}</a> · <a href="/dashboard/artists/${encodeURIComponent(campaign.artistId)}">${escapeHtml(campaign.artist)}</a><br><span class="muted">${escapeHtml(campaign.slug)} · release ${new Date(campaign.releaseAtMs).toISOString().slice(0, 10)}</span></li>`,
		)
		.join('');
	return `<nav><span class="muted">Campaigns, newest release first</span>${signOutForm()}</nav>${
		items ? `<ul class="campaigns" id="campaigns">${items}</ul>` : '<p>No campaigns yet.</p>'
	}`;
}

function filterForm(report: InsightsReport, csvHref: string): string {
	const { from, to, source } = report.scope;
	const value = (text: string | null) => (text ? ` value="${escapeHtml(text)}"` : '');
	return `<form method="get" class="filters"><div><label for="from">From</label><input id="from" name="from" type="date"${value(from?.slice(0, 10) ?? null)}></div><div><label for="to">To (inclusive)</label><input id="to" name="to" type="date"${value(to ? new Date(Date.parse(to) - 1).toISOString().slice(0, 10) : null)}></div><div><label for="source">Source</label><input id="source" name="source"${value(source)}></div><div><button type="submit">Apply</button></div></form><p><a href="${escapeHtml(csvHref)}" id="csv">Download these figures as CSV</a></p>`;
}

/** Every figure of a report, as charts with the numbers beside them: aggregates only, never a fan. */
export function reportBody(report: InsightsReport, csvHref: string): string {
	const { funnel, layering, delivery, reachability } = report;
	const reconnect = delivery.reduce((sum, platform) => sum + platform.needs_reconnect, 0);
	const delivered = delivery.reduce((sum, platform) => sum + platform.delivered, 0);
	const reachable = reachability
		.filter((bucket) => bucket.channels !== '0')
		.reduce((sum, bucket) => sum + bucket.fans, 0);
	const headline = [
		['fans', layering.fans],
		['actions per entry fan', layering.actionsPerEntryFan],
		['pre-saves', funnel.presaves],
		['saves delivered', delivered],
		['reachable on an owned channel', reachable],
	]
		.map(
			([label, value]) =>
				`<div class="figure"><b>${n(Number(value))}</b><span>${escapeHtml(String(label))}</span></div>`,
		)
		.join('');
	const layerNames = [
		...new Set(layering.entries.flatMap((entry) => entry.layers.map((layer) => layer.layer))),
	];
	const funnelSection = `<section id="funnel"><h2>Pre-save funnel</h2>${chart(funnelChart(funnel), `Funnel: ${n(funnel.views)} page views, ${n(funnel.clicks)} platform buttons, ${n(funnel.consents)} consent screens, ${n(funnel.presaves)} pre-saves`, 'funnel-chart')}${table(
		['source', 'views', 'buttons', 'consents', 'pre-saves'],
		funnel.bySource.map((row) => [
			row.source || '(none)',
			row.views,
			row.clicks,
			row.consents,
			row.presaves,
		]),
	)}</section>`;
	const deliverySection = `<section id="delivery"><h2>Release-day delivery</h2>${
		reconnect > 0
			? `<p class="alert">${reconnect === 1 ? '1 fan needs' : `${n(reconnect)} fans need`} to reconnect.</p>`
			: ''
	}${table(
		['platform', 'delivered', 'waiting', 'reconnect', 'refused'],
		delivery.map((row) => [
			row.platform,
			row.delivered,
			row.waiting,
			row.needs_reconnect,
			row.refused,
		]),
	)}</section>`;
	const layeringSection = `<section id="layering"><h2>What each action led to</h2>${
		layering.graph.length > 0
			? chart(
					sankeyChart(layering.graph),
					`Layer graph: ${layering.graph.map((edge) => `${edge.from} to ${edge.to} ${edge.count}`).join(', ')}`,
					'sankey-chart',
				)
			: ''
	}${table(
		['came in through', 'fans', 'actions per fan', ...layerNames],
		layering.entries.map((entry) => [
			entry.entry,
			entry.fans,
			entry.actionsPerFan,
			...layerNames.map((name) => {
				const layer = entry.layers.find((taken) => taken.layer === name);
				return layer ? percent(layer.share) : '–';
			}),
		]),
	)}</section>`;
	const reachSection = `<section id="reachability"><h2>Reachable now</h2>${chart(
		reachabilityChart(reachability),
		`Fans by owned channels: ${reachability.map((bucket) => `${bucket.channels}: ${bucket.fans}`).join(', ')}`,
		'reachability-chart',
	)}</section>`;
	const nextSection = `<section id="next-release"><h2>Next release</h2>${table(
		['from → to', 'fans', 'came back', 'share', 'first layer on return'],
		report.nextRelease.map((row) => [
			`${row.from} → ${row.to}`,
			row.fans,
			row.returned,
			percent(row.share),
			row.byLayer.map((layer) => `${layer.layer} ${layer.fans}`).join(', ') || '–',
		]),
	)}</section>`;
	const dailySection = `<section id="daily"><h2>Day by day</h2>${
		report.daily.length > 0
			? chart(dailyChart(report.daily), 'Page views and actions per day', 'daily-chart')
			: '<p class="muted">Nothing yet.</p>'
	}</section>`;
	return `<nav><a href="/dashboard">All campaigns</a>${signOutForm()}</nav>${filterForm(report, csvHref)}<div class="headline" id="headline">${headline}</div><div class="grid">${funnelSection}${reachSection}</div>${layeringSection}${deliverySection}${nextSection}${dailySection}`;
}
