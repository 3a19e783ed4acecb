/**
 * bench/RESULTS.md: environment, tables of medians and ratios, the targets
 * of issue 5 with what was measured against each, and the chart's data.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { CaseResult } from './parse.js';
import { cellLabel, type EchoCellResult } from './echo.js';
import type { FanoutResult } from './fanout.js';
import type { CapacityResult } from './capacity.js';
import type { RatioPoint } from './chart.js';
import { markdownTable, ratio, si } from './lib/stats.js';
import { issue15Section } from './targets.js';
import { soakSection, type SoakResults } from './soak-report.js';

/** Everything one `npm run bench` measured. */
export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly seconds: number;
  readonly pinned: boolean;
  /** The 1-minute load average when the run started and when it ended (other work on the machine skews results). */
  readonly load?: readonly [number, number];
  readonly parse?: readonly CaseResult[];
  readonly echo?: readonly EchoCellResult[];
  readonly fanout?: readonly FanoutResult[];
  readonly capacity?: readonly CapacityResult[];
  /** bench/micro.ts's own output, verbatim. */
  readonly micro?: string;
  /** bench/deflate-echo.ts and bench/deflate-memory.ts output, verbatim. */
  readonly deflate?: string;
  /** The last soak (bench/soak.json, written by bench/soak.ts: too long for `npm run bench`). */
  readonly soak?: SoakResults;
  /** Sections that failed or were skipped, with the reason. */
  readonly notes: readonly string[];
}

/** The CPU model line of /proc/cpuinfo (or os.cpus() elsewhere). */
export function cpuLine(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return `${match[1]!.trim()} (${cpus().length} CPUs)`;
  } catch {
    // not Linux
  }
  return `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} CPUs)`;
}

const num = (n: number) => (Number.isFinite(n) ? si(n) : '–');
const us = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '–');
const kb = (n: number) => (Number.isFinite(n) ? (n / 1000).toFixed(2) : '–');

function find<T extends { target: string }>(list: readonly T[], name: string): T | undefined {
  return list.find((t) => t.target === name);
}

function parseSection(results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const mb = (name: string) => find(r.targets, name)?.mbps ?? Number.NaN;
    const text = r.case.kind !== 'binary';
    return [
      r.case.name,
      num(mb('ours') * 1e6),
      num(mb(text ? 'ws-js+str' : 'ws-js') * 1e6),
      num(mb(text ? 'ws-native+str' : 'ws-native') * 1e6),
      num(find(r.targets, 'ours')?.framesPerSecond ?? Number.NaN),
      ratio(r.vsWsJs),
      ratio(r.vsWsNative),
      text ? ratio(r.vsWsNativeBuffer) : '',
      r.vsWsJs >= 1.5 && r.vsWsNative >= 1.0 ? 'yes' : '**no**',
    ];
  });
  return [
    '## Parser',
    '',
    'Masked client frames in 64 KiB chunks through the full receive path (ws4ts: `Connection`, server role, events drained,',
    'text decoded to strings) and through ws\'s `Receiver` (`isServer: true`, a `message` listener), same bytes, same process,',
    'interleaved. Payload bytes per second. For text, ws is measured with `toString()` on each message (like for like); the',
    'last ratio column compares our strings with ws\'s undecoded Buffers. Target: ≥ 1.5× ws pure JS and ≥ 1.0× ws + bufferutil.',
    '',
    markdownTable(['case', 'ws4ts B/s', 'ws JS B/s', 'ws native B/s', 'ws4ts frames/s', '÷ ws JS', '÷ ws native', '÷ ws native (Buffer)', 'met'], rows),
  ].join('\n');
}

/**
 * Before/after in one run (`--baseline REF`): this tree's hooks echo and
 * serve() capacity over the baseline commit's, each also against ws so a
 * reader can check that both sides moved together. Undefined without one.
 */
