/**
 * The soak's results (bench/soak.ts): their types, the least-squares slope,
 * the RSS / heap chart and the markdown section of bench/RESULTS.md.
 *
 * @module
 */
import type { ChartLibraries } from './chart.js';
import { markdownTable } from './lib/stats.js';

/** One sample of one server. */
export interface SoakSample {
  /** Minutes since the load started. */
  readonly minute: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly connections: number;
}

/** One server's soak. */
export interface SoakTargetResult {
  readonly target: string;
  readonly baselineRss: number;
  readonly baselineHeap: number;
  readonly samples: readonly SoakSample[];
  /** Bytes per minute after warm-up (least squares). */
  readonly rssSlopePerMinute: number;
  readonly heapSlopePerMinute: number;
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
}

/** Everything one soak measured. */
export interface SoakResults {
  readonly date: string;
  readonly node: string;
  readonly connections: number;
  readonly minutes: number;
  readonly sampleSeconds: number;
  readonly size: number;
  readonly load: readonly [number, number];
  readonly targets: readonly SoakTargetResult[];
}

/** Least-squares slope of `y` over `x`; NaN with fewer than two points. */
export function slopeOf(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? Number.NaN : num / den;
}

/** The chart's vega-lite spec: RSS and heap over time, one line per server. */
export function soakChartSpec(results: SoakResults): unknown {
  const values = results.targets.flatMap((t) =>
    t.samples.flatMap((s) => [
      { target: t.target, minute: s.minute, measure: 'RSS (MB)', value: s.rss / 1e6 },
      { target: t.target, minute: s.minute, measure: 'heap used (MB)', value: s.heapUsed / 1e6 },
    ]),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Soak: ${results.connections} connections × 1 message/s, ${results.minutes} min — ${results.date.slice(0, 10)}, Node ${results.node}`,
      anchor: 'start',
      subtitle: 'server memory after a full GC, sampled during the load; flat after warm-up means no leak',
    },
    data: { values },
    config: { legend: { orient: 'top' } },
    hconcat: ['RSS (MB)', 'heap used (MB)'].map((measure) => ({
      width: 300,
      height: 200,
      title: measure,
      transform: [{ filter: { field: 'measure', equal: measure } }],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'minute', type: 'quantitative', title: 'minutes' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: true } },
        color: { field: 'target', type: 'nominal', title: null },
      },
    })),
  };
}

/** Render the soak chart to SVG. */
export async function renderSoakChart(results: SoakResults, libs: ChartLibraries): Promise<string> {
  const view = new libs.vega.View(libs.vega.parse(libs.vegaLite.compile(soakChartSpec(results)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const mb = (n: number) => (n / 1e6).toFixed(1);
const perMin = (n: number) => (Number.isFinite(n) ? `${(n / 1e3).toFixed(1)} KB/min` : '–');

/** The markdown section, with the chart when `chartFile` is given. */
export function soakSection(results: SoakResults, chartFile: string | undefined): string {
  const shortened = results.minutes < 10 || results.connections < 10_000;
  const rows = results.targets.map((t) => {
    const last = t.samples.at(-1);
    const warm = t.samples.slice(1);
    const mean = warm.length ? warm.reduce((s, p) => s + p.rss, 0) / warm.length : Number.NaN;
    return [
      t.target,
      `${mb(t.baselineRss)} → ${last ? mb(last.rss) : '–'}`,
      `${mb(t.baselineHeap)} → ${last ? mb(last.heapUsed) : '–'}`,
      perMin(t.rssSlopePerMinute),
      Number.isFinite(mean) ? `${((t.rssSlopePerMinute / mean) * 100).toFixed(2)} %` : '–',
      perMin(t.heapSlopePerMinute),
      `${t.received} / ${t.sent}`,
      `${t.sent - t.received}`,
      `${t.dropped}`,
    ];
  });
  return [
    '## Soak (bench/soak.ts)',
    '',
    `${results.connections} connections per server, each sending one ${results.size}-byte binary message per second, for ${results.minutes} min,`,
    `ws4ts and ws (bufferutil) side by side on the same load at the same time; memory after a full GC every ${results.sampleSeconds} s.`,
    `Slopes are least-squares fits after warm-up (the first sample left out). Run ${results.date}, Node ${results.node}, load average ${results.load[0].toFixed(2)} → ${results.load[1].toFixed(2)}.`,
    ...(shortened ? ['', `**Shortened run**: the issue's figure is 10,000 connections for 10 minutes; this one is ${results.connections} for ${results.minutes} min.`] : []),
    '',
    ...(chartFile !== undefined ? [`![soak](${chartFile})`, ''] : []),
    markdownTable(['server', 'RSS MB (idle → last)', 'heap MB (idle → last)', 'RSS slope', 'RSS slope ÷ mean', 'heap slope', 'echoed / sent', 'missing', 'connections dropped'], rows),
  ].join('\n');
}
