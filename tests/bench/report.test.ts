import test from 'ava';
import { cpuLine, ratioPoints, renderResults, type BenchResults } from '../../bench/report.js';
import { loadChartLibraries, ratioChartSpec, renderRatioChart } from '../../bench/chart.js';

const sample: BenchResults = {
  date: '2026-01-01T00:00:00.000Z',
  quick: true,
  seconds: 12,
  pinned: false,
  notes: ['a note'],
  parse: [
    {
      case: { name: 'binary 16 B', kind: 'binary', size: 16, fragment: 0 },
      targets: [
        { target: 'ours', mbps: 100, framesPerSecond: 6e6, messagesPerSecond: 6e6, samples: [100] },
        { target: 'ws-js', mbps: 40, framesPerSecond: 2.5e6, messagesPerSecond: 2.5e6, samples: [40] },
        { target: 'ws-native', mbps: 45, framesPerSecond: 2.8e6, messagesPerSecond: 2.8e6, samples: [45] },
      ],
      vsWsJs: 2.5,
      vsWsNative: 2.2,
      vsWsJsBuffer: Number.NaN,
      vsWsNativeBuffer: Number.NaN,
    },
  ],
  echo: [
    {
      cell: { size: 32, connections: 50, window: 32 },
      window: 32,
      targets: ['ws4ts-hooks', 'ws-native', 'raw-tcp'].map((target, i) => ({
        target,
        messagesPerSecond: 1e6 / (i + 1),
        mbps: 32,
        p50: Number.NaN,
        p99: Number.NaN,
        dropped: 0,
        serverCpu: 1,
        loadgenCpu: 0.5,
        samples: [1e6 / (i + 1)],
      })),
      ratios: { 'ws4ts-hooks/ws-native': 2, 'ws4ts-hooks/raw-tcp': 3 },
    },
  ],
};

test('the report has the environment, the targets and every section measured', (t) => {
  const md = renderResults(sample, 'ratios.svg');
  for (const part of ['# ws4ts benchmarks', process.version, cpuLine(), '## Targets (issue 15: speed round 2)', '## Targets of round 1 (issue 5)', '## Parser', '## Echo over loopback', '![ws4ts ÷ peers](ratios.svg)', '- a note']) {
    t.true(md.includes(part), part);
  }
  t.true(md.includes('| binary 16 B |'));
  t.true(md.includes('| 32 B, 50 conn, window 32 |'));
  t.false(md.includes('## Fan-out'));
});

test('the chart has one panel per section and skips ratios that were not measured', (t) => {
  const points = ratioPoints(sample);
  const spec = ratioChartSpec(points, 'title') as { vconcat: unknown[]; data: { values: unknown[] } };
  t.is(spec.vconcat.length, 2);
  t.is(spec.data.values.length, points.filter((p) => Number.isFinite(p.ratio)).length);
});

test('the chart renders to SVG when vega and vega-lite are installed', async (t) => {
  const libs = await loadChartLibraries();
  // vega and vega-lite are dev dependencies: they must be there.
  if (libs === undefined) {
    t.fail('vega / vega-lite are not installed');
    return;
  }
  const svg = await renderRatioChart(ratioPoints(sample), 'title', libs);
  t.true(svg.startsWith('<svg'));
});

test('a run with --baseline gets a before/after section: echo per cell and serve() capacity, each over the baseline', (t) => {
  const cell = sample.echo![0]!;
  const capacity = (target: string, rss: number, rate: number) => ({
    target,
    connections: 2000,
    rssPerConnection: rss,
    heapPerConnection: 2900,
    externalPerConnection: 0,
    acceptSeconds: 2000 / rate,
    acceptRate: rate,
    acceptPerCpuSecond: rate,
  });
  const withBaseline: BenchResults = {
    ...sample,
    echo: [{ ...cell, targets: [...cell.targets, { ...cell.targets[0]!, target: 'ws4ts-baseline', messagesPerSecond: 8e5 }], ratios: { ...cell.ratios, 'ws4ts-hooks/ws4ts-baseline': 1.25, 'ws4ts-baseline/ws-native': 1.6 } }],
    capacity: [capacity('ws4ts-serve', 9000, 3000), capacity('ws4ts-serve-baseline', 10000, 2500)],
  };
  const md = renderResults(withBaseline, undefined);
  t.true(md.includes('## Before / after (`--baseline`)'));
  const row = md.split('\n').find((line) => line.startsWith('| 32 B, 50 conn, window 32 |') && line.includes('1.25'));
  t.truthy(row, 'the echo row carries now ÷ baseline');
  t.true(row!.includes('1.60'), 'and baseline ÷ ws native');
  t.true(md.split('\n').some((line) => line.startsWith('| RSS per idle connection |') && line.includes('0.90')));
  t.true(md.split('\n').some((line) => line.startsWith('| accepts per second |') && line.includes('1.20')));
  t.false(renderResults(sample, undefined).includes('Before / after'), 'no section without a baseline');
});
