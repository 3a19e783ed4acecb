// WebSocketStream: a connection as a ReadableStream and a WritableStream, with
// backpressure both ways. Self-contained: a server that takes its connections
// as streams too (WebSocketStream.from) and upper-cases what it reads.
// #region websocket-stream
import { WebSocketStream, serve } from 'ws4ts';

const server = serve({
  port: 0,
  host: '127.0.0.1',
  handler: async (ws) => {
    const { readable, writable } = await WebSocketStream.from(ws).opened;
    const upper = new TransformStream({ transform: (chunk, out) => out.enqueue(typeof chunk === 'string' ? chunk.toUpperCase() : chunk) });
    await readable.pipeThrough(upper).pipeTo(writable).catch(() => {});
  },
});
await server.listening;
const { port } = server.address();

const wss = new WebSocketStream(`ws://127.0.0.1:${port}/`);
const { readable, writable } = await wss.opened;
const writer = writable.getWriter();
await writer.write('hello'); // resolves once below the write high-water mark
await writer.write(new Uint8Array([1, 2, 3]));
const reader = readable.getReader();
console.log('read', (await reader.read()).value);
console.log('read', (await reader.read()).value);
wss.close({ closeCode: 1000, reason: 'done' });
const { closeCode, reason } = await wss.closed;
console.log('closed', closeCode, reason);
await server.close();
// #endregion
