/**
 * WebSockets over HTTP/2 (RFC 8441) on the server: `attach()` on node:http2
 * servers (TLS with allowHTTP1, cleartext h2c), refusals with `:status`,
 * shutdown, and the acceptor's counters. Peers: our client over h2, our
 * client over HTTP/1.1, and raw node:http2 requests.
 */
import test from 'ava';
import { once } from 'node:events';
import { connect as http2Connect, createSecureServer, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect, HandshakeError } from '../../src/client.js';
import { EchoWebSocket, WebSocket } from '../../src/websocket.js';
import { WebSocketManager } from '../../src/server/manager.js';
import { isHttp2Preface } from '../../src/server/http2.js';
import { client, deferred, until, within, PATIENCE, Queue } from '../helpers/loopback.js';
import { CLIENT_TLS, connectHeaders, h2Server, rawRequest, rawSession } from '../helpers/h2.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

const h2 = { http2: true, tls: CLIENT_TLS } as const;

test('attach() on http2.createSecureServer({ allowHTTP1 }) answers extended CONNECT with 200 and HTTP/1.1 upgrades with 101', async (t) => {
  const accepted = new Queue<WebSocket>();
  const { url, attachment } = await h2Server(t, { '/echo': { handler: EchoWebSocket, onConnection: (ws) => accepted.push(ws) } });
  const ws = await client(t, `${url}/echo?room=1`, h2);
  t.is(ws.response?.status, 200);
  t.is(ws.response?.headers['sec-websocket-accept'], undefined, 'no accept key over HTTP/2');
  const server = await accepted.next();
  t.is(server.request?.method, 'CONNECT');
  t.is(server.request?.httpVersion, '2.0');
  t.is(server.request?.url, '/echo?room=1');
  t.is(server.request?.headers.host, server.request?.headers[':authority'], 'host is filled from :authority');
  t.is(server.remoteAddress, '127.0.0.1');
  ws.send('héllo');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'héllo' });
  ws.send(new Uint8Array([0, 1, 255]));
  const binary = await within(ws.receive(), PATIENCE);
  t.is(binary.type, 'binary');
  t.deepEqual([...(binary.data as Uint8Array)], [0, 1, 255]);
  t.is(attachment.http2.streams, 1);

  const h1 = await client(t, `${url}/echo`, { tls: CLIENT_TLS });
  t.is(h1.response?.status, 101);
  t.is((await accepted.next()).request?.httpVersion, '1.1');
  h1.send('over 1.1');
  t.is((await within(h1.receive(), PATIENCE)).data, 'over 1.1');
  t.is(attachment.http2.streams, 1, 'the HTTP/1.1 upgrade did not go through HTTP/2');
  t.is(attachment.manager.size, 2);
  t.deepEqual(await within(ws.close(1000, 'bye'), PATIENCE), { code: 1000, reason: 'bye', wasClean: true });
});

test('the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and ordinary requests stay the application\'s', async (t) => {
  const { port } = await h2Server(t, { '/': EchoWebSocket });
  const session = await rawSession(t, port);
  t.true(session.remoteSettings.enableConnectProtocol);
  const page = await rawRequest(session, { ':path': '/' });
  t.is(page.status, 200);
  t.is(page.body, 'page');
  // A plain CONNECT (a proxy request) is not ours: the compatibility layer's 405.
  const proxy = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' }, { endStream: false });
  proxy.on('error', () => {});
  const [answer] = (await within(once(proxy, 'response'), PATIENCE)) as [Record<string, unknown>];
  t.is(answer[':status'], 405);
  proxy.close();
});

