/**
 * Fan-out across processes through Redis: 1,000 listening clients in all,
 * spread over 1, 2 or 4 server processes on one redis-server; one process
 * broadcasts 200 messages (10 every 5 ms) and every client of every process
 * must get each. Reported per target: messages delivered per second (all
 * deliveries over the time from the first send to the last delivery) and the
 * p99 publish-to-deliver latency (send time carried in the message, read on
 * arrival; one machine, one clock).
 *
 * Targets, in the same run: ws4ts in one process (LocalBus), ws4ts with
 * RedisBus (pub/sub) and RedisStreamBus (Streams), socket.io in one process,
 * socket.io with @socket.io/redis-adapter. Run:
 *   node --import tsx bench/redis-fanout.ts [--quick]
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import WS from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';

const ROOT = new URL('..', import.meta.url).pathname;
const quick = process.argv.includes('--quick');
const CLIENTS = quick ? 200 : 1000;
const MESSAGES = quick ? 50 : 200;

interface Target {
  readonly name: string;
  readonly kind: 'ws4ts' | 'socketio';
  readonly bus?: 'pubsub' | 'streams';
  readonly processes: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startRedis(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => /Ready to accept/.test(chunk.toString()) && resolve()));
  return { url: `redis://127.0.0.1:${port}`, child, dir };
}

interface ServerProc {
  readonly child: ChildProcess;
  readonly port: number;
  readonly events: ((value: Record<string, unknown>) => void)[];
}

async function startServer(target: Target, redisUrl: string | undefined): Promise<ServerProc> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), KIND: target.kind };
  if (redisUrl !== undefined) env.REDIS_URL = redisUrl;
  if (target.bus === 'streams') env.BUS = 'streams';
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/servers/redis-fanout-server.ts'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'inherit'] });
  const events: ((value: Record<string, unknown>) => void)[] = [];
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (value.event === 'listening') resolve(value.port as number);
      else events.shift()?.(value);
    });
  });
  return { child, port, events };
}

interface Result {
  readonly target: string;
  readonly bytes: number;
  readonly delivered: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function runOne(target: Target, bytes: number, redisUrl: string): Promise<Result> {
  const servers: ServerProc[] = [];
  for (let i = 0; i < target.processes; i++) servers.push(await startServer(target, target.processes > 1 ? redisUrl : undefined));
  const latencies: number[] = [];
  let delivered = 0;
  let last = 0;
  const onMessage = (text: string): void => {
    const now = performance.timeOrigin + performance.now();
    latencies.push(now - Number(text.slice(0, 19)));
    delivered++;
    last = now;
  };
  const wsClients: WS[] = [];
  const ioClients: Socket[] = [];
  const opens: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const port = servers[i % servers.length]!.port;
    if (target.kind === 'ws4ts') {
      const ws = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      ws.on('message', (data) => onMessage(data.toString()));
      wsClients.push(ws);
      opens.push(new Promise((resolve, reject) => ws.once('open', () => resolve()).once('error', reject)));
    } else {
      const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, perMessageDeflate: false } as object);
      socket.on('m', onMessage);
      ioClients.push(socket);
      opens.push(new Promise((resolve) => socket.once('connect', () => resolve())));
    }
    if (i % 100 === 99) await Promise.all(opens.slice(-100));
  }
  await Promise.all(opens);
  await new Promise((resolve) => setTimeout(resolve, 500)); // every process has registered its clients
  const expected = CLIENTS * MESSAGES;
  const start = performance.timeOrigin + performance.now();
  servers[0]!.child.stdin!.write(`go ${MESSAGES} ${bytes}\n`);
  const deadline = Date.now() + 60_000;
  while (delivered < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const ws of wsClients) ws.terminate();
  for (const socket of ioClients) socket.disconnect();
  for (const server of servers) server.child.kill('SIGKILL');
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { target: target.name, bytes, delivered: delivered / expected, perSecond: delivered / ((last - start) / 1000), p50: at(0.5), p99: at(0.99) };
}

const targets: Target[] = [
  { name: 'ws4ts, 1 process', kind: 'ws4ts', processes: 1 },
  { name: 'ws4ts RedisBus, 2 processes', kind: 'ws4ts', bus: 'pubsub', processes: 2 },
  { name: 'ws4ts RedisBus, 4 processes', kind: 'ws4ts', bus: 'pubsub', processes: 4 },
  { name: 'ws4ts RedisStreamBus, 2 processes', kind: 'ws4ts', bus: 'streams', processes: 2 },
  { name: 'ws4ts RedisStreamBus, 4 processes', kind: 'ws4ts', bus: 'streams', processes: 4 },
  { name: 'socket.io, 1 process', kind: 'socketio', processes: 1 },
  { name: 'socket.io redis-adapter, 2 processes', kind: 'socketio', bus: 'pubsub', processes: 2 },
  { name: 'socket.io redis-adapter, 4 processes', kind: 'socketio', bus: 'pubsub', processes: 4 },
];

const redis = await startRedis();
const results: Result[] = [];
try {
  for (const bytes of [32, 1024]) {
    for (const target of targets) {
      const result = await runOne(target, bytes, redis.url);
      results.push(result);
      console.log(`${bytes} B  ${target.name.padEnd(38)} ${Math.round(result.perSecond).toLocaleString('en').padStart(9)} msg/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  delivered ${(result.delivered * 100).toFixed(1)}%`);
    }
  }
} finally {
  redis.child.kill('SIGKILL');
  rmSync(redis.dir, { recursive: true, force: true });
}
if (!quick) writeFileSync(join(ROOT, 'bench', 'redis-fanout.json'), `${JSON.stringify({ clients: CLIENTS, messages: MESSAGES, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
process.exit(0);
