/**
 * Memory per connection of permessage-deflate, ws4ts against ws, measured on
 * the extension objects alone (the part deflate adds to a connection).
 *
 *   node --import tsx bench/deflate-memory.ts            # 2,000 connections per scenario
 *   node --import tsx bench/deflate-memory.ts --n 500
 *
 * Every scenario runs in a fresh child process with --expose-gc: build N
 * server-side extensions (negotiated from a default client offer), bring
 * them to the scenario's state, collect garbage, and divide the growth of
 * rss and of heap + external memory by N. Scenarios:
 *
 * - idle: negotiated, nothing sent or received yet;
 * - active: 16 different 2 KiB JSON messages received and 16 sent
 *   (compressed, 32 KiB each way: the default window is full), so whatever
 *   is kept between messages is there and touched;
 * - released (ws4ts only): active, then idle past `contextIdleTimeout`;
 * - each with context takeover (the default) and without (both
 *   `*_no_context_takeover`), and ws4ts with windows of 12 bits and
 *   memLevel 5 (python-websockets' server defaults).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { permessageDeflate, type DeflateOptions } from '../src/extensions/permessage-deflate.js';
import type { EncodedMessage, Extension } from '../src/protocol/extension.js';
import { parseExtensions } from '../src/protocol/headers.js';
import { textTable } from './lib/stats.js';

interface Scenario {
  readonly name: string;
  readonly impl: 'ws4ts' | 'ws';
  readonly state: 'idle' | 'active' | 'released';
  readonly noContextTakeover: boolean;
  readonly small?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'ws4ts idle', impl: 'ws4ts', state: 'idle', noContextTakeover: false },
  { name: 'ws4ts active, takeover', impl: 'ws4ts', state: 'active', noContextTakeover: false },
  { name: 'ws4ts released, takeover', impl: 'ws4ts', state: 'released', noContextTakeover: false },
  { name: 'ws4ts active, takeover, 12 bits / memLevel 5', impl: 'ws4ts', state: 'active', noContextTakeover: false, small: true },
  { name: 'ws4ts active, no takeover', impl: 'ws4ts', state: 'active', noContextTakeover: true },
  { name: 'ws idle', impl: 'ws', state: 'idle', noContextTakeover: false },
  { name: 'ws active, takeover', impl: 'ws', state: 'active', noContextTakeover: false },
  { name: 'ws active, no takeover', impl: 'ws', state: 'active', noContextTakeover: true },
];

const MESSAGES = 16;
const messages = Array.from({ length: MESSAGES }, (_, k) =>
  Buffer.from(JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ id: k * 1000 + i, user: `user-${(i * 7 + k) % 97}`, score: (i * 13 + k * 7919) % 10007 }))).slice(0, 2048)),
);

/** The client's side of the conversation: the 16 messages compressed in turn with context takeover (or not). */
async function clientStream(noContextTakeover: boolean, windowBits = 15): Promise<Buffer[]> {
  if (noContextTakeover) return messages.map((m) => deflateRawSync(m, { windowBits, finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4));
  const stream = createDeflateRaw({ windowBits });
  const out: Buffer[] = [];
  for (const m of messages) {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    stream.on('data', onData);
    stream.write(m);
    await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    stream.off('data', onData);
    out.push(Buffer.concat(chunks).subarray(0, -4));
  }
  stream.close();
  return out;
}

const gc = (globalThis as { gc?: () => void }).gc;
function collect(): void {
  for (let i = 0; i < 4; i++) gc?.();
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bring N ws4ts server-side extensions to the scenario's state. */
async function ws4ts(n: number, scenario: Scenario, keep: unknown[]): Promise<void> {
  const options: DeflateOptions = {
    threshold: 0,
    contextIdleTimeout: 200,
    concurrency: 10,
    ...(scenario.noContextTakeover ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : {}),
    ...(scenario.small ? { serverMaxWindowBits: 12, clientMaxWindowBits: 12, memLevel: 5 } : {}),
  };
  const factory = permessageDeflate(options);
  const offer = parseExtensions('permessage-deflate; client_max_window_bits');
  // The client compresses within the window it agreed to.
  const compressed = await clientStream(scenario.noContextTakeover, scenario.small ? 12 : 15);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const { extension } = factory.accept(offer)!;
    keep.push(extension);
    if (scenario.state !== 'idle') pending.push(converse(extension, compressed));
  }
  await Promise.all(pending);
  if (scenario.state === 'released') await sleep(400);
}

async function converse(extension: Extension, compressed: readonly Buffer[]): Promise<void> {
  for (let k = 0; k < MESSAGES; k++) {
    await extension.decode([compressed[k]!], 0x40, 1 << 20);
    await (extension.encode(messages[k]!, 1) as EncodedMessage | Promise<EncodedMessage>);
  }
}

/** The same with ws's PerMessageDeflate (lib/permessage-deflate.js). */
async function wsDeflate(n: number, scenario: Scenario, keep: unknown[]): Promise<void> {
  const require = createRequire(import.meta.url);
  const { dirname, join } = await import('node:path');
  type WsPmd = {
    accept(offers: Record<string, unknown[]>[]): unknown;
    compress(data: Buffer, fin: boolean, callback: (error: Error | null, data?: Buffer) => void): void;
    decompress(data: Buffer, fin: boolean, callback: (error: Error | null, data?: Buffer) => void): void;
  };
  const PerMessageDeflate = require(join(dirname(require.resolve('ws')), 'lib/permessage-deflate.js')) as new (options: object) => WsPmd;
  const compressed = await clientStream(scenario.noContextTakeover);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const pmd = new PerMessageDeflate({
      isServer: true,
      threshold: 0,
      maxPayload: 1 << 20,
      ...(scenario.noContextTakeover ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : {}),
    });
    pmd.accept([{ client_max_window_bits: [true] }]);
    keep.push(pmd);
    if (scenario.state !== 'idle') {
      pending.push(
        (async () => {
          for (let k = 0; k < MESSAGES; k++) {
            await new Promise((resolve, reject) => pmd.decompress(compressed[k]!, true, (error, data) => (error ? reject(error) : resolve(data))));
            await new Promise((resolve, reject) => pmd.compress(messages[k]!, true, (error, data) => (error ? reject(error) : resolve(data))));
          }
        })(),
      );
    }
  }
  await Promise.all(pending);
}

