/**
 * Parse throughput: ws4ts's full receive path against ws's `Receiver`, on the
 * same bytes, in the same process, interleaved (`npm run bench:parse`).
 *
 * What is measured, per case (payload size × kind):
 *
 * - **ours**: `Connection` in the server role (FrameParser → MessageAssembler
 *   → events), every event drained with `nextEvent()`; text arrives decoded
 *   as strings.
 * - **ws-js**: `ws/lib/receiver.js` (`isServer: true`, a `'message'`
 *   listener) with `WS_NO_BUFFER_UTIL` / `WS_NO_UTF_8_VALIDATE` set while ws
 *   was loaded: its pure-JavaScript unmask.
 * - **ws-native**: a second copy of ws's modules, loaded after clearing them
 *   from the require cache with the variables unset, so it picks up the
 *   `bufferutil` addon. Both copies live in this process so that all targets
 *   are measured round-robin in one run. (On Node ≥ 18.14 ws validates UTF-8
 *   with `buffer.isUtf8` whatever the variables say; `utf-8-validate` is
 *   only used on older Nodes.)
 * - for text, **ws-js+str** and **ws-native+str** also call `toString()`
 *   on each message: ws hands text over as a Buffer, ws4ts as a string, so
 *   those are the like-for-like comparisons and the ratios use them.
 *
 * Input: masked client frames (a fresh random key per frame) laid end to end
 * and cut into 64 KiB chunks, so frames straddle chunk boundaries as they do
 * off a socket. Both parsers unmask in place, so before every timed pass the
 * working buffer is refilled from a pristine copy, outside the timed region.
 * Each sample runs passes until `sampleMs` of parse time is accumulated;
 * targets take turns (rotating the starting one each round), and the table
 * shows medians over rounds; ratios are medians of per-round ratios. MB/s
 * counts payload bytes (MB = 10^6 bytes).
 *
 * Flags: `--quick` (fewer, shorter samples), `--json FILE` (write results),
 * `--filter TEXT` (only cases whose name contains TEXT), `--targets a,b`
 * (only these targets, e.g. `ours` under `node --cpu-prof`), `--rounds N`,
 * `--sample-ms N`.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setImmediate as tick } from 'node:timers/promises';
import { Connection } from '../src/protocol/connection.js';
import { makePayload, messageStream, type PayloadKind } from './lib/frames.js';
import { median, ratio, si, sizeLabel, textTable } from './lib/stats.js';

const CHUNK = 64 * 1024;
const MAX_PAYLOAD = 64 * 1024 * 1024;

/** One benchmark case. */
export interface ParseCase {
  readonly name: string;
  readonly kind: PayloadKind;
  readonly size: number;
  /** Fragment size, 0 for unfragmented messages. */
  readonly fragment: number;
}

/** Medians of one target on one case. */
export interface TargetResult {
  readonly target: string;
  /** Payload megabytes (10^6 bytes) per second. */
  readonly mbps: number;
  readonly framesPerSecond: number;
  readonly messagesPerSecond: number;
  /** Throughput of every round, for spread. */
  readonly samples: readonly number[];
}

/** All targets of one case plus the headline ratios. */
export interface CaseResult {
  readonly case: ParseCase;
  readonly targets: readonly TargetResult[];
  /** ours / ws pure JS (like for like: ws + toString() for text). */
  readonly vsWsJs: number;
  /** ours / ws with bufferutil (like for like). */
  readonly vsWsNative: number;
  /** Text only: our strings against ws's undecoded Buffers (NaN for binary). */
  readonly vsWsJsBuffer: number;
  readonly vsWsNativeBuffer: number;
}

/** Options of {@link runParseBench}. */
export interface ParseBenchOptions {
  readonly rounds?: number;
  readonly sampleMs?: number;
  readonly filter?: string;
  /** Only these targets (e.g. `['ours']` to profile ws4ts alone). */
  readonly targets?: readonly string[];
  readonly log?: (line: string) => void;
}

