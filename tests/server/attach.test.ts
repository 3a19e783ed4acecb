import test from 'ava';
import { createServer as createHttpsServer } from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { attach } from '../../src/server/attach.js';
import { connect, HandshakeError } from '../../src/client.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { client, httpServer, rawHttp, upgradeRequest, within, wsServer, PATIENCE } from '../helpers/loopback.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

const greeter = (greeting: string) => async (ws: WebSocket) => {
  for await (const message of ws) ws.send(`${greeting} ${String(message.data)}`);
};

test('upgrades are routed by exact path, ignoring the query string', async (t) => {
  const { url } = await wsServer(t, { '/a': greeter('a:'), '/b': greeter('b:') });
  const a = await client(t, `${url}/a?x=1`);
  const b = await client(t, `${url}/b`);
  a.send('hi');
  b.send('hi');
  t.is((await within(a.receive(), PATIENCE)).data, 'a: hi');
  t.is((await within(b.receive(), PATIENCE)).data, 'b: hi');
});

test('an unknown path is answered 404 with a plain-text reason', async (t) => {
  const { port, url } = await wsServer(t, { '/a': EchoWebSocket });
  const response = await rawHttp(t, port, upgradeRequest('/nope').text);
  t.is(response.status, 404);
  t.is(response.body, 'No WebSocket endpoint at this path\n');
  // Inherited object keys are not routes.
  for (const path of ['/constructor', '/__proto__', '/toString']) {
    t.is((await rawHttp(t, port, upgradeRequest(path).text)).status, 404, path);
  }
  const error = await t.throwsAsync(within(connect(`${url}/a/`), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 404);
});

test('a routing function chooses a handler per request, undefined meaning 404', async (t) => {
  const { url, port } = await wsServer(t, (request) => {
    const room = new URL(request.url ?? '/', 'http://x').searchParams.get('room');
    return room === null ? undefined : greeter(`room ${room}:`);
  });
  const ws = await client(t, `${url}/anything?room=7`);
  ws.send('hello');
  t.is((await within(ws.receive(), PATIENCE)).data, 'room 7: hello');
  t.is((await rawHttp(t, port, upgradeRequest('/anything').text)).status, 404);
});

test('a route may carry full acceptor options, and defaults apply to every route', async (t) => {
  const { url } = await wsServer(
    t,
    { '/chat': { handler: EchoWebSocket, protocols: ['chat.v1'] }, '/plain': EchoWebSocket },
    { headers: { 'X-Powered-By': 'ws4ts' } },
  );
  const chat = await client(t, `${url}/chat`, { protocols: ['chat.v1'] });
  t.is(chat.protocol, 'chat.v1');
  t.is(chat.response?.headers['x-powered-by'], 'ws4ts');
  const plain = await client(t, `${url}/plain`, { protocols: ['chat.v1'] });
  t.is(plain.protocol, '');
  t.is(plain.response?.headers['x-powered-by'], 'ws4ts');
});

test('ordinary HTTP requests are left to the server, on WebSocket paths too', async (t) => {
  const listening = await httpServer(t, (request, response) => response.end(`http ${request.url}`));
  attach(listening.server, { '/': EchoWebSocket });
  t.is(await (await fetch(`http://127.0.0.1:${listening.port}/`)).text(), 'http /');
  t.is(await (await fetch(`http://127.0.0.1:${listening.port}/other`)).text(), 'http /other');
  const ws = await client(t, `${listening.url}/`);
  ws.send('x');
  t.is((await within(ws.receive(), PATIENCE)).data, 'x');
});

test('detach() stops handling upgrades and leaves open connections alone', async (t) => {
  const listening = await httpServer(t);
  const attachment = attach(listening.server, { '/': EchoWebSocket });
  const open = await client(t, listening.url);
  attachment.detach();
  t.is(listening.server.listenerCount('upgrade'), 0);
  await t.throwsAsync(within(connect(listening.url, { timeout: 1000 }), PATIENCE), { instanceOf: HandshakeError });
  open.send('still echoing');
  t.is((await within(open.receive(), PATIENCE)).data, 'still echoing');
});

test('attach works on a node:https server and the client verifies its certificate', async (t) => {
  const server = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT });
  attach(server, { '/secure': EchoWebSocket });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<import('node:net').Socket>();
  server.on('secureConnection', (socket) => sockets.add(socket));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}/secure`;
  // Verification is on by default: a self-signed certificate is refused.
  const refused = await t.throwsAsync(within(connect(url), PATIENCE), { instanceOf: HandshakeError });
  t.is(refused.status, 0);
  const ws = await within(connect(url, { tls: { ca: TEST_CERT } }), PATIENCE);
  t.teardown(() => ws.terminate());
  ws.send('over tls');
  t.is((await within(ws.receive(), PATIENCE)).data, 'over tls');
  const big = new Uint8Array(1 << 20).fill(9);
  ws.send(big);
  t.is(((await within(ws.receive(), PATIENCE)).data as Uint8Array).length, 1 << 20);
  t.deepEqual(await within(ws.close(), PATIENCE), { code: 1000, reason: '', wasClean: true });
});