test('refusals carry the acceptor\'s :status, headers and reason', async (t) => {
  const manager = new WebSocketManager();
  const { port, url } = await h2Server(
    t,
    {
      '/': { handler: EchoWebSocket, origins: ['https://good.example'] },
      '/auth': { handler: EchoWebSocket, verify: async () => ({ status: 401, reason: 'Who are you?', headers: { 'WWW-Authenticate': 'Bearer' } }) },
      '/throws': {
        handler: EchoWebSocket,
        verify: () => {
          throw new Error('boom');
        },
      },
    },
    { manager },
  );
  const session = await rawSession(t, port);
  const notFound = await rawRequest(session, connectHeaders(port, '/nope'));
  t.is(notFound.status, 404);
  t.is(notFound.body, 'No WebSocket endpoint at this path\n');
  t.is(notFound.headers['content-type'], 'text/plain; charset=utf-8');
  const version = await rawRequest(session, connectHeaders(port, '/', { 'sec-websocket-version': '8' }));
  t.is(version.status, 426);
  t.is(version.headers['sec-websocket-version'], '13');
  t.is((await rawRequest(session, connectHeaders(port, '/', { 'sec-websocket-extensions': 'permessage-deflate; x="' }))).status, 400);
  t.is((await rawRequest(session, connectHeaders(port, '/', { 'sec-websocket-protocol': 'a b' }))).status, 400);
  t.is((await rawRequest(session, connectHeaders(port, '/', { origin: 'https://evil.example' }))).status, 403);
  const auth = await rawRequest(session, connectHeaders(port, '/auth'));
  t.is(auth.status, 401);
  t.is(auth.headers['www-authenticate'], 'Bearer');
  t.is(auth.body, 'Who are you?\n');
  t.is((await rawRequest(session, connectHeaders(port, '/throws'))).status, 500);
  // Our client reports the status as a HandshakeError.
  const error = await t.throwsAsync(connect(`${url}/nope`, { ...h2, timeout: PATIENCE }), { instanceOf: HandshakeError });
  t.is(error.status, 404);
  t.is(error.body, 'No WebSocket endpoint at this path\n');
  const origin = await t.throwsAsync(connect(`${url}/`, { ...h2, origin: 'https://evil.example' }), { instanceOf: HandshakeError });
  t.is(origin.status, 403);
  // The session survives every refusal: a good request still works on it.
  const ok = session.request(connectHeaders(port, '/', { origin: 'https://good.example' }), { endStream: false });
  ok.on('error', () => {});
  const [answer] = (await within(once(ok, 'response'), PATIENCE)) as [Record<string, unknown>];
  t.is(answer[':status'], 200);
  await until(() => manager.size === 1, PATIENCE, 'the accepted WebSocket');
  ok.close(constants.NGHTTP2_CANCEL);
});

test('subprotocols and permessage-deflate are negotiated by the same rules as HTTP/1.1', async (t) => {
  const accepted = new Queue<WebSocket>();
  const { url } = await h2Server(t, { '/': { handler: EchoWebSocket, protocols: ['v2', 'v1'], onConnection: (ws) => accepted.push(ws) } });
  const ws = await client(t, `${url}/`, { ...h2, protocols: ['v1', 'v2'] });
  t.is(ws.protocol, 'v2');
  t.regex(ws.extensions, /^permessage-deflate/);
  const server = await accepted.next();
  t.is(server.protocol, 'v2');
  const text = 'compressible '.repeat(10_000);
  ws.send(text);
  t.is((await within(ws.receive(), PATIENCE)).data, text);
  const plain = await client(t, `${url}/`, { ...h2, deflate: false });
  t.is(plain.extensions, '');
  t.is(plain.protocol, '');
});