function baselineSection(r: BenchResults): string | undefined {
  const echo = (r.echo ?? []).filter((c) => c.ratios['ws4ts-hooks/ws4ts-baseline'] !== undefined);
  const now = find(r.capacity ?? [], 'ws4ts-serve');
  const then = find(r.capacity ?? [], 'ws4ts-serve-baseline');
  if (echo.length === 0 && then === undefined) return undefined;
  const parts = ['## Before / after (`--baseline`)', '', 'Echo: this tree (hooks shape) and the baseline commit, in the same interleaved rounds.', ''];
  parts.push(
    markdownTable(
      ['cell', 'now msg/s', 'baseline msg/s', 'now ÷ baseline', 'now ÷ ws native', 'baseline ÷ ws native'],
      echo.map((c) => [
        cellLabel(c),
        num(find(c.targets, 'ws4ts-hooks')?.messagesPerSecond ?? Number.NaN),
        num(find(c.targets, 'ws4ts-baseline')?.messagesPerSecond ?? Number.NaN),
        ratio(c.ratios['ws4ts-hooks/ws4ts-baseline'] ?? Number.NaN),
        ratio(c.ratios['ws4ts-hooks/ws-native'] ?? Number.NaN),
        ratio(c.ratios['ws4ts-baseline/ws-native'] ?? Number.NaN),
      ]),
    ),
  );
  if (now !== undefined && then !== undefined) {
    parts.push(
      '',
      'Capacity (`serve()`): idle memory and accept rate.',
      '',
      markdownTable(
        ['', 'now', 'baseline', 'now ÷ baseline'],
        [
          ['RSS per idle connection', `${(now.rssPerConnection / 1000).toFixed(1)} KB`, `${(then.rssPerConnection / 1000).toFixed(1)} KB`, ratio(now.rssPerConnection / then.rssPerConnection)],
          ['heap per idle connection', `${(now.heapPerConnection / 1000).toFixed(2)} KB`, `${(then.heapPerConnection / 1000).toFixed(2)} KB`, ratio(now.heapPerConnection / then.heapPerConnection)],
          ['accepts per second', num(now.acceptRate), num(then.acceptRate), ratio(now.acceptRate / then.acceptRate)],
          ['accepts per server CPU second', num(now.acceptPerCpuSecond), num(then.acceptPerCpuSecond), ratio(now.acceptPerCpuSecond / then.acceptPerCpuSecond)],
        ],
      ),
    );
  }
  return parts.join('\n');
}

function echoSection(results: readonly EchoCellResult[]): string {
  const names = ['ws4ts-hooks', 'ws4ts-loop', 'ws4ts-observable', 'ws-js', 'ws-native', 'bun', 'raw-tcp'];
  const throughput = results.map((r) => [
    cellLabel(r),
    ...names.map((n) => num(find(r.targets, n)?.messagesPerSecond ?? Number.NaN)),
    ratio(r.ratios['ws4ts-hooks/bun'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-hooks/ws-native'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-hooks/ws-js'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-loop/ws4ts-hooks'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-observable/ws4ts-hooks'] ?? Number.NaN),
  ]);
  const latency = results
    .filter((r) => r.window === 1)
    .map((r) => {
      const t = (n: string) => find(r.targets, n);
      const hooks = t('ws4ts-hooks');
      const ws = t('ws-native');
      return [
        cellLabel(r),
        `${us(hooks?.p50 ?? Number.NaN)} / ${us(hooks?.p99 ?? Number.NaN)}`,
        `${us(t('ws4ts-loop')?.p50 ?? Number.NaN)} / ${us(t('ws4ts-loop')?.p99 ?? Number.NaN)}`,
        `${us(t('ws4ts-observable')?.p50 ?? Number.NaN)} / ${us(t('ws4ts-observable')?.p99 ?? Number.NaN)}`,
        `${us(t('ws-js')?.p50 ?? Number.NaN)} / ${us(t('ws-js')?.p99 ?? Number.NaN)}`,
        `${us(ws?.p50 ?? Number.NaN)} / ${us(ws?.p99 ?? Number.NaN)}`,
        `${us(t('bun')?.p50 ?? Number.NaN)} / ${us(t('bun')?.p99 ?? Number.NaN)}`,
        `${us(t('raw-tcp')?.p50 ?? Number.NaN)} / ${us(t('raw-tcp')?.p99 ?? Number.NaN)}`,
        ratio((hooks?.p99 ?? Number.NaN) / (ws?.p99 ?? Number.NaN)),
      ];
    });
  const cpu = results.map((r) => [
    cellLabel(r),
    ...names.map((n) => pct(find(r.targets, n)?.serverCpu ?? Number.NaN)),
    pct(find(r.targets, 'raw-tcp')?.loadgenCpu ?? Number.NaN),
    pct(find(r.targets, 'ws4ts-hooks')?.loadgenCpu ?? Number.NaN),
  ]);
  const dropped = results.flatMap((r) => r.targets.filter((t) => t.dropped > 0).map((t) => `${cellLabel(r)}: ${t.target} lost ${t.dropped} connections`));
  return [
    '## Echo over loopback',
    '',
    'Binary messages echoed per second (medians over rounds); one load generator (pre-encoded masked frames over raw',
    'node:net sockets, counting echoed frames from their headers) in its own process; each server in its own process.',
    '`window` = messages in flight per connection. Ratios are medians of per-round ratios. ws4ts runs `serve()` with an',
    'echo handler in each shape (bench/servers/ws4ts-serve.ts, transpiled from src/ like dist/). Bun is `Bun.serve`',
    'with its built-in WebSocket server (uWebSockets inside), run by the binary of the dev dependency `@oven/bun-linux-x64`.',
    '',
    markdownTable(
      ['cell', 'ws4ts hooks', 'ws4ts loop', 'ws4ts observable', 'ws JS', 'ws native', 'Bun', 'raw TCP', 'hooks ÷ Bun', 'hooks ÷ ws native', 'hooks ÷ ws JS', 'hooks ÷ raw', 'loop ÷ hooks', 'observable ÷ hooks'],
      throughput,
    ),
    '',
    '### Latency (window 1): round trip p50 / p99 in µs',
    '',
    markdownTable(['cell', 'ws4ts hooks', 'ws4ts loop', 'ws4ts observable', 'ws JS', 'ws native', 'Bun', 'raw TCP', 'hooks p99 ÷ ws native p99'], latency),
    '',
    '### CPU use during the measurement (server process; 100% = one core)',
    '',
    'When the load generator sits near 100%, it, not the server, limits that cell (mostly the raw-TCP ceiling on small messages).',
    '',
    markdownTable(['cell', ...names, 'load generator (raw TCP)', 'load generator (ws4ts hooks)'], cpu),
    ...(dropped.length > 0 ? ['', 'Connections lost during a measurement:', '', ...dropped.map((d) => `- ${d}`)] : []),
  ].join('\n');
}