/** The standard cases: 16 B to 1 MiB, binary / ASCII / multi-byte UTF-8, plus fragmented messages. */
export function parseCases(): ParseCase[] {
  const cases: ParseCase[] = [];
  for (const kind of ['binary', 'ascii', 'utf8'] as const) {
    for (const size of [16, 1024, 64 * 1024, 1024 * 1024]) {
      cases.push({ name: `${kind} ${sizeLabel(size)}`, kind, size, fragment: 0 });
    }
  }
  cases.push({ name: 'binary 64 KiB in 1 KiB frames', kind: 'binary', size: 64 * 1024, fragment: 1024 });
  cases.push({ name: 'utf8 64 KiB in 1 KiB frames', kind: 'utf8', size: 64 * 1024, fragment: 1024 });
  return cases;
}

// ─── targets ───────────────────────────────────────────────────────────────

interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
type ReceiverClass = new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;

interface WsCopy {
  readonly Receiver: ReceiverClass;
  /** Which unmask ws ended up with: its JS loop or the bufferutil addon. */
  readonly unmask: 'js' | 'bufferutil';
}

const require = createRequire(import.meta.url);
const WS_DIR = `${sep}node_modules${sep}ws${sep}`;
// ws's package exports hide lib/: reach the files by path, from its main entry.
const WS_LIB = join(dirname(require.resolve('ws')), 'lib');

/** Load a private copy of ws's receiver, pure JS or with its addons. */
export function loadWs(pure: boolean): WsCopy {
  for (const key of Object.keys(require.cache)) if (key.includes(WS_DIR)) delete require.cache[key];
  const saved = [process.env.WS_NO_BUFFER_UTIL, process.env.WS_NO_UTF_8_VALIDATE];
  if (pure) {
    process.env.WS_NO_BUFFER_UTIL = '1';
    process.env.WS_NO_UTF_8_VALIDATE = '1';
  } else {
    delete process.env.WS_NO_BUFFER_UTIL;
    delete process.env.WS_NO_UTF_8_VALIDATE;
  }
  try {
    const Receiver = require(join(WS_LIB, 'receiver.js')) as ReceiverClass;
    const bufferUtil = require(join(WS_LIB, 'buffer-util.js')) as { unmask: { name: string; toString(): string } };
    const unmask = bufferUtil.unmask.toString().includes('bufferUtil.unmask') ? 'bufferutil' : 'js';
    return { Receiver, unmask };
  } finally {
    for (const key of Object.keys(require.cache)) if (key.includes(WS_DIR)) delete require.cache[key];
    if (saved[0] === undefined) delete process.env.WS_NO_BUFFER_UTIL;
    else process.env.WS_NO_BUFFER_UTIL = saved[0];
    if (saved[1] === undefined) delete process.env.WS_NO_UTF_8_VALIDATE;
    else process.env.WS_NO_UTF_8_VALIDATE = saved[1];
  }
}

/** A parser under test: feeds chunks, counts messages, keeps a checksum so nothing is optimised away. */
interface Target {
  readonly name: string;
  /** Feed one pass; returns the messages completed. */
  feed(chunks: readonly Buffer[]): number;
  /** The first message seen, for the correctness check. */
  first(): Uint8Array | string | undefined;
  checksum(): number;
}

function oursTarget(): Target {
  const connection = new Connection({ role: 'server', maxPayload: MAX_PAYLOAD });
  let sum = 0;
  let first: Uint8Array | string | undefined;
  return {
    name: 'ours',
    feed(chunks) {
      let messages = 0;
      for (let i = 0; i < chunks.length; i++) {
        connection.receive(chunks[i]!);
        for (let event = connection.nextEvent(); event !== undefined; event = connection.nextEvent()) {
          if (event.type === 'text' || event.type === 'binary') {
            messages++;
            sum += event.data.length;
            first ??= event.type === 'text' ? event.data : Buffer.from(event.data);
          } else if (event.type === 'error') {
            throw event.error;
          }
        }
      }
      return messages;
    },
    first: () => first,
    checksum: () => sum,
  };
}

function wsTarget(name: string, copy: WsCopy, toString: boolean): Target {
  const receiver = new copy.Receiver({ isServer: true, maxPayload: MAX_PAYLOAD });
  let messages = 0;
  let sum = 0;
  let first: Uint8Array | string | undefined;
  let failure: Error | undefined;
  receiver.on('error', (error) => (failure = error));
  receiver.on(
    'message',
    toString
      ? (data, isBinary) => {
          messages++;
          const value = isBinary ? data : data.toString();
          sum += value.length;
          first ??= isBinary ? Buffer.from(data) : value;
        }
      : (data) => {
          messages++;
          sum += data.length;
          first ??= Buffer.from(data);
        },
  );
  return {
    name,
    feed(chunks) {
      messages = 0;
      for (let i = 0; i < chunks.length; i++) receiver.write(chunks[i]!);
      if (failure) throw failure;
      return messages;
    },
    first: () => first,
    checksum: () => sum,
  };
}

