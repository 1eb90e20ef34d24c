import * as echarts from 'echarts';
import type { DayFigures } from '../../core/insights/daily';
import type { FunnelCounts } from '../../core/insights/funnel';
import type { LayerEdge } from '../../core/insights/layering';
import type { Reachability } from '../../core/insights/reachability';

/** Charts are drawn at a fixed size per screen class and scale to their column's width. */
const HALF = { width: 640, height: 320 };
/** Charts that span the whole page on a desk. */
const WIDE = { width: 900, height: 360 };
/** Large enough to read once a 640-wide drawing shrinks to a phone's column. */
const FONT = 18;
const TEXT = '#e8e8ee';
const MUTED = '#9a9aa8';
const PALETTE = [
	'#ffd23f',
	'#5ad1c9',
	'#ff8a65',
	'#9b8cff',
	'#7fd77f',
	'#ff6fae',
	'#6fb7ff',
	'#c9c98a',
];

/**
 * Renders one ECharts option to an SVG document on the server (no DOM, no script in
 * the page). Animation is off: the drawing is taken once, and a disposed chart leaves
 * no timer behind.
 */
function svgOf(option: echarts.EChartsOption, size: { width: number; height: number }): string {
	const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...size });
	try {
		chart.setOption({
			animation: false,
			color: PALETTE,
			textStyle: { color: TEXT, fontSize: FONT },
			...option,
		});
		return chart.renderToSVGString();
	} finally {
		chart.dispose();
	}
}

/** A chart drawn twice: for a phone's narrow column (larger text once shrunk) and for a desk. */
export interface Drawings {
	phone: string;
	desk: string;
}

const PHONE = { width: 480, height: 380 };

function drawn(option: echarts.EChartsOption, desk = HALF): Drawings {
	return { phone: svgOf(option, PHONE), desk: svgOf(option, desk) };
}

const VALUE_AXIS = {
	type: 'value',
	minInterval: 1,
	axisLabel: { color: MUTED, fontSize: FONT },
	splitLine: { lineStyle: { color: '#33333d' } },
} as const;

export function funnelChart(funnel: FunnelCounts): Drawings {
	const steps: [string, number][] = [
		['Page views', funnel.views],
		['Platform buttons', funnel.clicks],
		['Consent screens', funnel.consents],
		['Pre-saves', funnel.presaves],
	];
	return drawn({
		series: [
			{
				type: 'funnel',
				sort: 'none',
				left: 20,
				right: 20,
				top: 20,
				bottom: 20,
				minSize: '8%',
				label: {
					position: 'inside',
					color: '#111',
					fontWeight: 'bold',
					fontSize: FONT,
					formatter: '{b}: {c}',
				},
				data: steps.map(([name, value]) => ({ name, value })),
			},
		],
	});
}

/**
 * The layer graph as a Sankey. A Sankey cannot draw a cycle, and a fan's steps can
 * loop (a Telegram start after a join): the strongest edges are kept, an edge that
 * would close a loop is left out.
 */
export function sankeyChart(edges: LayerEdge[]): Drawings {
	const kept: LayerEdge[] = [];
	const reaches = (from: string, to: string): boolean => {
		const seen = new Set<string>();
		const stack = [from];
		while (stack.length > 0) {
			const at = stack.pop()!;
			if (at === to) return true;
			if (seen.has(at)) continue;
			seen.add(at);
			for (const edge of kept) if (edge.from === at) stack.push(edge.to);
		}
		return false;
	};
	for (const edge of [...edges].sort((a, b) => b.count - a.count))
		if (edge.from !== edge.to && !reaches(edge.to, edge.from)) kept.push(edge);
	const names = [...new Set(kept.flatMap((edge) => [edge.from, edge.to]))];
	return drawn(
		{
			series: [
				{
					type: 'sankey',
					left: 10,
					right: 150,
					top: 20,
					bottom: 20,
					nodeGap: 14,
					label: { color: TEXT, fontSize: FONT },
					lineStyle: { color: 'gradient', opacity: 0.45 },
					data: names.map((name) => ({ name })),
					links: kept.map((edge) => ({ source: edge.from, target: edge.to, value: edge.count })),
				},
			],
		},
		WIDE,
	);
}

export function reachabilityChart(reachability: Reachability): Drawings {
	return drawn({
		grid: { left: 50, right: 20, top: 36, bottom: 60 },
		xAxis: {
			type: 'category',
			name: 'owned channels',
			nameLocation: 'middle',
			nameGap: 34,
			nameTextStyle: { fontSize: FONT },
			data: reachability.map((bucket) => bucket.channels),
			axisLabel: { color: TEXT, fontSize: FONT },
		},
		yAxis: VALUE_AXIS,
		series: [
			{
				type: 'bar',
				data: reachability.map((bucket) => bucket.fans),
				label: { show: true, position: 'top', color: TEXT, fontSize: FONT },
				itemStyle: { color: '#5ad1c9' },
			},
		],
	});
}

/** Actions per day stacked by layer; page views and reachable fans as lines over them. */
export function dailyChart(days: DayFigures[]): Drawings {
	const layers = [...new Set(days.flatMap((day) => Object.keys(day.layers)))].sort();
	return drawn(
		{
			legend: { top: 0, textStyle: { color: TEXT, fontSize: FONT } },
			grid: { left: 50, right: 20, top: 70, bottom: 40 },
			xAxis: {
				type: 'category',
				data: days.map((day) => day.day.slice(5)),
				axisLabel: { color: MUTED, fontSize: FONT },
			},
			yAxis: VALUE_AXIS,
			series: [
				...layers.map((layer) => ({
					name: layer,
					type: 'bar' as const,
					stack: 'actions',
					barMaxWidth: 48,
					data: days.map((day) => day.layers[layer] ?? 0),
				})),
				{
					name: 'page views',
					type: 'line',
					symbolSize: 10,
					lineStyle: { width: 3 },
					data: days.map((day) => day.views),
				},
				{
					name: 'reachable fans',
					type: 'line',
					symbolSize: 10,
					lineStyle: { width: 3, type: 'dashed' },
					data: days.map((day) => day.reachable),
				},
			],
		},
		WIDE,
	);
}
