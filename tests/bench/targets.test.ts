import test from 'ava';
import { issue15Section, issue15Targets } from '../../bench/targets.js';
import type { BenchResults } from '../../bench/report.js';
import type { EchoCellResult } from '../../bench/echo.js';
import type { CapacityResult } from '../../bench/capacity.js';

function cell(size: number, connections: number, window: number, ratios: Record<string, number>): EchoCellResult {
  return { cell: { size, connections, window }, window, targets: [], ratios };
}
function capacity(target: string, acceptRate: number, rss: number): CapacityResult {
  return { target, connections: 2000, rssPerConnection: rss, heapPerConnection: 0, externalPerConnection: 0, acceptSeconds: 2000 / acceptRate, acceptRate, acceptPerCpuSecond: acceptRate * 2 };
}
const base = { date: '2026-01-01T00:00:00.000Z', quick: true, seconds: 1, pinned: false, notes: [] };

test('the 32 B × 1 × 1 cell is held to 0.95× Bun, every other cell to 1.0×', (t) => {
  const ok = (ratios: Record<string, number>) => ({ 'ws4ts-loop/ws4ts-hooks': 1, 'ws4ts-observable/ws4ts-hooks': 1, ...ratios });
  const meets: BenchResults = { ...base, echo: [cell(32, 1, 1, ok({ 'ws4ts-hooks/bun': 0.96 })), cell(1024, 50, 1, ok({ 'ws4ts-hooks/bun': 1.01 }))] };
  t.true(issue15Targets(meets)[0]!.met);
  const misses: BenchResults = { ...base, echo: [cell(32, 1, 1, ok({ 'ws4ts-hooks/bun': 0.96 })), cell(1024, 50, 1, ok({ 'ws4ts-hooks/bun': 0.9 }))] };
  const row = issue15Targets(misses)[0]!;
  t.false(row.met);
  t.is(row.shortBy, 0.9);
  t.regex(row.measured, /1 of 2 cells short/);
});

test('ceiling, large-message and shape targets read their own cells', (t) => {
  const results: BenchResults = {
    ...base,
    echo: [
      cell(1024, 500, 1, { 'ws4ts-hooks/raw-tcp': 0.95, 'ws4ts-loop/ws4ts-hooks': 0.8, 'ws4ts-observable/ws4ts-hooks': 0.95 }),
      cell(32, 50, 32, { 'ws4ts-hooks/raw-tcp': 0.5 }),
      cell(65536, 50, 1, { 'ws4ts-hooks/ws-native': 1.4 }),
    ],
  };
  const rows = new Map(issue15Targets(results).map((r) => [r.target, r]));
  t.true(rows.get('1 KiB × 500 × window 1 ≥ 0.9× the raw node:net ceiling')!.met);
  t.false(rows.get('32 B × 50 × window 32 ≥ 0.8× the ceiling')!.met);
  t.true(rows.get('64 KiB and 1 MiB ≥ 1.3× ws + bufferutil')!.met);
  t.false(rows.get('`for await` shape ≥ 0.9× hooks, every cell')!.met);
  t.true(rows.get('observable shape ≥ 0.9× hooks, every cell')!.met);
  t.is(rows.get('every echo cell ≥ 1.0× Bun (32 B × 1 × 1: ≥ 0.95×)')!.met, undefined, 'no Bun figures: not measured, not failed');
});

test('accept rate, idle memory and deflate targets', (t) => {
  const results: BenchResults = {
    ...base,
    capacity: [capacity('ws4ts', 3000, 7000), capacity('ws4ts-serve', 4500, 9000), capacity('ws-native', 2000, 9500), capacity('raw-tcp', 5000, 8000)],
    deflate: 'table…\n\nws4ts ÷ ws, defaults: 1 KiB 1.45×, 16 KiB 1.20×\n',
  };
  const rows = issue15Targets(results);
  const accept = rows.find((r) => r.target.startsWith('accept'))!;
  t.true(accept.met, 'the best ws4ts server counts: 4500 ÷ 2000');
  const rss = rows.find((r) => r.target.startsWith('idle'))!;
  t.false(rss.met, '7000 ÷ 8000 = 0.875 > 0.8');
  const deflate = rows.find((r) => r.target.startsWith('permessage-deflate'))!;
  t.false(deflate.met, 'the worst size counts: 1.20');
  t.true(issue15Section(results).includes('## Targets (issue 15: speed round 2)'));
});