// ─── measuring ─────────────────────────────────────────────────────────────

interface Prepared {
  readonly pristine: Buffer;
  readonly work: Buffer;
  readonly chunks: Buffer[];
  readonly messages: number;
  readonly frames: number;
  readonly payloadBytes: number;
  readonly payload: Buffer;
}

function prepare(c: ParseCase): Prepared {
  const payload = makePayload(c.kind, c.size, 7);
  const opcode = c.kind === 'binary' ? 2 : 1;
  const framesPerMessage = c.fragment > 0 ? Math.ceil(c.size / c.fragment) : 1;
  const wirePerMessage = c.size + framesPerMessage * 14; // upper bound, only for sizing a pass
  // About 2 MiB of wire per pass (at least 2 messages), so one pass is long against the clock.
  const messages = Math.max(2, Math.ceil((2 << 20) / wirePerMessage));
  const pristine = messageStream(payload, opcode, messages, 11, c.fragment);
  const work = Buffer.allocUnsafeSlow(pristine.length);
  const chunks: Buffer[] = [];
  for (let at = 0; at < work.length; at += CHUNK) chunks.push(work.subarray(at, Math.min(work.length, at + CHUNK)));
  return { pristine, work, chunks, messages, frames: messages * framesPerMessage, payloadBytes: messages * c.size, payload };
}

/** Run passes until `sampleMs` of parse time; returns payload bytes per ms. */
function sample(target: Target, input: Prepared, sampleMs: number): number {
  let elapsed = 0;
  let passes = 0;
  while (elapsed < sampleMs || passes < 2) {
    input.work.set(input.pristine);
    const start = performance.now();
    const messages = target.feed(input.chunks);
    elapsed += performance.now() - start;
    passes++;
    if (messages !== input.messages) throw new Error(`${target.name}: ${messages} messages instead of ${input.messages}`);
  }
  return (passes * input.payloadBytes) / elapsed;
}

function checkFirst(target: Target, c: ParseCase, input: Prepared): void {
  const first = target.first();
  const expected = input.payload;
  const ok = typeof first === 'string' ? first === expected.toString('utf8') : first !== undefined && Buffer.compare(Buffer.from(first), expected) === 0;
  if (!ok) throw new Error(`${target.name} decoded ${c.name} wrongly`);
}

function makeTargets(c: ParseCase, wsJs: WsCopy, wsNative: WsCopy): Target[] {
  const targets = [oursTarget(), wsTarget('ws-js', wsJs, false), wsTarget('ws-native', wsNative, false)];
  if (c.kind !== 'binary') targets.push(wsTarget('ws-js+str', wsJs, true), wsTarget('ws-native+str', wsNative, true));
  return targets;
}

/**
 * Run the parse benchmark and return medians and ratios per case.
 *
 * @example
 * ```ts
 * const results = await runParseBench({ rounds: 3, sampleMs: 50 });
 * for (const r of results) console.log(r.case.name, r.vsWsJs, r.vsWsNative);
 * ```
 */