function fanoutSection(results: readonly FanoutResult[]): string {
  const names = ['ws4ts-loop', 'ws4ts-prepared', 'ws4ts-manager', 'ws-js', 'ws-native', 'raw-tcp'];
  const rows = results.map((r) => [
    `${r.size} B to ${r.clients} clients`,
    ...names.map((n) => {
      const t = find(r.targets, n);
      return t?.error !== undefined ? 'n/a' : num(t?.messagesPerSecond ?? Number.NaN);
    }),
    ratio(r.ratios['ws4ts-loop/ws-native'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-prepared/ws-native'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-manager/ws-native'] ?? Number.NaN),
    ratio(r.ratios['ws4ts-loop/raw-tcp'] ?? Number.NaN),
  ]);
  const cpuRows = results.map((r) => [
    `${r.size} B to ${r.clients} clients`,
    ...names.map((n) => {
      const t = find(r.targets, n);
      return t?.error !== undefined ? 'n/a' : Number.isFinite(t?.cpuMicrosPerMessage ?? Number.NaN) ? t!.cpuMicrosPerMessage.toFixed(2) : '–';
    }),
    ratio(r.cpuRatios['ws4ts-loop/ws-native'] ?? Number.NaN),
    ratio(r.cpuRatios['ws4ts-prepared/ws-native'] ?? Number.NaN),
    ratio(r.cpuRatios['ws4ts-manager/ws-native'] ?? Number.NaN),
    pct(find(r.targets, 'raw-tcp')?.loadgenCpu ?? Number.NaN),
  ]);
  const errors = results.flatMap((r) => r.targets.filter((t) => t.error !== undefined).map((t) => `${t.target}: ${t.error}`));
  return [
    '## Fan-out',
    '',
    `Messages delivered per second when the server broadcasts to every client, ${results[0]?.broadcasts ?? ''} broadcasts per sample, each`,
    'in its own macrotask. ws: its documented `wss.clients.forEach((c) => { if (c.readyState === WebSocket.OPEN) c.send(data) })`;',
    'ws4ts loop: `for (const ws of clients) ws.send(data)`; prepared: `prepareMessage` once + `sendPrepared`; manager:',
    '`WebSocketManager.broadcast`; raw TCP: one pre-framed buffer written to every socket.',
    '',
    markdownTable(['case', ...names, 'loop ÷ ws native', 'prepared ÷ ws native', 'manager ÷ ws native', 'loop ÷ raw'], rows),
    '',
    '### Server CPU per delivered message (µs; lower is better) and ws ÷ ws4ts',
    '',
    'One load-generator process receives every copy; when its CPU use nears 100% it sets the pace for all servers alike,',
    'and the server CPU time per message is the figure that tells them apart.',
    '',
    markdownTable(['case', ...names, 'ws native ÷ loop', 'ws native ÷ prepared', 'ws native ÷ manager', 'load generator CPU'], cpuRows),
    ...(errors.length > 0 ? ['', ...[...new Set(errors)].map((e) => `- ${e}`)] : []),
  ].join('\n');
}

