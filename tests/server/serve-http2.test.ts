/**
 * `serve({ http2: true })`: one port for HTTP/1.1 upgrades and RFC 8441
 * streams (ALPN with TLS, the connection preface without), the same manager,
 * limits, keepalive and shutdown.
 */
import test from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { constants } from 'node:http2';
import { serve, type ServeOptions, type WebSocketServer } from '../../src/server/serve.js';
import { connect, HandshakeError } from '../../src/client.js';
import { EchoWebSocket, WebSocket } from '../../src/websocket.js';
import { client, until, within, PATIENCE, Queue } from '../helpers/loopback.js';
import { CLIENT_TLS, connectHeaders, rawRequest, rawSession } from '../helpers/h2.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';
import type { ExecutionContext } from 'ava';

async function start(t: ExecutionContext, options: Partial<ServeOptions>): Promise<{ server: WebSocketServer; port: number }> {
  // One of handler or routes (serve() refuses both): routes when the test gives them.
  const server = serve({ port: 0, ...(options.routes === undefined ? { handler: EchoWebSocket } : {}), http2: true, ...options } as ServeOptions);
  await server.listening;
  t.teardown(() => server.close({ timeout: 500 }));
  return { server, port: (server.address() as AddressInfo).port };
}
const TLS = { key: TEST_KEY, cert: TEST_CERT };

test('with tls, ALPN offers h2 and http/1.1 on one port: both kinds of client are served by one manager', async (t) => {
  const { server, port } = await start(t, { tls: TLS });
  const h2 = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS });
  const h1 = await client(t, `wss://127.0.0.1:${port}/`, { tls: CLIENT_TLS });
  t.is(h2.response?.status, 200);
  t.is(h1.response?.status, 101);
  h2.send('two');
  h1.send('one');
  t.is((await within(h2.receive(), PATIENCE)).data, 'two');
  t.is((await within(h1.receive(), PATIENCE)).data, 'one');
  t.is(server.manager.size, 2);
  t.is(server.http2?.streams, 1);
  t.is(server.http2?.sessionCount, 1);
  // What ALPN picks for a client offering both.
  const socket = tlsConnect({ port, host: '127.0.0.1', ...CLIENT_TLS, ALPNProtocols: ['h2', 'http/1.1'] });
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  t.is(socket.alpnProtocol, 'h2');
});

test('without tls, h2c clients (prior knowledge) and HTTP/1.1 clients share the port', async (t) => {
  const { server, port } = await start(t, {});
  const h2c = await client(t, `ws://127.0.0.1:${port}/`, { http2: true });
  const h1 = await client(t, `ws://127.0.0.1:${port}/`);
  h2c.send('c');
  h1.send('1');
  t.is((await within(h2c.receive(), PATIENCE)).data, 'c');
  t.is((await within(h1.receive(), PATIENCE)).data, '1');
  t.is(server.http2?.streams, 1);
  t.is(server.manager.size, 2);
});

test('routes, 404 and ordinary requests over HTTP/2 (426 by default, onStream when given)', async (t) => {
  const { port } = await start(t, { routes: { '/echo': EchoWebSocket }, tls: TLS });
  const session = await rawSession(t, port);
  t.is((await rawRequest(session, connectHeaders(port, '/other'))).status, 404);
  const page = await rawRequest(session, { ':path': '/' });
  t.is(page.status, 426);
  t.is(page.body, 'This server only speaks WebSocket\n');
  const error = await t.throwsAsync(connect(`wss://127.0.0.1:${port}/other`, { http2: true, tls: CLIENT_TLS }), { instanceOf: HandshakeError });
  t.is(error.status, 404);

  const { port: withPage } = await start(t, {
    tls: TLS,
    onStream: (stream, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`you asked for ${String(headers[':path'])}`);
    },
  });
  const other = await rawSession(t, withPage);
  t.is((await rawRequest(other, { ':path': '/index.html' })).body, 'you asked for /index.html');
  const ws = await client(t, `wss://127.0.0.1:${withPage}/`, { http2: true, tls: CLIENT_TLS });
  ws.send('and sockets');
  t.is((await within(ws.receive(), PATIENCE)).data, 'and sockets');
});

test('close() closes every WebSocket with 1001, then the sessions, then stops listening', async (t) => {
  const { server, port } = await start(t, { tls: TLS });
  const a = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS });
  const b = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS });
  const sessions = [...server.http2!.sessions];
  t.is(sessions.length, 1);
  const closed = once(sessions[0]!, 'close');
  await within(server.close({ timeout: 2000 }), PATIENCE);
  t.deepEqual(await a.finished, { code: 1001, reason: 'server closing', wasClean: true });
  t.deepEqual(await b.finished, { code: 1001, reason: 'server closing', wasClean: true });
  await within(closed, PATIENCE);
  t.is(server.http2!.sessions.size, 0);
});

test('the manager\'s shutdown() closes h2 WebSockets with 1001 and their sessions', async (t) => {
  const { server, port } = await start(t, { tls: TLS });
  const ws = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS });
  await within(server.manager.shutdown({ timeout: 2000 }), PATIENCE);
  t.is((await ws.finished).code, 1001);
  await until(() => server.http2!.sessions.size === 0, PATIENCE, 'sessions to close');
});

test('keepalive pings work per stream: a peer that never pongs is closed, the other stays', async (t) => {
  const accepted = new Queue<WebSocket>();
  const { port } = await start(t, {
    tls: TLS,
    // Generous for a loaded machine: the live peer has 3 s to answer each ping.
    pingInterval: 200,
    pongTimeout: 3000,
    onConnection: (ws) => accepted.push(ws),
  });
  const lively = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS });
  const silent = await client(t, `wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS, autoPong: false });
  await accepted.next();
  await accepted.next();
  // The peer that never answers pings is closed as dead; the other one stays.
  t.is((await within(silent.finished, PATIENCE)).code, 1011);
  t.is(lively.readyState, 1);
  lively.send('alive');
  t.is((await within(lively.receive(), PATIENCE)).data, 'alive');
});

test('an HTTP/2 session that opens no stream is dropped after headerTimeout', async (t) => {
  const { port } = await start(t, { tls: TLS, headerTimeout: 3000 });
  // Established (the server's SETTINGS arrived), then idle: dropped after the timeout.
  const session = await rawSession(t, port);
  const started = performance.now();
  await within(new Promise((resolve) => session.once('close', resolve)), PATIENCE, 'the idle session to be dropped');
  t.true(session.destroyed || session.closed);
  t.true(performance.now() - started < PATIENCE);
});

test('maxHeaderCount applies to HTTP/2 requests too: node:http2 resets the stream (ENHANCE_YOUR_CALM), the session lives on', async (t) => {
  const { port } = await start(t, { tls: TLS, maxHeaderCount: 10 });
  const session = await rawSession(t, port);
  const extra: Record<string, string> = {};
  for (let i = 0; i < 20; i++) extra[`x-h${i}`] = 'v';
  const stream = session.request(connectHeaders(port, '/', extra), { endStream: false });
  stream.on('error', () => {});
  // (events.once would reject on the stream's 'error'.)
  await within(new Promise((resolve) => stream.once('close', resolve)), PATIENCE);
  t.is(stream.rstCode, constants.NGHTTP2_ENHANCE_YOUR_CALM);
  const fine = session.request(connectHeaders(port, '/'), { endStream: false });
  const [answer] = (await within(once(fine, 'response'), PATIENCE)) as [Record<string, unknown>];
  t.is(answer[':status'], 200);
  fine.close();
});
