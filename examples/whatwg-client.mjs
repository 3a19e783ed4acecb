// The browser's WebSocket API in Node: `new WebSocket(url)`, events, binaryType.
// Self-contained: starts an echo server on a free port, talks to it, exits.
// #region whatwg
import { WebSocket, serve, EchoWebSocket } from 'ws4ts';

const server = serve({ port: 0, host: '127.0.0.1', handler: EchoWebSocket });
await server.listening;
const { port } = server.address();

const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['chat']);
ws.binaryType = 'arraybuffer';
ws.onopen = () => {
  ws.send('hello');
  ws.send(new Uint8Array([1, 2, 3]));
};
let count = 0;
ws.onmessage = (event) => {
  console.log('message', typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
  if (++count === 2) ws.close(1000, 'done');
};
ws.onclose = async (event) => {
  console.log('close', event.code, event.reason, event.wasClean);
  await server.close();
};
// #endregion whatwg