function capacitySection(results: readonly CapacityResult[]): string {
  const base = find(results, 'http-upgrade');
  const ws = find(results, 'ws-native');
  const bare = find(results, 'raw-tcp');
  const isBase = (name: string) => name === 'http-upgrade' || name === 'raw-tcp';
  const rows = results.map((r) => [
    r.target,
    `${r.connections}`,
    kb(r.rssPerConnection),
    kb(r.heapPerConnection),
    kb(r.externalPerConnection),
    base && !isBase(r.target) ? kb(r.rssPerConnection - base.rssPerConnection) : '',
    base && !isBase(r.target) ? kb(r.heapPerConnection - base.heapPerConnection) : '',
    Number.isFinite(r.acceptSeconds) ? `${r.acceptSeconds.toFixed(2)} s (${num(r.connections / r.acceptSeconds)}/s)` : '–',
    ws ? ratio(r.connections / r.acceptSeconds / (ws.connections / ws.acceptSeconds)) : '',
    Number.isFinite(r.acceptPerCpuSecond) ? `${num(r.acceptPerCpuSecond)}/s` : '–',
    ws ? ratio(r.acceptPerCpuSecond / ws.acceptPerCpuSecond) : '',
    bare ? ratio(r.rssPerConnection / bare.rssPerConnection) : '',
    r.error ?? '',
  ]);
  return [
    '## Capacity: idle connections',
    '',
    'Server memory after a full GC (`--expose-gc`, three collections) with N idle connections, minus the same before any,',
    'divided by N; KB = 1000 bytes. raw TCP is a bare node:net socket; http-upgrade is node:http accepting the upgrade and',
    'holding the bare socket — the baseline for ws and ws4ts, which both accept through node:http, so "added" = library −',
    'http-upgrade (ws4ts-serve is `serve()`, its own head parser on node:net; Bun is `Bun.serve`, measured the same way over',
    'its HTTP control endpoint after `Bun.gc(true)`; heap figures of Bun are JavaScriptCore\'s, not comparable). Accept time: the load generator opening and upgrading all N connections, 200 handshakes in flight at a',
    'time; "accepted per server CPU second" divides N by the server\'s CPU time over the same span (/proc), the rate one core',
    `could sustain whatever paced the load generator. The descriptor limit is raised to the hard limit (${hardLimit()}) in each child's shell.`,
    '',
    markdownTable(['server', 'connections', 'RSS KB/conn', 'heap KB/conn', 'external KB/conn', 'RSS added', 'heap added', 'time to accept', 'accept rate ÷ ws native', 'accepted per server CPU second', 'per CPU second ÷ ws native', 'RSS ÷ bare socket', 'error'], rows),
  ].join('\n');
}

function hardLimit(): string {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    if (match) return `${match[2]} descriptors`;
  } catch {
    // not Linux
  }
  return 'unknown';
}

