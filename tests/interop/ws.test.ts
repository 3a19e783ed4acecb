/**
 * Interop with `ws` 8, both ways: the `ws` client against our server, and
 * our client against a `ws` WebSocketServer.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WS, { WebSocketServer, type RawData } from 'ws';
import { connect, HandshakeError } from '../../src/client.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { client, deferred, delay, serverWith, within, PATIENCE } from '../helpers/loopback.js';

// ─── helpers ──────────────────────────────────────────────────────────────

/** A `ws` client, open, terminated on teardown. */
async function wsClient(t: ExecutionContext, url: string, protocols?: string[]): Promise<WS> {
  const socket = new WS(url, protocols);
  socket.on('error', () => {});
  t.teardown(() => socket.terminate());
  await within(once(socket, 'open'), PATIENCE, 'ws open');
  return socket;
}

/** The next message a `ws` client receives, as text or bytes. */
async function wsNext(socket: WS): Promise<string | Buffer> {
  const [data, isBinary] = (await within(once(socket, 'message'), 20_000, 'ws message')) as [RawData, boolean];
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
  return isBinary ? buffer : buffer.toString();
}

/** A `ws` WebSocketServer on 127.0.0.1:0, closed on teardown. */
async function wsServer(t: ExecutionContext, options: WS.ServerOptions = {}): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of server.clients) socket.terminate();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function echoing(server: WebSocketServer): void {
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}

const sizes: [string, number][] = [
  ['empty', 0],
  ['small', 125],
  ['1 MiB', 1 << 20],
  ['16 MiB', 16 << 20],
];

function pattern(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

// ─── the ws client → our server ───────────────────────────────────────────

test('ws → ws4ts: text messages round-trip', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  for (const text of ['hello', '', 'ünïcödé ✓ 🎉', 'x'.repeat(70_000)]) {
    socket.send(text);
    t.is(await wsNext(socket), text);
  }
});

for (const [name, size] of sizes) {
  (size > 1 << 20 ? test.serial : test)(`ws → ws4ts: a ${name} binary message round-trips`, async (t) => {
    const { url } = await serverWith(t, { handler: EchoWebSocket });
    const socket = await wsClient(t, url);
    const data = pattern(size);
    socket.send(data);
    const reply = await wsNext(socket);
    t.true(Buffer.isBuffer(reply));
    t.true((reply as Buffer).equals(data));
  });
}

test('ws → ws4ts: a message ws sends in fragments arrives as one', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  socket.send('frag-', { fin: false });
  socket.send('ment-', { fin: false });
  socket.send('ed', { fin: true });
  t.is(await wsNext(socket), 'frag-ment-ed');
});

test('ws4ts → ws client: a fragmented send from our server arrives as one message', async (t) => {
  const { url } = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      await ws.receive();
      await ws.send((async function* () {
        yield pattern(1000);
        yield pattern(2000);
        yield pattern(3000);
      })());
    },
  });
  const socket = await wsClient(t, url);
  socket.send('go');
  const reply = (await wsNext(socket)) as Buffer;
  t.is(reply.length, 6000);
  t.true(reply.subarray(1000, 3000).equals(pattern(2000)));
});

test('ws → ws4ts: ws pings are answered and our pings are answered by ws', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  const server = await accepted.next();
  socket.ping('are you there');
  const [pong] = (await within(once(socket, 'pong'), PATIENCE)) as [Buffer];
  t.is(pong.toString(), 'are you there');
  const rtt = await within(server.ping('and you?'), PATIENCE);
  t.true(rtt >= 0);
});

test('ws → ws4ts: a close from ws reaches our server with its code and reason', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  const server = await accepted.next();
  const closed = once(socket, 'close');
  socket.close(4002, 'ws leaves');
  t.deepEqual(await within(server.finished, PATIENCE), { code: 4002, reason: 'ws leaves', wasClean: true });
  const [code] = (await within(closed, PATIENCE)) as [number, Buffer];
  t.is(code, 4002);
});

test('ws → ws4ts: a close from our server reaches ws with its code and reason', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  const server = await accepted.next();
  const closed = once(socket, 'close');
  void server.close(1001, 'server restarts');
  const [code, reason] = (await within(closed, PATIENCE)) as [number, Buffer];
  t.is(code, 1001);
  t.is(reason.toString(), 'server restarts');
  // ws echoes the reason too; the outcome reports the peer's close frame.
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1001, reason: 'server restarts', wasClean: true });
});

test('ws → ws4ts: ws terminate() is a 1006 for our server', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const socket = await wsClient(t, url);
  const server = await accepted.next();
  socket.terminate();
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
});

test('ws → ws4ts: subprotocols are negotiated and rejections are visible to ws', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket, protocols: ['json', 'text'], origins: ['https://ok.example'] });
  const socket = new WS(url, ['text', 'json'], { origin: 'https://ok.example' });
  socket.on('error', () => {});
  t.teardown(() => socket.terminate());
  await within(once(socket, 'open'), PATIENCE);
  t.is(socket.protocol, 'json');
  const refused = new WS(url, { origin: 'https://evil.example' });
  refused.on('error', () => {});
  t.teardown(() => refused.terminate());
  const [, response] = (await within(once(refused, 'unexpected-response'), PATIENCE)) as [unknown, import('node:http').IncomingMessage];
  t.is(response.statusCode, 403);
  response.resume();
});