/** Child: run one scenario and print {rss, js} bytes per connection as JSON. */
async function child(index: number, n: number): Promise<void> {
  const scenario = SCENARIOS[index]!;
  const keep: unknown[] = [];
  // Warm up zlib and the code paths, so one-time costs do not count.
  await (scenario.impl === 'ws4ts' ? ws4ts : wsDeflate)(20, scenario, []);
  await sleep(scenario.state === 'released' ? 0 : 50);
  collect();
  const before = process.memoryUsage();
  await (scenario.impl === 'ws4ts' ? ws4ts : wsDeflate)(n, scenario, keep);
  await sleep(50);
  collect();
  const after = process.memoryUsage();
  const js = after.heapUsed + after.external - (before.heapUsed + before.external);
  console.log(JSON.stringify({ rss: (after.rss - before.rss) / n, js: js / n, kept: keep.length }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--child');
  const nAt = args.indexOf('--n');
  const n = nAt >= 0 ? Number(args[nAt + 1]) : 2000;
  if (at >= 0) return child(Number(args[at + 1]), n);
  const rows: string[][] = [];
  for (let i = 0; i < SCENARIOS.length; i++) {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(import.meta.url).pathname, '--child', String(i), '--n', String(n)], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`scenario ${SCENARIOS[i]!.name} failed:\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { rss: number; js: number };
    rows.push([SCENARIOS[i]!.name, `${(result.rss / 1024).toFixed(1)} KiB`, `${(result.js / 1024).toFixed(1)} KiB`]);
  }
  console.log(`permessage-deflate memory per connection (server side, ${n} connections, Node ${process.version}, zlib ${process.versions.zlib})\n`);
  console.log(textTable(['scenario', 'rss', 'heap+external'], rows));
}

await main();
