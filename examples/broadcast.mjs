// A chat room: every message a client sends goes to every connected client
// (the sender included), framed once by the manager's broadcast.
// Run: npm run build && node examples/broadcast.mjs
// #region broadcast
import { serve, WebSocketManager } from 'ws4ts';

const port = Number(process.env.PORT ?? 9000);
const manager = new WebSocketManager();

async function chat(ws) {
  for await (const message of ws) {
    const { failed, slow } = manager.broadcast(message.data, {
      maxBufferedAmount: 1024 * 1024, // a client that stops reading…
      slowConsumer: 'close', // …is closed with 1008 instead of stalling the room
    });
    for (const { error } of failed) console.error('broadcast failed:', error);
    if (slow.length > 0) console.log(`${slow.length} slow client(s) closed`);
  }
}

manager.connections$.subscribe((ws) => console.log(`joined (${manager.size} in the room)`, ws.remoteAddress));

const server = serve({ port, host: '127.0.0.1', handler: chat, manager });
manager.handleSignals();
await server.listening;
console.log(`chat on ws://127.0.0.1:${port}/`);
// #endregion broadcast
