// Coming from ws: a `ws` echo server moved to ws4ts. The server keeps its
// shape (ws4ts/ws has ws's WebSocketServer options and events); the
// connection is a ws4ts WebSocket, which has WHATWG events instead of
// `ws.on(...)` (see MIGRATING.md). Run: npm run build && node examples/from-ws.mjs
// #region from-ws
// was: import { WebSocketServer } from 'ws';
import { WebSocketServer } from 'ws4ts/ws';

const wss = new WebSocketServer({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });

wss.on('connection', (ws, request) => {
  console.log('connection from', request.socket.remoteAddress);
  // was: ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (event) => ws.send(event.data)); // a string goes back as text, an ArrayBuffer as binary
  // was: ws.on('close', (code, reason) => …)
  ws.addEventListener('close', (event) => console.log('closed', event.code, event.reason));
});

wss.on('listening', () => console.log(`echo on ws://127.0.0.1:${wss.address().port}/`));

// Ctrl-C / SIGTERM: close every client with 1001, then the server, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => wss.close(() => process.exit(0)));
// #endregion from-ws
