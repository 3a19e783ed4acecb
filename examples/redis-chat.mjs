// A chat room across processes and hosts: every text message a client sends
// goes to every client of every process sharing the Redis at REDIS_URL.
// Run two and chat between them:
//   npm run build
//   PORT=9001 REDIS_URL=redis://127.0.0.1:6379 node examples/redis-chat.mjs
//   PORT=9002 REDIS_URL=redis://127.0.0.1:6379 node examples/redis-chat.mjs
// If Redis restarts, each process keeps serving its own clients, reconnects,
// resubscribes and logs the gap during which messages may have been missed.
// #region redis-chat
import { serve, WebSocketManager } from 'ws4ts';
import { RedisBus } from 'ws4ts/redis';

const port = Number(process.env.PORT ?? 9000);
const bus = new RedisBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
const manager = new WebSocketManager({ bus });

manager.on('gap', (gap) => {
  const seconds = ((gap.until - gap.since) / 1000).toFixed(1);
  console.warn(`gap (${gap.reason}): messages from other processes may be missing over ${seconds} s`);
});
let down = false;
manager.on('busError', (error) => {
  if (!down) console.warn(`redis: ${error?.message ?? error} (local clients are still served)`);
  down = true;
});
manager.on('gap', () => (down = false));

async function chat(ws) {
  for await (const message of ws) {
    if (typeof message.data !== 'string') continue; // text only
    manager.broadcast(message.data, {
      maxBufferedAmount: 1024 * 1024, // a client that stops reading…
      slowConsumer: 'close', // …is closed with 1008 instead of stalling the room
    });
  }
}

// Wait for Redis a little before listening (so that a message sent at once
// reaches the other processes), but serve local clients in any case.
await Promise.race([bus.ready, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
const server = serve({ port, host: '127.0.0.1', handler: chat, manager });
manager.onShutdown(() => bus.close());
manager.handleSignals();
await server.listening;
console.log(`listening on ws://127.0.0.1:${port}/ (${bus.connected ? 'redis connected' : 'redis not reachable yet'})`);
// #endregion redis-chat
