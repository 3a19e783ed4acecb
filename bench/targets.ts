/**
 * Issue 15's targets (speed round 2), each checked against one run's
 * results: a ratio measured side by side in that run, whether it is met, and
 * for a miss by how much. Rendered first in bench/RESULTS.md; never a timed
 * test.
 *
 * @module
 */
import type { BenchResults } from './report.js';
import { cellLabel, type EchoCellResult } from './echo.js';
import type { CapacityResult } from './capacity.js';
import { markdownTable, ratio } from './lib/stats.js';

/** One target's verdict. */
export interface TargetRow {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
  /** For a miss: how far off, as measured ÷ required (e.g. 0.83 = 17 % short). */
  readonly shortBy?: number;
}

const r = (c: EchoCellResult, key: string) => c.ratios[key] ?? Number.NaN;
const finite = (values: readonly number[]) => values.filter(Number.isFinite);
const min = (values: readonly number[]) => (finite(values).length ? Math.min(...finite(values)) : Number.NaN);
const is = (c: EchoCellResult, size: number, connections: number, window: number) => c.cell.size === size && c.cell.connections === connections && c.cell.window === window;
const kb = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(2)} KB` : '–');

function row(target: string, measured: string, value: number, required: number): TargetRow {
  if (!Number.isFinite(value)) return { target, measured: `${measured} (not measured)`, met: undefined };
  const met = value >= required;
  return met ? { target, measured, met } : { target, measured, met, shortBy: value / required };
}

/** The echo cells' targets. */
function echoTargets(echo: readonly EchoCellResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  // ≥ 1.0× Bun everywhere, ≥ 0.95× in the latency-bound 32 B × 1 × 1 cell: score each cell against its own bar.
  const vsBun = echo.map((c) => ({ c, value: r(c, 'ws4ts-hooks/bun'), bar: is(c, 32, 1, 1) ? 0.95 : 1.0 }));
  const scored = vsBun.filter((x) => Number.isFinite(x.value));
  const worst = scored.reduce<(typeof scored)[number] | undefined>((w, x) => (w === undefined || x.value / x.bar < w.value / w.bar ? x : w), undefined);
  const misses = scored.filter((x) => x.value < x.bar).map((x) => `${cellLabel(x.c)} ${ratio(x.value)}`);
  rows.push(
    worst === undefined
      ? { target: 'every echo cell ≥ 1.0× Bun (32 B × 1 × 1: ≥ 0.95×)', measured: 'Bun not measured', met: undefined }
      : {
          target: 'every echo cell ≥ 1.0× Bun (32 B × 1 × 1: ≥ 0.95×)',
          measured: `worst ${cellLabel(worst.c)}: ${ratio(worst.value)}; ${misses.length} of ${scored.length} cells short${misses.length ? ` (${misses.join('; ')})` : ''}`,
          met: misses.length === 0,
          ...(misses.length ? { shortBy: worst.value / worst.bar } : {}),
        },
  );
  const kib = echo.find((c) => is(c, 1024, 500, 1));
  rows.push(row('1 KiB × 500 × window 1 ≥ 0.9× the raw node:net ceiling', kib ? ratio(r(kib, 'ws4ts-hooks/raw-tcp')) : '–', kib ? r(kib, 'ws4ts-hooks/raw-tcp') : Number.NaN, 0.9));
  const small = echo.find((c) => is(c, 32, 50, 32));
  rows.push(row('32 B × 50 × window 32 ≥ 0.8× the ceiling', small ? ratio(r(small, 'ws4ts-hooks/raw-tcp')) : '–', small ? r(small, 'ws4ts-hooks/raw-tcp') : Number.NaN, 0.8));
  const big = echo.filter((c) => c.cell.size >= 64 * 1024);
  const bigMin = min(big.map((c) => r(c, 'ws4ts-hooks/ws-native')));
  rows.push(row('64 KiB and 1 MiB ≥ 1.3× ws + bufferutil', `min ${ratio(bigMin)} (${big.map((c) => `${cellLabel(c)} ${ratio(r(c, 'ws4ts-hooks/ws-native'))}`).join('; ')})`, bigMin, 1.3));
  const loop = min(echo.map((c) => r(c, 'ws4ts-loop/ws4ts-hooks')));
  const obs = min(echo.map((c) => r(c, 'ws4ts-observable/ws4ts-hooks')));
  rows.push(row('`for await` shape ≥ 0.9× hooks, every cell', `min ${ratio(loop)}`, loop, 0.9));
  rows.push(row('observable shape ≥ 0.9× hooks, every cell', `min ${ratio(obs)}`, obs, 0.9));
  return rows;
}

/** Accept rate and idle memory. */
function capacityTargets(capacity: readonly CapacityResult[]): TargetRow[] {
  const find = (name: string) => capacity.find((c) => c.target === name);
  const ws = find('ws-native');
  const bare = find('raw-tcp');
  const ours = ['ws4ts', 'ws4ts-serve'].map(find).filter((c): c is CapacityResult => c !== undefined && c.error === undefined);
  const rows: TargetRow[] = [];
  const best = ours.reduce<CapacityResult | undefined>((b, c) => (b === undefined || c.acceptRate > b.acceptRate ? c : b), undefined);
  const acceptRatio = best && ws ? best.acceptRate / ws.acceptRate : Number.NaN;
  const cpuBest = ours.reduce((b, c) => (Number.isFinite(c.acceptPerCpuSecond) && !(c.acceptPerCpuSecond <= b) ? c.acceptPerCpuSecond : b), Number.NaN);
  const cpuRatio = ws ? cpuBest / (ws.acceptPerCpuSecond ?? Number.NaN) : Number.NaN;
  rows.push(
    row(
      'accept + upgrade rate ≥ 2× ws',
      `${ours.map((c) => `${c.target} ${Math.round(c.acceptRate)}/s`).join(', ')}; ws ${Math.round(ws?.acceptRate ?? Number.NaN)}/s; best ÷ ws ${ratio(acceptRatio)} (per server CPU second: ${ratio(cpuRatio)})`,
      acceptRatio,
      2,
    ),
  );
  // "≤ 0.8×" is a ceiling: score it as bar ÷ measured so that ≥ 1 means met.
  const leanest = ours.reduce<CapacityResult | undefined>((b, c) => (b === undefined || c.rssPerConnection < b.rssPerConnection ? c : b), undefined);
  const rssRatio = leanest && bare ? leanest.rssPerConnection / bare.rssPerConnection : Number.NaN;
  const measured = `${ours.map((c) => `${c.target} ${kb(c.rssPerConnection)}`).join(', ')}; bare node:net ${kb(bare?.rssPerConnection ?? Number.NaN)}; leanest ÷ bare ${ratio(rssRatio)}`;
  const scored = row('idle connection RSS ≤ 0.8× a bare node:net socket', measured, 0.8 / rssRatio, 1);
  rows.push(scored.met === false ? { ...scored, shortBy: 0.8 / rssRatio } : scored);
  return rows;
}

/** The deflate target, read from bench/deflate-echo.ts's ratio line. */
function deflateTarget(deflate: string | undefined): TargetRow {
  const line = /ws4ts ÷ ws, defaults: (.+)/.exec(deflate ?? '')?.[1];
  const values = line ? [...line.matchAll(/([\d.]+)×/g)].map((m) => Number(m[1])) : [];
  return row('permessage-deflate echo ≥ 1.3× ws with deflate', line ?? '–', min(values), 1.3);
}

/** Every target of issue 15 that this run measured something for. */
export function issue15Targets(results: BenchResults): TargetRow[] {
  return [
    ...(results.echo?.length ? echoTargets(results.echo) : []),
    ...(results.capacity?.length ? capacityTargets(results.capacity) : []),
    ...(results.deflate !== undefined ? [deflateTarget(results.deflate)] : []),
  ];
}

/**
 * What the profiles show for each target, written from profiles taken on
 * this machine on 2026-12-02 and later, dated where so (bench/profile-echo.ts, profile-accept.ts,
 * profile-heap.ts, instructions.ts); shown under the table for each target
 * this run missed. Prose, not measurements of this run.
 */
export const PROFILE_NOTES: Readonly<Record<string, string>> = {
  'every echo cell ≥ 1.0× Bun (32 B × 1 × 1: ≥ 0.95×)':
    'Small messages, 32 B × 50 × window 32 (`--cpu-prof`, server at 98 % CPU): 25 % is the write syscall the raw echo makes too ' +
    '(`writeBuffer`), 13 % idle; parsing and assembly 17 % (of which 8 % creating the `Buffer` views of the payloads), the ' +
    'WebSocket dispatch and send path 44 % in total (frame encode 8 %, one `Buffer.allocUnsafe` per frame 5 %), GC 4 %. ' +
    'callgrind counts about 6,800 instructions per echoed 32 B message (bench/instructions.ts). Bun parses and frames in ' +
    'native uWebSockets code with no per-message JavaScript objects; the latency-bound cell (one message in flight) is ' +
    'dominated by wake-ups, not by work: the server is 73 % idle and JavaScript self time is under 3 %. ' +
    '1 KiB × 500 × window 32 (2026-12-07, `--cpu-prof` 5 s): before the output slab gave written bytes back, GC was 11 % and ' +
    'Buffer pool allocation, `Buffer.concat` and its copy 16 % of server time; with it, GC 4.4 % and those gone, the write ' +
    'syscall 26 %, idle 21 %. This cell moves by ±30 % from one server process to the next with the same code (how echoes ' +
    'bunch into reads), so its ratio to Bun needs several fresh processes to read.',
  '1 KiB × 500 × window 1 ≥ 0.9× the raw node:net ceiling':
    'With one message per read, every read pays the whole WebSocket dispatch (parse, event, handler, encode, flush) on top ' +
    'of the read and write the ceiling makes. `--cpu-prof` of this cell (bench/profile-echo.ts, 5 s): the write syscall ' +
    '(`writeBuffer`) 44 %, idle 22 %, V8 (program) 7 %, GC 1.7 %; all ws4ts code together under 10 % self time, so the gap to ' +
    'the ceiling is within what one run to the next moves (0.84× and 0.91× in two runs).',
  '32 B × 50 × window 32 ≥ 0.8× the ceiling':
    'The ceiling echoes each read with one write and no per-message work; ws4ts does ~32 parses, views, events and encodes per ' +
    'read (see the Bun row). A slab encoder writing a batch as one contiguous view (no join copy) was tried and measured ' +
    '12 % more instructions per batch than `allocUnsafe` + `Buffer.concat`, so it was not kept.',
  '64 KiB and 1 MiB ≥ 1.3× ws + bufferutil':
    'Large messages are bound by copies: the kernel reads, unmasking (WebAssembly SIMD copies each block in and out of its ' +
    'memory, 0.3–0.4× memcpy; bufferutil runs at 0.5–0.6×) and the kernel writes; a server socket cannot read into ' +
    'WebAssembly memory (Node has `onread` for client sockets only).',
  '`for await` shape ≥ 0.9× hooks, every cell':
    'The loop shape pays a promise turn per message delivered to `for await` (the inbox in src/websocket/, issue 10); it is ' +
    'furthest behind with one message in flight, where each turn is on the round trip.',
  'observable shape ≥ 0.9× hooks, every cell':
    'An RxJS subscriber chain per message (map + the send subscriber) on top of the hooks path. The large-message gap is not ' +
    'that chain (2026-12-07): the observable server process running the hooks handler itself (`EchoWebSocket`) measured as ' +
    'low, so the cost follows loading RxJS (`import(\'rxjs\')`, a larger old space). With `--trace-gc`, 64 KiB × 50 × 1: 17 ' +
    'mark-compacts in 2.3 s against 1 for the hooks process; in interleaved 1 MiB rounds both shapes have sporadic slow ' +
    'rounds (~745 msg/s against ~1,250).',
  'accept + upgrade rate ≥ 2× ws':
    'A reconnect storm against `serve()` (bench/profile-accept.ts): the server is 37 % idle, the load generator sets the pace; ' +
    'of the server time, Node\'s own `Socket` construction is 8 %, the 101 write syscall 6 %, teardown of the previous round ' +
    '(errors with stack traces) 4 %; the request head parser 2.5 %. The bare node:net accept with the same 101 answer ran ' +
    '1.7× ws in the same harness, so 2× ws is above what Node\'s own accept path gives here.',
  'idle connection RSS ≤ 0.8× a bare node:net socket':
    'Heap snapshot per idle connection (bench/profile-heap.ts, 2,000 connections, attach): 2.98 KB heap, of which Node\'s own ' +
    'TCPSocketWrap 408 B, Socket 312 B, stream states 200 B, TCP 56 B; ours: Connection 200 B, MessageAssembler 168 B, ' +
    'FrameParser 112 B, the WebSocket 160 B, SocketTransport 56 B, the request headers and their strings ~380 B. The rest ' +
    'of the RSS is native (kernel socket, libuv handle): 0.8× a bare socket needs ~0.6 KB less, more than everything ' +
    'ws4ts allocates besides the headers. Node does not allow it without dropping `ws.request`.',
  'permessage-deflate echo ≥ 1.3× ws with deflate':
    'Both servers are driven by `ws` clients with deflate in one process (bench/deflate-echo.ts), which bounds both; zlib ' +
    'dominates the server side of both.',
};

/** The markdown section. */
export function issue15Section(results: BenchResults): string {
  const rows = issue15Targets(results).map((t) => [
    t.target,
    t.measured,
    t.met === undefined ? '–' : t.met ? 'yes' : '**no**',
    t.shortBy !== undefined ? `${Math.round((1 - t.shortBy) * 100)} % short` : '',
  ]);
  return [
    '## Targets (issue 15: speed round 2)',
    '',
    'ws4ts = the hooks handler unless named; ratios are medians of per-round ratios within this run.',
    '',
    markdownTable(['target', 'measured', 'met', 'miss'], rows),
    ...notesFor(issue15Targets(results).filter((t) => t.met === false)),
  ].join('\n');
}

function notesFor(missed: readonly TargetRow[]): string[] {
  const notes = missed.filter((t) => PROFILE_NOTES[t.target] !== undefined);
  if (notes.length === 0) return [];
  return ['', '### What the profiles show, per missed target', '', ...notes.map((t) => `- **${t.target}**: ${PROFILE_NOTES[t.target]}`)];
}
