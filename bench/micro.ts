/**
 * Micro benchmark of the two receive-path kernels, side by side with their peers:
 * unmasking (GB/s) and UTF-8 validation (MB/s), 64 B to 1 MiB.
 *
 *   node --import tsx bench/micro.ts            # about 20 s
 *   node --import tsx bench/micro.ts --quick    # fewer rounds, a few seconds
 *
 * Each cell is the median of several rounds; within a round every candidate
 * of a table runs once, in turn, so drifting machine load hits all of them
 * alike. Ratios compare against the first row of each table (memcpy for
 * masking, our validator for UTF-8).
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { applyMask, copyMasked, maskImplementation, writeMaskKey } from '../src/protocol/mask.js';
import { Utf8Validator, isValidUtf8 } from '../src/protocol/utf8.js';

const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 11;
const SAMPLE_MS = quick ? 8 : 25;

// ws's pure-JS masking: WS_NO_BUFFER_UTIL keeps it from loading bufferutil, and
// Node 20 has no http.websocketMask. Its package exports hide lib/, so load the
// file by path.
process.env['WS_NO_BUFFER_UTIL'] = '1';
const wsBufferUtil = require(join(dirname(require.resolve('ws')), 'lib/buffer-util.js')) as {
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
  mask(source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number): void;
};
const bufferUtil = require('bufferutil') as typeof wsBufferUtil;
const utf8Validate = require('utf-8-validate') as (buffer: Uint8Array) => boolean;

let sink = 0;

type Candidate = { name: string; run: () => unknown };

/** Calls `run` `count` times and returns nanoseconds per call. */
function time(run: () => unknown, count: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (run()) sink++;
  return Number(process.hrtime.bigint() - start) / count;
}

/** Calls per sample so that one sample takes about SAMPLE_MS (also warms the JIT up). */
function calibrate(run: () => unknown): number {
  let count = 1;
  for (;;) {
    const ns = time(run, count) * count;
    if (ns > SAMPLE_MS * 1e6 / 4 || count > 1e8) return Math.max(1, Math.round((count * SAMPLE_MS * 1e6) / ns));
    count *= 4;
  }
}

/** Median nanoseconds per call of each candidate, rounds interleaved. */
function measure(candidates: readonly Candidate[]): number[] {
  const counts = candidates.map((c) => calibrate(c.run));
  const samples = candidates.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    candidates.forEach((c, i) => samples[i]!.push(time(c.run, counts[i]!)));
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]!);
}

const SIZES = [64, 1024, 64 * 1024, 1024 * 1024];
const label = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

function table(title: string, unit: string, perSecond: number, rows: string[], columns: number[][]): void {
  // columns[size][row] = ns per call; throughput = bytes / ns * perSecond.
  console.log(`\n${title}`);
  console.log(pad('', 22) + SIZES.map((s) => lpad(label(s), 18)).join(''));
  rows.forEach((row, r) => {
    const cells = SIZES.map((size, s) => {
      const ns = columns[s]![r]!;
      const rate = (size / ns) * perSecond;
      const ratio = columns[s]![0]! / ns;
      return lpad(`${rate >= 100 ? rate.toFixed(0) : rate.toFixed(2)} ${unit} ${ratio.toFixed(2)}×`, 18);
    });
    console.log(pad(row, 22) + cells.join(''));
  });
}

// ------------------------------------------------------------ masking

const KEY = 0x3d21fa37;
const keyBytes = Buffer.alloc(4);
writeMaskKey(KEY, keyBytes, 0);

const maskRows = [
  'memcpy (dst.set)',
  'ws4ts applyMask',
  'ws4ts copyMasked',
  'ws JS unmask',
  'ws JS mask (copy)',
  'bufferutil unmask',
  'bufferutil mask (copy)',
];
const maskColumns = SIZES.map((size) => {
  const data = Buffer.alloc(size, 0x61);
  const dst = Buffer.alloc(size);
  return measure([
    { name: maskRows[0]!, run: () => dst.set(data) },
    { name: maskRows[1]!, run: () => applyMask(data, KEY) },
    { name: maskRows[2]!, run: () => copyMasked(data, dst, 0, KEY) },
    { name: maskRows[3]!, run: () => wsBufferUtil.unmask(data, keyBytes) },
    { name: maskRows[4]!, run: () => wsBufferUtil.mask(data, keyBytes, dst, 0, size) },
    { name: maskRows[5]!, run: () => bufferUtil.unmask(data, keyBytes) },
    { name: maskRows[6]!, run: () => bufferUtil.mask(data, keyBytes, dst, 0, size) },
  ]);
});

// ------------------------------------------------------------ UTF-8

/** `size` bytes of `text` repeated, cut back to the last whole code point. */
function textOf(text: string, size: number): Buffer {
  const bytes = Buffer.from(text.repeat(Math.ceil(size / Buffer.byteLength(text)) + 1)).subarray(0, size);
  let end = size;
  while (end > 0 && (bytes[end - 1]! & 0xc0) === 0x80) end--; // back to the last lead byte…
  if (end > 0 && bytes[end - 1]! >= 0xc0) end--; // …which starts an unfinished code point
  const out = Buffer.alloc(size, 0x20); // pad with spaces to exactly `size`
  bytes.copy(out, 0, 0, end);
  return out;
}

const validator = new Utf8Validator();
const decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Rows = ['ws4ts Utf8Validator', 'ws4ts isValidUtf8', 'TextDecoder fatal', 'utf-8-validate'];
const utf8Candidates = (data: Buffer): Candidate[] => [
  {
    name: utf8Rows[0]!,
    run: () => {
      const ok = validator.push(data) && validator.end();
      validator.reset();
      return ok;
    },
  },
  { name: utf8Rows[1]!, run: () => isValidUtf8(data) },
  { name: utf8Rows[2]!, run: () => decoder.decode(data).length },
  { name: utf8Rows[3]!, run: () => utf8Validate(data) },
];
const ascii = 'The quick brown fox jumps over the lazy dog. 0123456789 {"id": 42}\n';
const multi = 'Grüße aus Köln — 世界你好, Привет мир, γειά σου κόσμε 😀🚀 ';
const utf8Columns = (text: string): number[][] =>
  SIZES.map((size) => {
    const data = textOf(text, size);
    if (!isValidUtf8(data) || !decoder.decode(data)) throw new Error('bad benchmark input');
    return measure(utf8Candidates(data));
  });
const asciiColumns = utf8Columns(ascii);
const multiColumns = utf8Columns(multi);

// ------------------------------------------------------------ report

console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ` +
    `masking kernel: ${maskImplementation()}; median of ${ROUNDS} interleaved rounds of ~${SAMPLE_MS} ms`,
);
table('Unmask, in place unless noted (GB/s, × memcpy)', 'GB/s', 1, maskRows, maskColumns);
table('UTF-8 validation, ASCII (MB/s, × Utf8Validator)', 'MB/s', 1e3, utf8Rows, asciiColumns);
table('UTF-8 validation, multi-byte text (MB/s, × Utf8Validator)', 'MB/s', 1e3, utf8Rows, multiColumns);
if (sink < 0) console.log(sink);
