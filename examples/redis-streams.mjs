// A chat room whose history lives in a Redis stream: every message has an id,
// and a client that reconnects with ?after=<last id> gets what it missed.
//   npm run build && REDIS_URL=redis://127.0.0.1:6379 node examples/redis-streams.mjs
// #region redis-streams
import { serve, WebSocketManager } from 'ws4ts';
import { RedisStreamBus } from 'ws4ts/redis';

const port = Number(process.env.PORT ?? 9000);
const bus = new RedisStreamBus({ url: process.env.REDIS_URL, maxLen: 100_000 });
const manager = new WebSocketManager({
  bus,
  withId: (data, id) => `${id} ${data}`, // what clients get: "1717171717171-0 hello"
});
serve({ port, host: '127.0.0.1', manager, handler: async (ws) => {
  const after = new URL(ws.request?.url ?? '/', 'http://x').searchParams.get('after'); // ws://host/?after=<last id>
  if (after) {
    const { replayed, complete } = await manager.resume(ws, 'room', after);
    if (!complete) ws.send('some messages are gone'); // trimmed: tell the client to reload
  } else await manager.subscribe(ws, 'room');
  for await (const message of ws) manager.publish('room', message.data);
} });
manager.onShutdown(() => bus.close());
manager.handleSignals(); // Ctrl-C / SIGTERM: close every connection with 1001, then exit
// #endregion redis-streams
