/**
 * Why permessage-deflate runs zlib the way it does: the cost of each way of
 * calling zlib for one message, under load (64 concurrent connections),
 * as main-thread time and as total CPU (main thread + libuv pool) per
 * message. JSON-like messages, each one different, level 1.
 *
 *   node --import tsx bench/deflate-paths.ts
 *
 * Candidates, per direction:
 * - sync one-shot: `deflateRawSync` / `inflateRawSync`, no context (what
 *   no_context_takeover needs);
 * - sync + dictionary: a fresh one-shot context primed with the last 32 KiB
 *   (context takeover without keeping a zlib context between messages);
 * - async stream: one persistent zlib stream per connection (ws's way).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { textTable } from './lib/stats.js';

const { Z_SYNC_FLUSH } = constants;
const CONNECTIONS = 64;
const WINDOW = 32 * 1024;
const TRAILER = Buffer.from([0, 0, 0xff, 0xff]);

function json(size: number, seed: number): Buffer {
  let s = '[';
  for (let i = 0; s.length < size; i++) {
    s += `${JSON.stringify({ id: seed * 100_000 + i, user: `user-${(i * 7 + seed) % 977}`, price: ((i * 7919 + seed) % 100_000) / 100 })},`;
  }
  return Buffer.from(s.slice(0, size));
}

function flushStream(stream: DeflateRaw | InflateRaw, inputs: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    stream.on('data', onData);
    for (const input of inputs) stream.write(input);
    stream.flush(Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      resolve(Buffer.concat(chunks));
    });
  });
}

function keepLast(history: Buffer | undefined, data: Buffer): Buffer {
  const joined = history === undefined ? data : Buffer.concat([history, data]);
  return joined.length > WINDOW ? joined.subarray(joined.length - WINDOW) : joined;
}

/** Run `perConnection` for every connection at once; main-thread µs and total CPU µs per message. */
async function measure(messages: number, perConnection: (c: number) => Promise<void>): Promise<[number, number]> {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => perConnection(c)));
  const busy = performance.eventLoopUtilization(elu).active * 1000;
  const used = process.cpuUsage(cpu);
  const n = CONNECTIONS * messages;
  return [busy / n, (used.user + used.system) / n];
}

async function run(size: number): Promise<string[][]> {
  const perConnection = Math.max(8, Math.floor((2_000_000 / size / CONNECTIONS) * 8));
  const plain = Array.from({ length: CONNECTIONS }, (_, c) => Array.from({ length: perConnection }, (_, i) => json(size, c * 1000 + i)));
  // What each client sent with context takeover, for the inflate side.
  const compressed = await Promise.all(
    plain.map(async (seq) => {
      const stream = createDeflateRaw({ level: 1 });
      const out: Buffer[] = [];
      for (const m of seq) out.push((await flushStream(stream, [m])).subarray(0, -4));
      stream.close();
      return out;
    }),
  );
  const independent = plain.map((seq) => seq.map((m) => deflateRawSync(m, { level: 1, finishFlush: Z_SYNC_FLUSH }).subarray(0, -4)));
  const rows: string[][] = [];
  const row = (name: string, [main, total]: [number, number]): number => rows.push([`${size / 1024} KiB`, name, main.toFixed(1), total.toFixed(1)]);

  row('deflate sync one-shot', await measure(perConnection, async (c) => {
    for (const m of plain[c]!) {
      deflateRawSync(m, { level: 1, finishFlush: Z_SYNC_FLUSH });
      await null;
    }
  }));
  row('deflate sync + dictionary', await measure(perConnection, async (c) => {
    let history: Buffer | undefined;
    for (const m of plain[c]!) {
      deflateRawSync(m, { level: 1, finishFlush: Z_SYNC_FLUSH, ...(history ? { dictionary: history } : {}) });
      history = keepLast(history, m);
      await null;
    }
  }));
  row('deflate async stream', await measure(perConnection, async (c) => {
    const stream = createDeflateRaw({ level: 1 });
    for (const m of plain[c]!) await flushStream(stream, [m]);
    stream.close();
  }));
  row('inflate sync one-shot', await measure(perConnection, async (c) => {
    for (const m of independent[c]!) {
      inflateRawSync(Buffer.concat([m, TRAILER]), { finishFlush: Z_SYNC_FLUSH });
      await null;
    }
  }));
  row('inflate sync + dictionary', await measure(perConnection, async (c) => {
    let history: Buffer | undefined;
    for (const m of compressed[c]!) {
      const out = inflateRawSync(Buffer.concat([m, TRAILER]), { finishFlush: Z_SYNC_FLUSH, ...(history ? { dictionary: history } : {}) });
      history = keepLast(history, out);
      await null;
    }
  }));
  row('inflate async stream', await measure(perConnection, async (c) => {
    const stream = createInflateRaw();
    for (const m of compressed[c]!) await flushStream(stream, [m, TRAILER]);
    stream.close();
  }));
  return rows;
}

const rows: string[][] = [];
for (const size of [1024, 16 * 1024]) rows.push(...(await run(size)));
console.log(`zlib call styles, ${CONNECTIONS} connections at once, level 1, Node ${process.version}\n`);
console.log(textTable(['size', 'path', 'main thread µs/msg', 'total CPU µs/msg'], rows));
