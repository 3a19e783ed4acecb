/**
 * One server process of bench/redis-fanout.ts. KIND selects what it runs:
 * `ws4ts` (a manager on LocalBus, or on RedisBus / RedisStreamBus with BUS),
 * or `socketio` (socket.io, with @socket.io/redis-adapter when REDIS_URL is
 * set). Clients only listen. On the stdin line `go <n> <bytes>`, this process
 * broadcasts `n` messages of `bytes` bytes (text: the send time, then
 * padding), 10 every 5 ms, to every client of every process; it prints
 * `{"event":"sent"}` when done. Prints `{"event":"listening","port":…}` first.
 *
 * @module
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { serve } from '../../src/server/serve.js';
import { WebSocketManager, type BroadcastBus } from '../../src/server/manager.js';
import { RedisBus, RedisStreamBus } from '../../src/scale/index.js';

const kind = process.env.KIND ?? 'ws4ts';
const redisUrl = process.env.REDIS_URL;
let broadcast: (data: string) => void;
let port: number;

if (kind === 'ws4ts') {
  let bus: BroadcastBus | undefined;
  if (redisUrl !== undefined && process.env.BUS === 'streams') bus = new RedisStreamBus({ url: redisUrl });
  else if (redisUrl !== undefined) bus = new RedisBus({ url: redisUrl });
  await (bus as { ready?: Promise<void> } | undefined)?.ready;
  const manager = new WebSocketManager({ bus, maxBufferedAmount: 64 * 1024 * 1024 });
  const server = serve({ port: 0, host: '127.0.0.1', manager, handler: async (ws) => { for await (const _ of ws) { /* listen only */ } } });
  await server.listening;
  port = (server.address() as AddressInfo).port;
  broadcast = (data) => void manager.broadcast(data);
} else {
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  if (redisUrl !== undefined) {
    const { createClient } = await import('redis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  broadcast = (data) => void io.emit('m', data);
}

function send(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
send({ event: 'listening', port });

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, n, bytes] = line.split(' ');
  if (command === 'exit') process.exit(0);
  if (command !== 'go') return;
  let left = Number(n);
  const pad = 'x'.repeat(Math.max(0, Number(bytes) - 20));
  const tick = (): void => {
    for (let i = 0; i < 10 && left > 0; i++, left--) broadcast(`${(performance.timeOrigin + performance.now()).toFixed(3).padStart(19, '0')}|${pad}`);
    if (left > 0) setTimeout(tick, 5);
    else send({ event: 'sent' });
  };
  tick();
});
process.stdin.on('end', () => process.exit(0));
