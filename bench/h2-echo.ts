/**
 * Echo over HTTP/2 (RFC 8441) against HTTP/1.1 upgrades, both over TLS on
 * loopback, one `serve({ http2: true, tls })` server in a child process and
 * our client in this one (so the two use both cores):
 *
 * - set-up: open N WebSockets at once (at most `--concurrency` handshakes in
 *   flight) — one HTTP/2 session carrying N streams against N TLS
 *   connections each with its own TLS handshake and HTTP/1.1 upgrade;
 * - echo: C WebSockets each keeping W small messages in flight for T seconds
 *   (messages per second, counted on the client).
 *
 * Rounds alternate h2 and h1; medians are reported with the 1-minute load
 * average before and after (the machine may be shared: read ratios, not
 * absolutes). permessage-deflate is off (this measures the transports).
 *
 * `node --import tsx bench/h2-echo.ts [--sockets 1000] [--clients 50]
 *   [--window 8] [--seconds 3] [--rounds 3] [--size 32]`
 *
 * @module
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connect, EchoWebSocket, serve, type WebSocket } from '../src/index.js';
import { TEST_CERT, TEST_KEY } from '../tests/helpers/tls-fixture.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    server: { type: 'boolean' },
    sockets: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '100' },
    clients: { type: 'string', default: '50' },
    window: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '32' },
  },
});

if (values.server) {
  const server = serve({ port: 0, http2: true, tls: { key: TEST_KEY, cert: TEST_CERT }, handler: EchoWebSocket, deflate: false, pingInterval: null, handshakeTimeout: 300_000 });
  await server.listening;
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address !== null ? address.port : 0 });
  process.on('message', (message) => {
    if (message === 'stats') process.send!({ sessions: server.http2?.sessionCount ?? 0, streams: server.http2?.streams ?? 0 });
    if (message === 'stop') void server.close({ timeout: 1000 }).then(() => process.exit(0));
  });
} else {
  await main();
}

type Mode = 'h2' | 'h1';

async function openMany(url: string, mode: Mode, count: number, concurrency: number): Promise<{ sockets: WebSocket[]; ms: number; failed: number }> {
  const options = { tls: { ca: TEST_CERT }, deflate: false, http2: mode === 'h2', timeout: 300_000 };
  const sockets: WebSocket[] = [];
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      // A failure (a loaded machine dropping a handshake) is counted and retried, not fatal.
      for (;;) {
        try {
          sockets.push(await connect(url, options));
          break;
        } catch {
          failed++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { sockets, ms: performance.now() - started, failed };
}

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => ws.close().catch(() => undefined)));
}

async function echo(sockets: readonly WebSocket[], window: number, seconds: number, size: number): Promise<number> {
  const payload = new Uint8Array(size).fill(7);
  let count = 0;
  let running = true;
  const deadline = performance.now() + seconds * 1000;
  const loops = sockets.map(async (ws) => {
    for (let i = 0; i < window; i++) ws.send(payload);
    for await (const _message of ws) {
      count++;
      if (!running || performance.now() >= deadline) {
        running = false;
        return;
      }
      ws.send(payload);
    }
  });
  await Promise.all(loops);
  return count / seconds;
}

async function main(): Promise<void> {
  const sockets = Number(values.sockets);
  const concurrency = Number(values.concurrency);
  const clients = Number(values.clients);
  const window = Number(values.window);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const size = Number(values.size);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: process.execArgv, stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const url = `wss://127.0.0.1:${port}/`;
  const loadBefore = loadavg()[0]!;
  const results: Record<Mode, { setup: number[]; rate: number[] }> = { h2: { setup: [], rate: [] }, h1: { setup: [], rate: [] } };
  // One warm-up of each (JIT, TLS session code paths), not counted.
  for (const mode of ['h2', 'h1'] as const) await closeAll((await openMany(url, mode, 50, 50)).sockets);
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? (['h2', 'h1'] as const) : (['h1', 'h2'] as const)) {
      const many = await openMany(url, mode, sockets, concurrency);
      results[mode].setup.push(many.ms);
      await closeAll(many.sockets);
      const some = await openMany(url, mode, clients, clients);
      results[mode].rate.push(await echo(some.sockets, window, seconds, size));
      await closeAll(some.sockets);
      console.error(`round ${round + 1} ${mode}: set-up ${many.ms.toFixed(0)} ms (${many.failed} retried), echo ${results[mode].rate.at(-1)!.toFixed(0)} msg/s`);
    }
  }
  child.send('stats');
  const stats = await new Promise<{ sessions: number; streams: number }>((resolve) => child.once('message', (m) => resolve(m as { sessions: number; streams: number })));
  child.send('stop');
  const loadAfter = loadavg()[0]!;
  const h2Setup = median(results.h2.setup);
  const h1Setup = median(results.h1.setup);
  const h2Rate = median(results.h2.rate);
  const h1Rate = median(results.h1.rate);
  console.log(`# echo over HTTP/2 vs HTTP/1.1 (TLS, loopback, Node ${process.version}, ${rounds} rounds, medians)`);
  console.log(`set-up of ${sockets} sockets (≤ ${concurrency} at once): h2 ${h2Setup.toFixed(0)} ms (one session) · h1 ${h1Setup.toFixed(0)} ms (${sockets} TLS handshakes) · h1 ÷ h2 = ${(h1Setup / h2Setup).toFixed(2)}`);
  console.log(`echo, ${clients} sockets × ${window} in flight, ${size} B: h2 ${h2Rate.toFixed(0)} msg/s · h1 ${h1Rate.toFixed(0)} msg/s · h2 ÷ h1 = ${(h2Rate / h1Rate).toFixed(2)}`);
  console.log(`server counted ${stats.sessions} HTTP/2 sessions and ${stats.streams} RFC 8441 streams; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} on ${(await import('node:os')).cpus().length} CPUs`);
}