test('ws → ws4ts: a ws client offering permessage-deflate is served uncompressed when deflate is off', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket, deflate: false });
  const socket = new WS(url, { perMessageDeflate: true });
  socket.on('error', () => {});
  t.teardown(() => socket.terminate());
  await within(once(socket, 'open'), PATIENCE);
  t.is(socket.extensions, '');
  socket.send('plain');
  t.is(await wsNext(socket), 'plain');
});

test.serial('ws → ws4ts: 500 ws clients echo at once', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const sockets = await within(Promise.all(Array.from({ length: 500 }, () => wsClient(t, url))), 20_000, '500 ws connections');
  const replies = await within(
    Promise.all(
      sockets.map((socket, i) => {
        const reply = wsNext(socket);
        socket.send(`n${i}`);
        return reply;
      }),
    ),
    20_000,
    '500 echoes',
  );
  t.true(replies.every((reply, i) => reply === `n${i}`));
  await within(
    Promise.all(
      sockets.map((socket) => {
        const closed = once(socket, 'close');
        socket.close(1000);
        return closed;
      }),
    ),
    20_000,
    '500 closes',
  );
});

// ─── our client → a ws server ─────────────────────────────────────────────

test.serial('ws4ts → ws: text and binary messages of every size round-trip', async (t) => {
  const { server, url } = await wsServer(t, { maxPayload: 64 << 20 });
  echoing(server);
  const ws = await client(t, url);
  ws.send('hello ws');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'hello ws' });
  ws.send('');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: '' });
  for (const [name, size] of sizes) {
    const data = pattern(size);
    ws.send(data);
    const reply = await within(ws.receive(), 20_000, name);
    t.is(reply.type, 'binary', name);
    t.true(Buffer.from(reply.data as Uint8Array).equals(data), name);
  }
});

test('ws4ts → ws: a fragmented send arrives at ws as one message', async (t) => {
  const { server, url } = await wsServer(t);
  const received = deferred<[string, boolean]>();
  server.on('connection', (socket) => socket.on('message', (data, isBinary) => received.resolve([data.toString(), isBinary])));
  const ws = await client(t, url);
  await ws.send(['one ', 'two ', 'three']);
  t.deepEqual(await within(received.promise, PATIENCE), ['one two three', false]);
});

test('ws4ts → ws: our pings are answered by ws and ws pings are answered by us', async (t) => {
  const { server, url } = await wsServer(t);
  const pong = deferred<string>();
  server.on('connection', (socket) => {
    socket.on('pong', (data) => pong.resolve(data.toString()));
    socket.ping('from ws');
  });
  const ws = await client(t, url);
  t.is(await within(pong.promise, PATIENCE), 'from ws');
  t.true((await within(ws.ping(), PATIENCE)) >= 0);
});

test('ws4ts → ws: closes in both directions carry code and reason', async (t) => {
  const { server, url } = await wsServer(t);
  const serverClose = deferred<[number, string]>();
  const sockets: WS[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('close', (code, reason) => serverClose.resolve([code, reason.toString()]));
  });
  const a = await client(t, url);
  t.deepEqual(await within(a.close(4100, 'client done'), PATIENCE), { code: 4100, reason: 'client done', wasClean: true });
  t.deepEqual(await within(serverClose.promise, PATIENCE), [4100, 'client done']);
  const b = await client(t, url);
  await delay(10);
  sockets[1]!.close(4200, 'server done');
  t.deepEqual(await within(b.finished, PATIENCE), { code: 4200, reason: 'server done', wasClean: true });
  const c = await client(t, url);
  await delay(10);
  sockets[2]!.terminate();
  t.deepEqual(await within(c.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
});

test('ws4ts → ws: handleProtocols picks our protocol and a verifyClient refusal is a HandshakeError', async (t) => {
  const { url } = await wsServer(t, { handleProtocols: (protocols) => [...protocols].at(-1) ?? false });
  const ws = await client(t, url, { protocols: ['v1', 'v2'] });
  t.is(ws.protocol, 'v2');
  const { url: guarded } = await wsServer(t, { verifyClient: (_info, done) => done(false, 401, 'Who are you?') });
  const error = await t.throwsAsync(within(connect(guarded), PATIENCE), { instanceOf: HandshakeError });
  t.is(error.status, 401);
  t.is(error.body, 'Who are you?');
});

test('ws4ts → ws: a ws server with permessage-deflate enabled still talks to a client that did not offer it', async (t) => {
  const { server, url } = await wsServer(t, { perMessageDeflate: true });
  echoing(server);
  const ws = await client(t, url, { deflate: false });
  t.is(ws.extensions, '');
  ws.send('uncompressed');
  t.is((await within(ws.receive(), PATIENCE)).data, 'uncompressed');
});