test('16 MiB messages cross an HTTP/2 stream both ways (flow control, backpressure)', async (t) => {
  const { url } = await h2Server(t, { '/': { handler: EchoWebSocket, deflate: false } });
  const ws = await client(t, `${url}/`, { ...h2, deflate: false });
  const big = new Uint8Array(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
  ws.send(big);
  const echo = await within(ws.receive(), PATIENCE * 3, '16 MiB echo');
  t.is(echo.type, 'binary');
  t.true(Buffer.from(echo.data as Uint8Array).equals(Buffer.from(big)));
});

test('many WebSockets share one session; dropping one leaves the others running', async (t) => {
  const accepted = new Queue<WebSocket>();
  const { url, attachment } = await h2Server(t, { '/': { handler: EchoWebSocket, onConnection: (ws) => accepted.push(ws) } });
  const sockets = await Promise.all(Array.from({ length: 20 }, () => client(t, `${url}/`, h2)));
  const servers = await Promise.all(sockets.map(() => accepted.next()));
  t.is(attachment.http2.sessionCount, 1, 'one session carried every WebSocket');
  t.is(attachment.http2.streams, 20);
  const dropped = sockets[3]!;
  dropped.terminate();
  const outcome = await within(dropped.finished, PATIENCE);
  t.is(outcome.code, 1006);
  await until(() => attachment.manager.size === 19, PATIENCE, 'the server to see the drop');
  const closedOnServer = servers.filter((ws) => ws.readyState === 3);
  t.is(closedOnServer.length, 1);
  t.is((await within(closedOnServer[0]!.finished, PATIENCE)).code, 1006);
  const rest = sockets.filter((ws) => ws !== dropped);
  for (const [i, ws] of rest.entries()) ws.send(`still here ${i}`);
  for (const [i, ws] of rest.entries()) t.is((await within(ws.receive(), PATIENCE)).data, `still here ${i}`);
  t.is(attachment.http2.sessions.size, 1, 'the session outlived the dropped stream');
  // A clean close by the server ends the stream only, too.
  await within(servers.find((ws) => ws.readyState === 1)!.close(4000, 'just you'), PATIENCE);
  await until(() => rest.filter((ws) => ws.readyState === 3).length === 1, PATIENCE, 'the client to see the close');
  const [closedByServer] = rest.filter((ws) => ws.readyState === 3);
  t.deepEqual(await closedByServer!.finished, { code: 4000, reason: 'just you', wasClean: true });
  const open = rest.filter((ws) => ws !== closedByServer);
  for (const ws of open) ws.send('after');
  for (const ws of open) t.is((await within(ws.receive(), PATIENCE)).data, 'after');
  t.is(attachment.http2.sessions.size, 1);
});

test('shutdown() closes every WebSocket with 1001, then the session', async (t) => {
  const { url, attachment, sessions } = await h2Server(t, { '/': EchoWebSocket });
  const a = await client(t, `${url}/`, h2);
  const b = await client(t, `${url}/`, h2);
  t.is(sessions.size, 1);
  const session = [...sessions][0]!;
  const sessionClosed = once(session, 'close');
  await within(attachment.shutdown({ timeout: 2000 }), PATIENCE);
  t.deepEqual(await a.finished, { code: 1001, reason: 'server shutting down', wasClean: true });
  t.deepEqual(await b.finished, { code: 1001, reason: 'server shutting down', wasClean: true });
  await within(sessionClosed, PATIENCE, 'the session to close');
  t.is(attachment.manager.size, 0);
});

test('during a shutdown new extended CONNECTs are answered 503', async (t) => {
  const gate = deferred<void>();
  class Slow extends WebSocket {
    override closed(): void {}
  }
  const { port, attachment } = await h2Server(t, { '/': Slow, '/gate': { handler: Slow, verify: () => gate.promise.then(() => true) } });
  const session = await rawSession(t, port);
  const pending = rawRequest(session, connectHeaders(port, '/gate'));
  await delay(50);
  const shutdown = attachment.shutdown({ timeout: 500 });
  gate.resolve();
  t.is((await pending).status, 503);
  await shutdown;
});

test('cleartext h2c: attach() on http2.createServer() serves ws:// with http2: true', async (t) => {
  const { url, attachment } = await h2Server(t, { '/': EchoWebSocket }, {}, { h2c: true });
  t.true(url.startsWith('ws://'));
  const ws = await client(t, `${url}/`, { http2: true });
  ws.send('clear');
  t.is((await within(ws.receive(), PATIENCE)).data, 'clear');
  t.is(attachment.http2.streams, 1);
});

test('sessions opened before attach() are switched on when first seen (0 → 1, never back)', async (t) => {
  const server = createSecureServer({ key: TEST_KEY, cert: TEST_CERT });
  server.on('stream', (stream) => {
    if (stream.headersSent) return;
    stream.respond({ ':status': 200 });
    stream.end('early');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const early = http2Connect(`https://127.0.0.1:${port}`, CLIENT_TLS);
  early.on('error', () => {});
  t.teardown(() => early.destroy());
  await once(early, 'remoteSettings');
  t.falsy(early.remoteSettings.enableConnectProtocol);
  const { attach } = await import('../../src/server/attach.js');
  const attachment = attach(server, { '/': EchoWebSocket });
  // The next stream on the old session reaches the attachment, which turns the setting on.
  const switched = once(early, 'remoteSettings');
  await rawRequest(early, { ':path': '/' });
  await within(switched, PATIENCE);
  t.true(early.remoteSettings.enableConnectProtocol);
  attachment.detach();
  const session = await rawSession(t, port);
  t.true(session.remoteSettings.enableConnectProtocol, 'detach() leaves the setting on');
});

test('isHttp2Preface tells the h2c preface from HTTP/1.1 by its first four bytes', (t) => {
  t.true(isHttp2Preface(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')));
  t.true(isHttp2Preface(Buffer.from('PRI ')));
  t.false(isHttp2Preface(Buffer.from('PRI')));
  t.false(isHttp2Preface(Buffer.from('GET / HTTP/1.1\r\n')));
  t.false(isHttp2Preface(Buffer.from('PRI * HTTP/1.1\r\n')));
});

test('a stream reset by the client ends only its WebSocket, with code 1006 on the server', async (t) => {
  const accepted = new Queue<WebSocket>();
  const { port } = await h2Server(t, { '/': { handler: EchoWebSocket, onConnection: (ws) => accepted.push(ws) } });
  const session = await rawSession(t, port);
  const stream = session.request(connectHeaders(port, '/'), { endStream: false });
  stream.on('error', () => {});
  await within(once(stream, 'response'), PATIENCE);
  const server = await accepted.next();
  stream.close(constants.NGHTTP2_CANCEL);
  t.is((await within(server.finished, PATIENCE)).code, 1006);
  t.false(session.closed);
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
