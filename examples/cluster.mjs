// ws4py's gevent server, in Node: one async task per connection in each
// process, and one process per core with node:cluster, all on one port
// (workers share the primary's listening socket; serve() is a net.Server, so
// cluster balances its connections). Run: npm run build && node examples/cluster.mjs
// With REDIS_URL set, the workers run a chat room instead of echo: every text
// message reaches every client of every worker (through Redis, ws4ts/redis).
//   REDIS_URL=redis://127.0.0.1:6379 node examples/cluster.mjs
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { serve, EchoWebSocket, WebSocketManager } from 'ws4ts';

const port = Number(process.env.PORT ?? 9000);

if (cluster.isPrimary) {
  const count = Number(process.env.WORKERS ?? availableParallelism());
  let alive = 0;
  let stopping = false;
  const fork = () => {
    alive++;
    cluster.fork();
  };
  for (let i = 0; i < count; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    alive--;
    if (stopping) {
      if (alive === 0) process.exit(0);
      return;
    }
    console.log(`worker ${worker.process.pid} died (${signal ?? code}), starting another`);
    fork();
  });
  let listening = 0;
  cluster.on('listening', (worker) => {
    console.log(`worker ${worker.process.pid} listening`);
    if (++listening === count) console.log(`echo on ws://127.0.0.1:${port}/ with ${count} workers`);
  });

  // SIGTERM / Ctrl-C: the primary stops its workers; each shuts down
  // gracefully (1001 to its clients) and exits, then the primary exits.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (alive === 0) process.exit(0);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // Workers that do not finish in time are killed.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (process.env.REDIS_URL) {
  const { RedisBus } = await import('ws4ts/redis'); // only loaded when asked for
  const bus = new RedisBus({ url: process.env.REDIS_URL });
  const manager = new WebSocketManager({ bus });
  manager.on('gap', (gap) => console.warn(`worker ${process.pid}: gap (${gap.reason}), messages may be missing`));
  manager.on('busError', () => {}); // Redis away: local clients are still served; the gap says when it is back
  const chat = async (ws) => {
    for await (const message of ws) if (typeof message.data === 'string') manager.broadcast(message.data, { slowConsumer: 'close' });
  };
  // Listen once Redis is there (or after 5 s regardless), so that a message sent at once reaches every worker.
  await Promise.race([bus.ready, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  const server = serve({ port, host: '127.0.0.1', handler: chat, manager });
  manager.onShutdown(() => bus.close());
  manager.handleSignals({ signals: ['SIGTERM'] });
  process.on('SIGINT', () => {});
  await server.listening;
} else {
  const server = serve({ port, host: '127.0.0.1', handler: EchoWebSocket });
  // The primary sends SIGTERM; Ctrl-C reaches the whole process group, so
  // SIGINT is left to the primary.
  server.manager.handleSignals({ signals: ['SIGTERM'] });
  process.on('SIGINT', () => {});
  await server.listening;
}
