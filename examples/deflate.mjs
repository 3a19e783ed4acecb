// permessage-deflate (RFC 7692), tuned on the server and turned off on one
// client. Self-contained: starts a server on a free port, talks to it, exits.
// #region deflate
import { serve, connect, EchoWebSocket } from 'ws4ts';

const server = serve({ port: 0, host: '127.0.0.1', handler: EchoWebSocket, deflate: { level: 6, threshold: 256, serverMaxWindowBits: 12 } });
await server.listening;
const url = `ws://127.0.0.1:${server.address().port}/`;

const compressed = await connect(url); // on by default for clients too
const plain = await connect(url, { deflate: false });
console.log('negotiated:', compressed.extensions || 'none', '|', plain.extensions || 'none');
// #endregion deflate

const text = 'compressible '.repeat(100);
for (const ws of [compressed, plain]) {
  ws.send(text);
  const echo = await ws.receive();
  console.log('echoed', echo.data.length, 'characters', echo.data === text ? 'intact' : 'CHANGED');
  await ws.close(1000);
}
await server.close();