/** Issue 5's targets, each with what was measured. */
function targetsSection(r: BenchResults): string {
  const rows: string[][] = [];
  const minOf = (values: number[]) => (values.length ? Math.min(...values.filter(Number.isFinite)) : Number.NaN);
  const maxOf = (values: number[]) => (values.length ? Math.max(...values.filter(Number.isFinite)) : Number.NaN);
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');
  if (r.parse?.length) {
    const js = minOf(r.parse.map((c) => c.vsWsJs));
    const native = minOf(r.parse.map((c) => c.vsWsNative));
    rows.push(['parser ≥ 1.5× ws JS, ≥ 1.0× ws native, every case', `min ${ratio(js)} / min ${ratio(native)}`, verdict(js >= 1.5 && native >= 1.0)]);
  }
  if (r.echo?.length) {
    const e = r.echo;
    const pipelined = e.filter((c) => c.window > 1);
    const vsWs = minOf(pipelined.map((c) => c.ratios['ws4ts-hooks/ws-native'] ?? Number.NaN));
    const vsWsAll = minOf(e.map((c) => c.ratios['ws4ts-hooks/ws-native'] ?? Number.NaN));
    if (pipelined.length) rows.push(['echo throughput (window > 1) ≥ 1.3× ws (native), every size and concurrency', `min ${ratio(vsWs)}`, verdict(vsWs >= 1.3)]);
    rows.push(['the same, counting window-1 (latency-bound) cells too', `min ${ratio(vsWsAll)}`, verdict(vsWsAll >= 1.3)]);
    const small = e.filter((c) => c.cell.size === 32 && c.window === 32);
    const smallRaw = minOf(small.map((c) => c.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN));
    if (small.length) rows.push(['≥ 0.5× raw TCP, 32 B, window 32', `min ${ratio(smallRaw)} (${small.map((c) => `${c.cell.connections} conn ${ratio(c.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN)}`).join(', ')})`, verdict(smallRaw >= 0.5)]);
    const kib500 = e.filter((c) => c.cell.size === 1024 && c.cell.connections === 500);
    if (kib500.length) {
      const worst = minOf(kib500.map((c) => c.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN));
      rows.push(['≥ 0.9× raw TCP, 1 KiB, 500 connections', kib500.map((c) => `window ${c.window}: ${ratio(c.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN)}`).join(', '), verdict(worst >= 0.9)]);
    }
    const lat = e.filter((c) => c.window === 1);
    const p99 = maxOf(lat.map((c) => (find(c.targets, 'ws4ts-hooks')?.p99 ?? Number.NaN) / (find(c.targets, 'ws-native')?.p99 ?? Number.NaN)));
    if (lat.length) rows.push(['p99 latency ≤ ws (native), window 1', `worst hooks ÷ ws ${ratio(p99)}`, verdict(p99 <= 1)]);
    const loop = minOf(e.map((c) => c.ratios['ws4ts-loop/ws4ts-hooks'] ?? Number.NaN));
    const obs = minOf(e.map((c) => c.ratios['ws4ts-observable/ws4ts-hooks'] ?? Number.NaN));
    rows.push(['`for await` and observable within 10 % of hooks', `min loop ${ratio(loop)}, min observable ${ratio(obs)}`, verdict(loop >= 0.9 && obs >= 0.9)]);
  }
  if (r.fanout?.length) {
    const f = minOf(r.fanout.map((x) => x.ratios['ws4ts-loop/ws-native'] ?? Number.NaN));
    const cpu = minOf(r.fanout.map((x) => x.cpuRatios['ws4ts-loop/ws-native'] ?? Number.NaN));
    rows.push(['fan-out vs ws (plain send loop), delivered messages/s', `min ${ratio(f)}`, verdict(f >= 1)]);
    rows.push(['fan-out vs ws, server CPU per message (ws ÷ ws4ts)', `min ${ratio(cpu)}`, verdict(cpu >= 1)]);
  }
  if (r.capacity?.length) {
    const c = r.capacity;
    const ours = find(c, 'ws4ts');
    const ws = find(c, 'ws-native');
    const raw = find(c, 'http-upgrade');
    if (ours && ws && raw) {
      const rssOk = ours.rssPerConnection <= raw.rssPerConnection + 0.5 * (ws.rssPerConnection - raw.rssPerConnection);
      const heapOk = ours.heapPerConnection <= raw.heapPerConnection + 0.5 * (ws.heapPerConnection - raw.heapPerConnection);
      rows.push([
        'memory per idle connection ≤ bare socket (node:http upgrade) + ½ of what ws adds',
        `RSS: ws4ts adds ${kb(ours.rssPerConnection - raw.rssPerConnection)} KB, ws ${kb(ws.rssPerConnection - raw.rssPerConnection)} KB; heap: ws4ts adds ${kb(ours.heapPerConnection - raw.heapPerConnection)} KB, ws ${kb(ws.heapPerConnection - raw.heapPerConnection)} KB`,
        verdict(rssOk && heapOk),
      ]);
    }
  }
  return ['## Targets of round 1 (issue 5)', '', markdownTable(['target', 'measured', 'met'], rows)].join('\n');
}

