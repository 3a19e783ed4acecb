import test from 'ava';
import { slopeOf, soakChartSpec, soakSection, type SoakResults } from '../../bench/soak-report.js';

test('slopeOf is the least-squares slope, NaN without two points', (t) => {
  t.is(slopeOf([[0, 1], [1, 3], [2, 5]]), 2);
  t.is(slopeOf([[0, 7], [5, 7]]), 0);
  t.true(Number.isNaN(slopeOf([[1, 1]])));
  t.true(Number.isNaN(slopeOf([[1, 1], [1, 2]])));
});

const results: SoakResults = {
  date: '2026-01-01T00:00:00.000Z',
  node: 'v20.0.0',
  connections: 500,
  minutes: 2,
  sampleSeconds: 60,
  size: 64,
  load: [1, 2],
  targets: [
    { target: 'ws4ts', baselineRss: 50e6, baselineHeap: 5e6, samples: [{ minute: 1, rss: 60e6, heapUsed: 8e6, connections: 500 }, { minute: 2, rss: 60e6, heapUsed: 8e6, connections: 500 }], rssSlopePerMinute: 0, heapSlopePerMinute: 0, sent: 60000, received: 59990, dropped: 0 },
  ],
};

test('the soak section says when a run was shortened, and counts missing echoes', (t) => {
  const md = soakSection(results, 'soak.svg');
  t.true(md.includes('**Shortened run**'));
  t.true(md.includes('![soak](soak.svg)'));
  t.true(md.includes('| ws4ts | 50.0 → 60.0 | 5.0 → 8.0 | 0.0 KB/min |'));
  t.true(md.includes('| 59990 / 60000 | 10 | 0 |'));
  t.false(soakSection({ ...results, connections: 10_000, minutes: 10 }, undefined).includes('Shortened'));
});

test('the soak chart has one panel for RSS and one for heap, a point per sample and measure', (t) => {
  const spec = soakChartSpec(results) as { hconcat: unknown[]; data: { values: unknown[] } };
  t.is(spec.hconcat.length, 2);
  t.is(spec.data.values.length, 4);
});