export async function runParseBench(options: ParseBenchOptions = {}): Promise<CaseResult[]> {
  const rounds = options.rounds ?? 5;
  const sampleMs = options.sampleMs ?? 100;
  const log = options.log ?? (() => {});
  const wsJs = loadWs(true);
  const wsNative = loadWs(false);
  if (wsJs.unmask !== 'js' || wsNative.unmask !== 'bufferutil') {
    throw new Error(`ws copies did not load as intended: ${wsJs.unmask} / ${wsNative.unmask}`);
  }
  const results: CaseResult[] = [];
  for (const c of parseCases()) {
    if (options.filter !== undefined && !c.name.includes(options.filter)) continue;
    const input = prepare(c);
    const only = options.targets;
    const targets = makeTargets(c, wsJs, wsNative).filter((t) => only === undefined || only.includes(t.name));
    // Warm-up: one short untimed sample each, then check what they decoded.
    for (const target of targets) sample(target, input, sampleMs / 4);
    for (const target of targets) checkFirst(target, c, input);
    const samples = targets.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const index = (round + k) % targets.length;
        samples[index]!.push(sample(targets[index]!, input, sampleMs));
        await tick(); // let pending stream callbacks and timers run between samples
      }
    }
    const framesPerByte = input.frames / input.payloadBytes;
    const messagesPerByte = input.messages / input.payloadBytes;
    const targetResults = targets.map((target, i) => {
      const bytesPerMs = median(samples[i]!);
      return {
        target: target.name,
        mbps: bytesPerMs / 1000,
        framesPerSecond: bytesPerMs * 1000 * framesPerByte,
        messagesPerSecond: bytesPerMs * 1000 * messagesPerByte,
        samples: samples[i]!.map((s) => s / 1000),
      };
    });
    // Ratios pair the samples of one round (taken seconds apart), which
    // cancels most of the drift a shared machine adds, then take the median.
    const paired = (a: string, b: string): number => {
      const i = targets.findIndex((t) => t.name === a);
      const j = targets.findIndex((t) => t.name === b);
      if (i < 0 || j < 0) return Number.NaN;
      return median(samples[i]!.map((s, r) => s / samples[j]![r]!));
    };
    const text = c.kind !== 'binary';
    const result: CaseResult = {
      case: c,
      targets: targetResults,
      vsWsJs: paired('ours', text ? 'ws-js+str' : 'ws-js'),
      vsWsNative: paired('ours', text ? 'ws-native+str' : 'ws-native'),
      vsWsJsBuffer: text ? paired('ours', 'ws-js') : Number.NaN,
      vsWsNativeBuffer: text ? paired('ours', 'ws-native') : Number.NaN,
    };
    results.push(result);
    const ours = targetResults.find((t) => t.target === 'ours');
    log(`${c.name.padEnd(30)} ours ${ours ? si(ours.mbps * 1e6) : '–'}B/s   ÷ws-js ${ratio(result.vsWsJs)}   ÷ws-native ${ratio(result.vsWsNative)}`);
  }
  return results;
}

/** The results as a plain-text report (one row per case and target, then the ratios). */
export function formatParseResults(results: readonly CaseResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const t of r.targets) {
      rows.push([`${r.case.name}`, t.target, `${t.mbps.toFixed(0)}`, si(t.framesPerSecond), si(t.messagesPerSecond)]);
    }
  }
  const detail = textTable(['case', 'target', 'MB/s', 'frames/s', 'msgs/s'], rows);
  const ratioRows = results.map((r) => {
    const text = r.case.kind !== 'binary';
    const pass = r.vsWsJs >= 1.5 && r.vsWsNative >= 1.0 ? 'yes' : 'NO';
    return [
      r.case.name,
      ratio(r.vsWsJs),
      ratio(r.vsWsNative),
      text ? ratio(r.vsWsJsBuffer) : '',
      text ? ratio(r.vsWsNativeBuffer) : '',
      pass,
    ];
  });
  const summary = textTable(
    ['case', 'ours/ws-js', 'ours/ws-native', 'vs ws-js Buffer', 'vs ws-native Buffer', 'target met'],
    ratioRows,
  );
  return (
    `${detail}\n\nRatios: median over rounds of ours ÷ target in the same round. Text is compared with ws + toString()\n` +
    `(like for like); the Buffer columns compare our strings with ws's undecoded Buffers. Target: ≥ 1.5× ws-js and ≥ 1.0× ws-native.\n${summary}\n`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      filter: { type: 'string' },
      targets: { type: 'string' },
      rounds: { type: 'string' },
      'sample-ms': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const rounds = values.rounds !== undefined ? Number(values.rounds) : quick ? 3 : 9;
  const sampleMs = values['sample-ms'] !== undefined ? Number(values['sample-ms']) : quick ? 40 : 60;
  const started = performance.now();
  console.log(
    `parse benchmark: Node ${process.version}, ${rounds} rounds × ${sampleMs} ms samples, 64 KiB chunks, masked client frames\n` +
      'ws-js: second copy of ws loaded with WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1 (require cache cleared); ws-native: with bufferutil\n',
  );
  const results = await runParseBench({
    rounds,
    sampleMs,
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    ...(values.targets !== undefined ? { targets: values.targets.split(',') } : {}),
    log: (line) => console.log(line),
  });
  console.log(`\n${formatParseResults(results)}`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ node: process.version, rounds, sampleMs, results }, null, 2));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