/** The points the chart draws. */
export function ratioPoints(r: BenchResults): RatioPoint[] {
  const points: RatioPoint[] = [];
  for (const c of r.parse ?? []) {
    points.push({ section: 'parse (MB/s)', case: c.case.name, comparison: 'vs ws (pure JS)', ratio: c.vsWsJs });
    points.push({ section: 'parse (MB/s)', case: c.case.name, comparison: 'vs ws (bufferutil)', ratio: c.vsWsNative });
  }
  for (const c of r.echo ?? []) {
    const label = cellLabel(c);
    points.push({ section: 'echo, hooks handler (messages/s)', case: label, comparison: 'vs ws (pure JS)', ratio: c.ratios['ws4ts-hooks/ws-js'] ?? Number.NaN });
    points.push({ section: 'echo, hooks handler (messages/s)', case: label, comparison: 'vs ws (bufferutil)', ratio: c.ratios['ws4ts-hooks/ws-native'] ?? Number.NaN });
    points.push({ section: 'echo, hooks handler (messages/s)', case: label, comparison: 'vs raw TCP', ratio: c.ratios['ws4ts-hooks/raw-tcp'] ?? Number.NaN });
    if (c.ratios['ws4ts-hooks/bun'] !== undefined) points.push({ section: 'echo, hooks handler (messages/s)', case: label, comparison: 'vs Bun', ratio: c.ratios['ws4ts-hooks/bun'] });
  }
  for (const f of r.fanout ?? []) {
    const label = `${f.size} B to ${f.clients}`;
    points.push({ section: 'fan-out, send loop (messages/s)', case: label, comparison: 'vs ws (pure JS)', ratio: f.ratios['ws4ts-loop/ws-js'] ?? Number.NaN });
    points.push({ section: 'fan-out, send loop (messages/s)', case: label, comparison: 'vs ws (bufferutil)', ratio: f.ratios['ws4ts-loop/ws-native'] ?? Number.NaN });
    points.push({ section: 'fan-out, send loop (messages/s)', case: label, comparison: 'vs raw TCP', ratio: f.ratios['ws4ts-loop/raw-tcp'] ?? Number.NaN });
  }
  return points;
}

/** The whole RESULTS.md. */
export function renderResults(r: BenchResults, chartFile: string | undefined, soakChartFile?: string): string {
  const parts = [
    '# ws4ts benchmarks',
    '',
    `Generated by \`npm run bench${r.quick ? ':quick' : ''}\` (bench/run.ts) — do not edit by hand.`,
    '',
    markdownTable(
      ['', ''],
      [
        ['date', r.date],
        ['Node', process.version],
        ['CPU', cpuLine()],
        ['mode', r.quick ? 'quick (subset, short samples)' : 'full'],
        ['pinning', r.pinned ? 'servers on CPU 0, load generator on CPU 1 (taskset)' : 'none (taskset missing or one CPU)'],
        ['run time', `${Math.round(r.seconds)} s`],
        ['load average (1 min) at start / end', r.load ? `${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}` : '–'],
      ],
    ),
    '',
    'Medians over interleaved rounds (targets take turns, A B C A B C …); ratios are medians of per-round ratios, so',
    'drift on a shared machine cancels out as far as it can. Numbers are for comparison within one run, on this machine.',
  ];
  if (chartFile !== undefined) parts.push('', `![ws4ts ÷ peers](${chartFile})`);
  parts.push('', issue15Section(r), '', targetsSection(r));
  const before = baselineSection(r);
  if (before !== undefined) parts.push('', before);
  if (r.parse?.length) parts.push('', parseSection(r.parse));
  if (r.echo?.length) parts.push('', echoSection(r.echo));
  if (r.fanout?.length) parts.push('', fanoutSection(r.fanout));
  if (r.capacity?.length) parts.push('', capacitySection(r.capacity));
  if (r.deflate !== undefined) {
    parts.push('', '## permessage-deflate (bench/deflate-echo.ts, bench/deflate-memory.ts)', '', 'Targets (issue 7): deflate echo throughput ≥ 1.0× ws with deflate; memory per idle deflate connection ≤ 0.5× ws.', '', '```', r.deflate.trimEnd(), '```');
  }
  if (r.soak !== undefined) parts.push('', soakSection(r.soak, soakChartFile));
  if (r.micro !== undefined) parts.push('', '## Micro (bench/micro.ts)', '', '```', r.micro.trimEnd(), '```');
  if (r.notes.length > 0) parts.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return `${parts.join('\n')}\n`;
}
