/**
 * The `ws` echo server for the benchmarks, exactly as ws documents it, plus
 * the control channel. Run with `WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1`
 * for ws's pure-JavaScript paths; without them ws loads bufferutil.
 *
 * Broadcast mode `loop` is ws's documented broadcast:
 * `wss.clients.forEach((client) => { if (client.readyState === WebSocket.OPEN) client.send(data); })`.
 *
 * @module
 */
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { startControl } from './control.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  startControl(
    {
      connections: () => wss.clients.size,
      broadcasts: {
        loop: (data) => {
          wss.clients.forEach((client) => {
            if (client.readyState === WebSocket.OPEN) client.send(data, { binary: true });
          });
        },
      },
    },
    (wss.address() as AddressInfo).port,
  );
});
