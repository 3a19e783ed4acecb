/**
 * The ratio chart: a vega-lite spec rendered to SVG by vega, headless (no
 * canvas needed: text is measured by estimate).
 *
 * @module
 */

/** One bar: ws4ts's throughput divided by a peer's, for one case. */
export interface RatioPoint {
  /** Benchmark section, e.g. `parse`, `echo`, `fan-out`. */
  readonly section: string;
  /** The case, e.g. `binary 1 KiB` or `32 B, 50 conn, window 32`. */
  readonly case: string;
  /** What ws4ts is compared with, e.g. `vs ws (bufferutil)`. */
  readonly comparison: string;
  readonly ratio: number;
}

/** The parts of vega and vega-lite used here (both ship their own full types). */
export interface ChartLibraries {
  readonly vega: {
    parse(spec: unknown): unknown;
    View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
  };
  readonly vegaLite: { compile(spec: unknown): { spec: unknown } };
}

/**
 * Load vega and vega-lite (dev dependencies). Resolves `undefined` when they
 * are not installed, so the benchmark still writes its tables.
 */
export async function loadChartLibraries(): Promise<ChartLibraries | undefined> {
  // Names in variables: the chart is optional, and type-checking must not
  // depend on the packages being installed.
  const vegaName = 'vega';
  const vegaLiteName = 'vega-lite';
  try {
    const [vega, vegaLite] = (await Promise.all([import(vegaName), import(vegaLiteName)])) as [ChartLibraries['vega'], ChartLibraries['vegaLite']];
    return { vega, vegaLite };
  } catch {
    return undefined;
  }
}

/** The vega-lite spec: one panel per section, horizontal bars on a log scale, a rule at 1×. */
export function ratioChartSpec(points: readonly RatioPoint[], title: string): unknown {
  const values = points.filter((p) => Number.isFinite(p.ratio) && p.ratio > 0).map((p) => ({ ...p, label: `${p.ratio.toFixed(2)}×` }));
  const sections = [...new Set(values.map((v) => v.section))];
  const comparisons = [...new Set(values.map((v) => v.comparison))];
  const max = Math.max(10, ...values.map((v) => v.ratio * 2));
  const min = Math.min(0.1, ...values.map((v) => v.ratio / 2));
  const y = { field: 'case', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } };
  const yOffset = { field: 'comparison', type: 'nominal', scale: { domain: comparisons } };
  const x = { field: 'ratio', type: 'quantitative', scale: { type: 'log', domain: [min, max], clamp: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', subtitle: 'ws4ts throughput ÷ peer throughput, log scale; right of the black line ws4ts is faster' },
    data: { values },
    config: { view: { stroke: null }, legend: { orient: 'top' } },
    vconcat: sections.map((section, i) => ({
      title: { text: section, anchor: 'start', fontSize: 13 },
      width: 520,
      transform: [{ filter: { field: 'section', equal: section } }],
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            y,
            yOffset,
            x: { ...x, title: i === sections.length - 1 ? 'ratio (×)' : null },
            color: { field: 'comparison', type: 'nominal', title: null, scale: { domain: comparisons } },
          },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 }, encoding: { y, yOffset, x, text: { field: 'label' } } },
        { mark: { type: 'rule', color: 'black', strokeWidth: 1.5 }, encoding: { x: { datum: 1 } } },
      ],
    })),
    resolve: { scale: { color: 'shared' } },
  };
}

/** Render the ratio chart to an SVG string. */
export async function renderRatioChart(points: readonly RatioPoint[], title: string, libs: ChartLibraries): Promise<string> {
  const compiled = libs.vegaLite.compile(ratioChartSpec(points, title)).spec;
  const view = new libs.vega.View(libs.vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
