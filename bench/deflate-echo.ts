/**
 * Echo throughput with permessage-deflate: a ws4ts server (attach +
 * permessageDeflate) against a ws WebSocketServer, both driven by the same
 * `ws` clients (perMessageDeflate on) from this process.
 *
 *   node --import tsx bench/deflate-echo.ts                 # ~40 s
 *   node --import tsx bench/deflate-echo.ts --seconds 1     # quick look
 *
 * Each server runs in its own child process; targets take turns within each
 * round and the median of the rounds is reported, with the server's CPU time
 * per message. Messages are JSON text (compressible, each one different).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WS, { WebSocketServer } from 'ws';
import { waitIdle } from './lib/cpu.js';
import { median, textTable } from './lib/stats.js';

interface Target {
  readonly name: string;
  readonly mode: 'ws4ts' | 'ws';
  readonly level?: number;
  readonly noContextTakeover?: boolean;
}

const TARGETS: Target[] = [
  { name: 'ws4ts (level 1, default)', mode: 'ws4ts' },
  { name: 'ws4ts level 6', mode: 'ws4ts', level: 6 },
  { name: 'ws (level 6, default)', mode: 'ws' },
  { name: 'ws4ts no takeover', mode: 'ws4ts', noContextTakeover: true },
  { name: 'ws no takeover', mode: 'ws', noContextTakeover: true },
];

// ─── the server child ───────────────────────────────────────────────────────

async function serve(target: Target): Promise<void> {
  let port: number;
  if (target.mode === 'ws4ts') {
    const { attach } = await import('../src/server/attach.js');
    const { EchoWebSocket } = await import('../src/websocket.js');
    const { permessageDeflate } = await import('../src/extensions/permessage-deflate.js');
    const server = createServer();
    attach(server, {
      '/': {
        handler: EchoWebSocket,
        extensions: [
          permessageDeflate({
            ...(target.level !== undefined ? { level: target.level } : {}),
            ...(target.noContextTakeover ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : {}),
          }),
        ],
        pingInterval: null,
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  } else {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: {
        ...(target.level !== undefined ? { zlibDeflateOptions: { level: target.level } } : {}),
        ...(target.noContextTakeover ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : {}),
      },
    });
    server.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
    });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  // The parent asks for the CPU time used so far with any line on stdin.
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', () => {
    const usage = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: usage.user + usage.system })}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
}

// ─── the load ───────────────────────────────────────────────────────────────

function jsonMessage(size: number, seed: number): string {
  let s = '[';
  for (let i = 0; s.length < size; i++) {
    s += `${JSON.stringify({ id: seed * 100_000 + i, user: `user-${(i * 7 + seed) % 977}`, price: ((i * 7919 + seed) % 100_000) / 100, side: i % 2 ? 'buy' : 'sell' })},`;
  }
  return s.slice(0, size);
}

interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  cpu(): Promise<number>;
}

async function startServer(index: number): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', String(index)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
    waiting?.();
  });
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
    return lines.shift()!;
  };
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    child,
    port,
    async cpu() {
      child.stdin!.write('cpu\n');
      return (JSON.parse(await nextLine()) as { cpu: number }).cpu;
    },
  };
}

/** `connections` ws clients, each echoing one message at a time for `seconds`; messages per second. */
async function load(port: number, size: number, connections: number, seconds: number, noContextTakeover: boolean): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const ws = new WS(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: noContextTakeover ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : {},
      });
      ws.on('error', () => {});
      await once(ws, 'open');
      return ws;
    }),
  );
  const pool = Array.from({ length: 64 }, (_, i) => jsonMessage(size, i));
  let count = 0;
  let running = true;
  await Promise.all(
    clients.map(
      (ws, c) =>
        new Promise<void>((resolve) => {
          let k = c;
          ws.on('message', () => {
            count++;
            if (!running) return resolve();
            ws.send(pool[++k % pool.length]!);
          });
          ws.send(pool[k % pool.length]!);
          setTimeout(() => (running = false), seconds * 1000);
        }),
    ),
  );
  for (const ws of clients) ws.terminate();
  return count / seconds;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const serveAt = args.indexOf('--serve');
  if (serveAt >= 0) return serve(TARGETS[Number(args[serveAt + 1])]!);
  const secondsAt = args.indexOf('--seconds');
  const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 2;
  const rounds = 3;
  const cells = [
    { size: 1024, connections: 50 },
    { size: 16 * 1024, connections: 50 },
  ];
  const servers = await Promise.all(TARGETS.map((_, i) => startServer(i)));
  const results = new Map<string, { rate: number[]; cpu: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const cell of cells) {
      for (let i = 0; i < TARGETS.length; i++) {
        const target = TARGETS[i]!;
        const server = servers[i]!;
        const before = await server.cpu();
        const rate = await load(server.port, cell.size, cell.connections, seconds, target.noContextTakeover === true);
        const cpu = (await server.cpu()) - before;
        // The next target runs once this server has torn down the 50 terminated clients (zlib contexts included).
        await waitIdle(server.child.pid);
        const key = `${target.name}|${cell.size}`;
        const entry = results.get(key) ?? { rate: [], cpu: [] };
        entry.rate.push(rate);
        entry.cpu.push(cpu / (rate * seconds));
        results.set(key, entry);
      }
    }
  }
  for (const server of servers) server.child.stdin!.end();
  const rows: string[][] = [];
  for (const cell of cells) {
    for (const target of TARGETS) {
      const entry = results.get(`${target.name}|${cell.size}`)!;
      rows.push([`${cell.size / 1024} KiB`, target.name, `${Math.round(median(entry.rate))}`, `${median(entry.cpu).toFixed(1)} µs`]);
    }
  }
  console.log(`echo with permessage-deflate, ${cells[0]!.connections} ws clients, ${seconds} s × ${rounds} rounds (median), Node ${process.version}\n`);
  console.log(textTable(['size', 'server', 'msg/s', 'server CPU/msg'], rows));
  // Medians of per-round ratios, defaults against defaults; bench/targets.ts reads this line.
  const ratios = cells.map((cell) => {
    const ours = results.get(`${TARGETS[0]!.name}|${cell.size}`)!.rate;
    const ws = results.get(`${TARGETS[2]!.name}|${cell.size}`)!.rate;
    return `${cell.size / 1024} KiB ${median(ours.map((rate, i) => rate / ws[i]!)).toFixed(2)}×`;
  });
  console.log(`\nws4ts ÷ ws, defaults: ${ratios.join(', ')}`);
}

await main();
