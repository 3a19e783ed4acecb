/**
 * The HTTP/2 client (`connect(url, { http2: true })`): one session per
 * origin, closed when its last WebSocket ends; clear errors when the server
 * cannot do RFC 8441.
 */
import test from 'ava';
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, HandshakeError } from '../src/client.js';
import { http2Sessions } from '../src/client-h2.js';
import { EchoWebSocket } from '../src/websocket.js';
import { WebSocketError } from '../src/protocol/errors.js';
import { client, until, within, PATIENCE } from './helpers/loopback.js';
import { CLIENT_TLS, h2Server } from './helpers/h2.js';
import { TEST_CERT, TEST_KEY } from './helpers/tls-fixture.js';

// The session pool is process-wide: these tests look at it, so they run one at a time.
const serial = test.serial;

function sessionsTo(port: number): { users: number; streams: number }[] {
  return http2Sessions()
    .filter((s) => s.origin.endsWith(`:${port}`))
    .map(({ users, streams }) => ({ users, streams }));
}

serial('WebSockets to one origin share one session, which closes when the last one ends', async (t) => {
  const { url, port, attachment, sessions } = await h2Server(t, { '/': EchoWebSocket });
  const first = await client(t, `${url}/`, { http2: true, tls: CLIENT_TLS });
  const more = await Promise.all([1, 2, 3].map(() => client(t, `${url}/?n`, { http2: true, tls: CLIENT_TLS })));
  t.deepEqual(sessionsTo(port), [{ users: 4, streams: 4 }]);
  t.is(attachment.http2.sessionCount, 1);
  for (const ws of more) await within(ws.close(), PATIENCE);
  t.deepEqual(sessionsTo(port), [{ users: 1, streams: 4 }], 'still open for the first WebSocket');
  t.is(sessions.size, 1);
  await within(first.close(), PATIENCE);
  t.deepEqual(sessionsTo(port), []);
  await until(() => sessions.size === 0, PATIENCE, 'the server to see the session close');
  // The next connect opens a fresh session.
  const again = await client(t, `${url}/`, { http2: true, tls: CLIENT_TLS });
  again.send('again');
  t.is((await within(again.receive(), PATIENCE)).data, 'again');
  t.is(attachment.http2.sessionCount, 2);
});

serial('different tls option objects do not share a session', async (t) => {
  const { url, port } = await h2Server(t, { '/': EchoWebSocket });
  await client(t, `${url}/`, { http2: true, tls: CLIENT_TLS });
  await client(t, `${url}/`, { http2: true, tls: { ca: TEST_CERT } });
  t.is(sessionsTo(port).length, 2);
});

serial('a session the server sends GOAWAY on takes no new WebSocket: the next one opens a new session', async (t) => {
  const { url, port, sessions, attachment } = await h2Server(t, { '/': EchoWebSocket });
  const old = await client(t, `${url}/`, { http2: true, tls: CLIENT_TLS });
  const [session] = [...sessions];
  session!.goaway();
  await until(() => sessionsTo(port).length === 0, PATIENCE, 'the client to forget the session');
  const fresh = await client(t, `${url}/`, { http2: true, tls: CLIENT_TLS });
  fresh.send('fresh');
  t.is((await within(fresh.receive(), PATIENCE)).data, 'fresh');
  t.is(attachment.http2.sessionCount, 2);
  // The WebSocket on the old session still works (GOAWAY only stops new streams).
  old.send('old');
  t.is((await within(old.receive(), PATIENCE)).data, 'old');
});

serial('an HTTP/2 server without SETTINGS_ENABLE_CONNECT_PROTOCOL is refused with a clear error', async (t) => {
  const server = createSecureServer({ key: TEST_KEY, cert: TEST_CERT });
  server.on('stream', (stream) => stream.respond({ ':status': 404 }, { endStream: true }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const error = await t.throwsAsync(connect(`wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS }), { instanceOf: HandshakeError });
  t.regex(error.message, /SETTINGS_ENABLE_CONNECT_PROTOCOL/);
  await until(() => sessionsTo(port).length === 0, PATIENCE, 'the unused session to close');
});

serial('a server that speaks only HTTP/1.1 fails the TLS handshake (no ALPN h2), as a HandshakeError', async (t) => {
  const server = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT, ALPNProtocols: ['http/1.1'] });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const error = await t.throwsAsync(within(connect(`wss://127.0.0.1:${port}/`, { http2: true, tls: CLIENT_TLS, timeout: 2000 }), PATIENCE), {
    instanceOf: HandshakeError,
  });
  t.is(error.status, 0);
});

serial('reserved or malformed headers are refused before anything is sent', async (t) => {
  const error = await t.throwsAsync(connect('wss://127.0.0.1:1/', { http2: true, headers: { 'Sec-WebSocket-Key': 'x' } }), { instanceOf: WebSocketError });
  t.is(error.code, 'WS_ERR_INVALID_ARGUMENT');
  // Caught by connect()'s options check (src/options.ts) before the HTTP/2 path: a TypeError naming the option.
  await t.throwsAsync(connect('wss://127.0.0.1:1/', { http2: true, headers: { 'x-ok': 'a\r\nb' } }), { instanceOf: TypeError, message: /options\.headers\["x-ok"\]/ });
  await t.throwsAsync(connect('wss://127.0.0.1:1/', { http2: true, protocols: ['a b'] }), { instanceOf: TypeError, message: /options\.protocols\[0\]/ });
});

serial('an abort signal and the timeout end a pending handshake and release the session', async (t) => {
  const { url, port } = await h2Server(t, {
    '/slow': { handler: EchoWebSocket, verify: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5000)) },
  });
  const controller = new AbortController();
  const pending = connect(`${url}/slow`, { http2: true, tls: CLIENT_TLS, signal: controller.signal });
  await until(() => sessionsTo(port).length === 1, PATIENCE, 'the session');
  controller.abort(new Error('changed my mind'));
  await t.throwsAsync(pending, { message: 'changed my mind' });
  await t.throwsAsync(connect(`${url}/slow`, { http2: true, tls: CLIENT_TLS, timeout: 200 }), { instanceOf: HandshakeError, message: /timed out/ });
  // handshakeTimeout, timeout's other name, bounds the HTTP/2 handshake as it does the HTTP/1.1 one
  // (the verify above takes 5 s; the default would be 10 s).
  const started = Date.now();
  await t.throwsAsync(connect(`${url}/slow`, { http2: true, tls: CLIENT_TLS, handshakeTimeout: 200 }), { instanceOf: HandshakeError, message: /timed out/ });
  t.true(Date.now() - started < 4000, 'ended by handshakeTimeout, not by the server answering after 5 s');
  t.deepEqual(sessionsTo(port), []);
});
