// WebSockets over HTTP/2 (RFC 8441): extended CONNECT streams on one TLS
// connection, with serve() and with attach() on a node:http2 server.
// Needs key.pem and cert.pem (for localhost) in the working directory; PORT
// (default 8443) and ATTACH_PORT (default 8444) choose the ports. Exits when done.
// #region h2-serve
import { readFileSync } from 'node:fs';
import { serve, connect, EchoWebSocket } from 'ws4ts';

const tls = { key: readFileSync('key.pem'), cert: readFileSync('cert.pem') };
const port = Number(process.env.PORT ?? 8443);
// One port: ALPN offers h2 and http/1.1; HTTP/1.1 clients still upgrade as before.
const server = serve({ port, tls, http2: true, handler: EchoWebSocket,
  onStream: (stream, headers) => { stream.respond({ ':status': 200 }); stream.end('page'); } });
await server.listening;

// WebSockets to one origin share one HTTP/2 session; it closes when the last one ends.
const ws = await connect(`wss://localhost:${port}/`, { http2: true, tls: { ca: tls.cert } });
// #endregion h2-serve
ws.send('over h2');
console.log('serve:', (await ws.receive()).data);
await ws.close(1000);
await server.close();

{
  // #region h2-attach
  const http2 = await import('node:http2');
  const { attach, EchoWebSocket } = await import('ws4ts');
  const [key, cert] = [readFileSync('key.pem'), readFileSync('cert.pem')];
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => res.end('page'));
  const { manager, http2: counters } = attach(server, { '/echo': EchoWebSocket }); // HTTP/1.1 upgrades too
  server.listen(Number(process.env.ATTACH_PORT ?? 8444));
  // #endregion h2-attach
  await new Promise((resolve) => server.once('listening', resolve));
  const ws = await connect(`wss://localhost:${server.address().port}/echo`, { http2: true, tls: { ca: cert } });
  ws.send('over attach');
  console.log('attach:', (await ws.receive()).data, `(${counters.streams} WebSocket stream over HTTP/2)`);
  await ws.close(1000);
  await manager.shutdown();
  await new Promise((resolve) => server.close(resolve));
}
