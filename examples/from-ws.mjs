// Coming from ws: a `ws` echo server moved to ws4ts by changing its import.
// ws4ts/ws has ws's WebSocketServer options and events, and its connections
// take ws's `on('message', (data, isBinary))`, `send(data, { binary })` and
// `ping()`/`on('pong')`, on top of ws4ts's own API (see MIGRATING.md). Run: npm run build && node examples/from-ws.mjs
// #region from-ws
// was: import { WebSocketServer } from 'ws';
import { WebSocketServer } from 'ws4ts/ws';

const wss = new WebSocketServer({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });

wss.on('connection', (ws, request) => {
  console.log('connection from', request.socket.remoteAddress);
  ws.isAlive = true;
  ws.on('pong', () => (ws.isAlive = true));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => console.log('closed', code, reason.toString()));
  // ws4ts's own API is there too: ws.addEventListener('message', …), for await (const m of ws), ws.messages$
});

// ws's heartbeat, unchanged: terminate connections that stopped answering pings.
const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) ws.terminate();
    ws.isAlive = false;
    ws.ping();
  }
}, 30_000);
wss.on('close', () => clearInterval(heartbeat));

wss.on('listening', () => console.log(`echo on ws://127.0.0.1:${wss.address().port}/`));

// Ctrl-C / SIGTERM: close every client with 1001, then the server, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => wss.close(() => process.exit(0)));
// #endregion from-ws
