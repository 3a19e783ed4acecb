/**
 * Interop with undici 7's WHATWG `WebSocket` (the browser API) against our server.
 */
import test, { type ExecutionContext } from 'ava';
import { WebSocket as UndiciWebSocket } from 'undici';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { deferred, serverWith, within, PATIENCE } from '../helpers/loopback.js';

type Incoming = string | ArrayBuffer;

/** An undici WebSocket with its messages queued; closed on teardown. */
async function open(t: ExecutionContext, url: string, protocols?: string | string[]) {
  const socket = new UndiciWebSocket(url, protocols);
  socket.binaryType = 'arraybuffer';
  const messages: Incoming[] = [];
  const waiters: ((message: Incoming) => void)[] = [];
  socket.addEventListener('message', (event) => {
    const data = event.data as Incoming;
    const waiter = waiters.shift();
    if (waiter) waiter(data);
    else messages.push(data);
  });
  const closed = deferred<{ code: number; reason: string; wasClean: boolean }>();
  socket.addEventListener('close', (event) => closed.resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }));
  t.teardown(() => {
    if (socket.readyState <= 1) socket.close();
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error('undici WebSocket failed to open')));
  });
  const next = (): Promise<Incoming> =>
    within(messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise<Incoming>((resolve) => waiters.push(resolve)), 20_000, 'undici message');
  return { socket, opened, next, closed: closed.promise };
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + 5) & 0xff;
  return out;
}

test('undici → ws4ts: text messages round-trip', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket });
  const peer = await open(t, url);
  await within(peer.opened, PATIENCE);
  for (const text of ['hello undici', '', 'ünïcödé ✓']) {
    peer.socket.send(text);
    t.is(await peer.next(), text);
  }
});

for (const [name, size] of [
  ['empty', 0],
  ['small', 100],
  ['1 MiB', 1 << 20],
  ['16 MiB', 16 << 20],
] as const) {
  (size > 1 << 20 ? test.serial : test)(`undici → ws4ts: a ${name} binary message round-trips`, async (t) => {
    const { url } = await serverWith(t, { handler: EchoWebSocket });
    const peer = await open(t, url);
    await within(peer.opened, PATIENCE);
    const data = pattern(size);
    peer.socket.send(data);
    const reply = await peer.next();
    t.true(reply instanceof ArrayBuffer);
    t.true(Buffer.from(reply as ArrayBuffer).equals(Buffer.from(data)));
  });
}

test('undici → ws4ts: a close from undici reaches our server with its code and reason', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const peer = await open(t, url);
  await within(peer.opened, PATIENCE);
  const server: WebSocket = await accepted.next();
  peer.socket.close(4003, 'undici leaves');
  t.deepEqual(await within(server.finished, PATIENCE), { code: 4003, reason: 'undici leaves', wasClean: true });
  const event = await within(peer.closed, PATIENCE);
  t.is(event.code, 4003);
  t.true(event.wasClean);
});

test('undici → ws4ts: a close from our server reaches undici with its code and reason', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket });
  const peer = await open(t, url);
  await within(peer.opened, PATIENCE);
  const server = await accepted.next();
  void server.close(4004, 'server leaves');
  t.deepEqual(await within(peer.closed, PATIENCE), { code: 4004, reason: 'server leaves', wasClean: true });
  t.is((await within(server.finished, PATIENCE)).code, 4004);
});

test('undici → ws4ts: a subprotocol is negotiated', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket, protocols: ['graphql-ws', 'json'] });
  const peer = await open(t, url, ['json', 'graphql-ws']);
  await within(peer.opened, PATIENCE);
  t.is(peer.socket.protocol, 'graphql-ws');
  t.is((await accepted.next()).protocol, 'graphql-ws');
});

test('undici → ws4ts: a refused handshake fails the undici WebSocket with 1006', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket, verify: () => ({ status: 401, reason: 'no' }) });
  const peer = await open(t, url);
  await t.throwsAsync(within(peer.opened, PATIENCE));
  const event = await within(peer.closed, PATIENCE);
  t.is(event.code, 1006);
  t.false(event.wasClean);
});

test('undici → ws4ts: messages keep their order and our server can push first', async (t) => {
  const { url } = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      ws.send('welcome');
      for await (const message of ws) ws.send(message.data);
    },
  });
  const peer = await open(t, url);
  await within(peer.opened, PATIENCE);
  t.is(await peer.next(), 'welcome');
  for (let i = 0; i < 200; i++) peer.socket.send(String(i));
  for (let i = 0; i < 200; i++) t.is(await peer.next(), String(i));
});
