import test from 'ava';
import { EchoWebSocket, WebSocket } from '../src/websocket.js';
import { WebSocketError } from '../src/protocol/errors.js';
import { observe } from '../src/handler.js';
import type { Message } from '../src/protocol/message.js';
import {
  client,
  closePayload,
  delay,
  frame,
  rawClient,
  serverWith,
  until,
  within,
  netServer,
  accept,
  deferred, PATIENCE } from './helpers/loopback.js';

const echo = { handler: EchoWebSocket };

/** A message with its bytes as a plain Uint8Array (received binary data may be a Buffer). */
function plain(message: Message): { type: string; data: string | Uint8Array } {
  return { type: message.type, data: typeof message.data === 'string' ? message.data : new Uint8Array(message.data) };
}

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

// ─── messages ─────────────────────────────────────────────────────────────

test('text, binary and empty messages round-trip between our client and our server', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  ws.send('hello, wörld ✓');
  t.deepEqual(await ws.receive(), { type: 'text', data: 'hello, wörld ✓' });
  ws.send(bytes(300));
  t.deepEqual(plain(await ws.receive()), { type: 'binary', data: bytes(300) });
  ws.send('');
  t.deepEqual(await ws.receive(), { type: 'text', data: '' });
  ws.send(new Uint8Array(0));
  t.deepEqual(plain(await ws.receive()), { type: 'binary', data: new Uint8Array(0) });
});

test('an ArrayBuffer and any ArrayBufferView are sent as binary', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  ws.send(bytes(8).buffer as ArrayBuffer);
  t.deepEqual(plain(await ws.receive()), { type: 'binary', data: bytes(8) });
  const words = new Uint16Array([0x0102, 0x0304, 0x0506]);
  ws.send(words.subarray(1)); // a view with an offset
  const reply = await ws.receive();
  t.deepEqual(plain(reply).data, new Uint8Array(words.buffer, 2, 4));
  ws.send(new DataView(bytes(16).buffer, 4, 4));
  t.deepEqual(plain(await ws.receive()).data, bytes(16).slice(4, 8));
});

test.serial('a 1 MiB binary message and a 1 MiB text message arrive intact', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  const data = bytes(1 << 20, 7);
  ws.send(data);
  t.deepEqual(plain(await within(ws.receive(), 10_000)), { type: 'binary', data });
  const text = 'é'.repeat(1 << 19);
  ws.send(text);
  const reply = await within(ws.receive(), 10_000);
  t.is(reply.type, 'text');
  t.true(reply.data === text);
});

test.serial('a 16 MiB message arrives intact', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  const data = bytes(16 << 20, 3);
  ws.send(data);
  const reply = await within(ws.receive(), 20_000, 'the 16 MiB echo');
  t.is(reply.type, 'binary');
  t.true(Buffer.from(reply.data as Uint8Array).equals(Buffer.from(data)));
});

test('messages keep their order, many in one tick', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  for (let i = 0; i < 1000; i++) ws.send(String(i));
  for (let i = 0; i < 1000; i++) t.is((await ws.receive()).data, String(i));
});

// ─── fragmented send ──────────────────────────────────────────────────────

test('an async generator of chunks is received as one message', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  async function* chunks(): AsyncGenerator<string> {
    yield 'alpha-';
    await delay(5);
    yield 'beta-';
    yield 'gamma';
  }
  await ws.send(chunks());
  t.deepEqual(await ws.receive(), { type: 'text', data: 'alpha-beta-gamma' });
  await ws.send([bytes(3), bytes(4, 9)]);
  t.deepEqual(plain(await ws.receive()).data, new Uint8Array([...bytes(3), ...bytes(4, 9)]));
  // An empty iterable is an empty binary message.
  await ws.send([]);
  t.deepEqual(plain(await ws.receive()), { type: 'binary', data: new Uint8Array(0) });
});

test('a fragmented send goes out as several frames, a ping is not blocked by it, other messages wait', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const rtt = deferred<number>();
  const done = deferred<void>();
  const { port } = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      await ws.receive(); // 'go'
      async function* chunks(): AsyncGenerator<string> {
        yield 'alpha-';
        yield 'beta-';
        await gate;
        yield 'gamma';
      }
      const sending = ws.send(chunks());
      ws.send('after'); // must wait for the fragmented message to end
      await ws.receive(); // 'saw the first fragment'
      ws.ping('mid').then(rtt.resolve, rtt.reject);
      await delay(30);
      release();
      await sending;
      await done.promise;
    },
  });
  const peer = await rawClient(t, port);
  peer.socket.write(frame(1, 'go'));
  await peer.frames.waitFor((f) => f.opcode === 1 && !f.fin);
  peer.socket.write(frame(1, 'saw the first fragment'));
  const ping = await peer.frames.waitFor((f) => f.opcode === 9);
  peer.socket.write(frame(10, ping.payload));
  await peer.frames.waitFor((f) => f.opcode === 1 && f.fin);
  const seen = peer.frames.received.map((f) => [f.opcode, f.fin, f.payload.toString()]);
  t.deepEqual(seen, [
    [1, false, 'alpha-'],
    [9, true, 'mid'],
    [0, false, 'beta-'],
    [0, true, 'gamma'],
    [1, true, 'after'],
  ]);
  const ms = await within(rtt.promise, PATIENCE, 'the ping');
  t.true(typeof ms === 'number' && ms >= 0);
  done.resolve();
});

test('a generator that throws mid-message fails the connection with 1011', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  async function* broken(): AsyncGenerator<string> {
    yield 'a';
    yield 'b';
    throw new Error('producer failed');
  }
  const reported: unknown[] = [];
  ws.unhandledError = (error) => void reported.push(error);
  t.false(await ws.send(broken()), 'the promise resolves false, it never rejects');
  t.is((await within(server.finished, PATIENCE)).code, 1011);
  t.is((reported[0] as Error).message, 'producer failed');
});

// ─── ping, pong, hooks ────────────────────────────────────────────────────

test('ping() resolves with the round-trip time and the ponged hook sees the payload', async (t) => {
  const pongs: string[] = [];
  class Pinger extends WebSocket {
    override ponged(data: Uint8Array): void {
      pongs.push(Buffer.from(data).toString());
    }
  }
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url, { WebSocketClass: Pinger });
  const rtt = await within(ws.ping(), PATIENCE);
  t.true(rtt >= 0 && rtt < PATIENCE);
  t.true((await within(ws.ping('custom'), PATIENCE)) >= 0);
  const both = await within(Promise.all([ws.ping('one'), ws.ping(new Uint8Array([1, 2]))]), PATIENCE);
  t.is(both.length, 2);
  t.is(pongs.length, 4);
  t.is(pongs[1], 'custom');
  t.throws(() => ws.ping('x'.repeat(126)), { instanceOf: WebSocketError });
});

test('ping() on a closing connection rejects instead of throwing', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  const closing = ws.close();
  const ping = ws.ping();
  t.true(ping instanceof Promise);
  await t.throwsAsync(ping, { code: 'WS_ERR_CLOSED' } as never);
  await within(closing, PATIENCE);
  await t.throwsAsync(ws.ping(), { code: 'WS_ERR_CLOSED' } as never);
});

test('a pending ping rejects when the connection closes first', async (t) => {
  const { accepted, port } = await serverWith(t, echo);
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  const ping = server.ping();
  await peer.frames.waitFor((f) => f.opcode === 9);
  peer.socket.destroy();
  await t.throwsAsync(within(ping, PATIENCE), { instanceOf: WebSocketError });
});

test('hooks run in order: opened, receivedMessage, closed with the peer code and reason', async (t) => {
  const calls: string[] = [];
  class Hooked extends WebSocket {
    override opened(): void {
      calls.push(`opened ${this.readyState}`);
    }
    override receivedMessage(message: Message): void {
      calls.push(`message ${String(message.data)}`);
      this.send(message.data);
    }
    override closed(code: number, reason: string): void {
      calls.push(`closed ${code} ${reason}`);
    }
  }
  const { url, accepted } = await serverWith(t, { handler: Hooked });
  const ws = await client(t, url);
  const server = await accepted.next();
  ws.send('hi');
  await ws.receive();
  await ws.close(4000, 'bye');
  await within(server.finished, PATIENCE);
  t.deepEqual(calls, ['opened 1', 'message hi', 'closed 4000 bye']);
});

test('EchoWebSocket echoes, and request/response/remoteAddress describe the connection', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, `${url}/?x=1`, { headers: { 'X-Test': 'yes' }, deflate: false });
  const server = await accepted.next();
  t.true(server instanceof EchoWebSocket);
  t.is(server.request?.url, '/?x=1');
  t.is(server.request?.method, 'GET');
  t.is(server.request?.headers['x-test'], 'yes');
  t.is(server.response, undefined);
  t.is(ws.response?.status, 101);
  t.is(ws.request, undefined);
  t.is(server.remoteAddress, '127.0.0.1');
  t.is(ws.remoteAddress, '127.0.0.1');
  t.is(ws.protocol, '');
  t.is(ws.extensions, '');
});

// ─── receiving APIs ───────────────────────────────────────────────────────

test('receive({signal}) rejects when aborted and the next message still reaches the next receive', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  const controller = new AbortController();
  const pending = ws.receive({ signal: controller.signal });
  controller.abort(new Error('gave up'));
  await t.throwsAsync(pending, { message: 'gave up' });
  const aborted = AbortSignal.abort(new Error('already'));
  await t.throwsAsync(ws.receive({ signal: aborted }), { message: 'already' });
  server.send('late');
  t.deepEqual(await within(ws.receive(), PATIENCE), { type: 'text', data: 'late' });
});

test('one AbortSignal serves many receive() calls, and an abort after the close is harmless', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  const controller = new AbortController();
  for (let i = 0; i < 30; i++) {
    ws.send(String(i));
    t.is((await within(ws.receive({ signal: controller.signal }), PATIENCE)).data, String(i));
  }
  const pending = ws.receive({ signal: controller.signal });
  await ws.close();
  await t.throwsAsync(pending, { code: 'WS_ERR_CLOSED' } as never);
  // Used to throw from the abort listener (an uncaught exception) once the waiters were gone.
  controller.abort();
  await delay(20);
  t.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
});

test('receive() rejects with WS_ERR_CLOSED and for-await ends after a clean close', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  server.send('last');
  await server.close(1000);
  const seen: unknown[] = [];
  for await (const message of ws) seen.push(message.data);
  t.deepEqual(seen, ['last']);
  await t.throwsAsync(ws.receive(), { code: 'WS_ERR_CLOSED' } as never);
});

test('messages$ delivers messages and completes on a clean close', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  const seen: string[] = [];
  const completed = new Promise<void>((resolve, reject) => {
    ws.messages$.subscribe({ next: (m) => seen.push(String(m.data)), error: reject, complete: resolve });
  });
  server.send('a');
  server.send('b');
  await delay(20);
  await server.close(1000, 'done');
  await within(completed, PATIENCE, 'messages$ completion');
  t.deepEqual(seen, ['a', 'b']);
  // A late subscriber completes at once.
  await within(
    new Promise<void>((resolve, reject) => ws.messages$.subscribe({ error: reject, complete: resolve })), PATIENCE,
  );
});

test('messages$ errors on a protocol failure and the raw peer sees close 1002', async (t) => {
  const failure = deferred<unknown>();
  const { port, accepted } = await serverWith(t, {
    handler: observe((messages$) => {
      messages$.subscribe({ error: failure.resolve, complete: () => failure.reject(new Error('completed')) });
    }),
  });
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  peer.socket.write(frame(1, 'unmasked', { mask: false }));
  const close = await peer.frames.waitFor((f) => f.opcode === 8);
  t.is(close.payload.readUInt16BE(0), 1002);
  const error = await within(failure.promise, PATIENCE);
  t.true(error instanceof WebSocketError);
  t.is((error as WebSocketError).code, 'WS_ERR_UNMASKED_FRAME');
  t.is(server.error, error as WebSocketError);
  await peer.frames.waitEnd();
  const outcome = await within(server.finished, PATIENCE);
  t.false(outcome.wasClean);
  // for-await and receive() report the same failure.
  await t.throwsAsync(server.receive(), { is: error as Error });
});

test('invalid UTF-8 closes with 1007 and a message over maxPayload with 1009', async (t) => {
  const { port } = await serverWith(t, { ...echo, maxPayload: 1024 });
  const a = await rawClient(t, port);
  a.socket.write(frame(1, new Uint8Array([0x68, 0xc3, 0x28])));
  t.is((await a.frames.waitFor((f) => f.opcode === 8)).payload.readUInt16BE(0), 1007);
  const b = await rawClient(t, port);
  b.socket.write(frame(2, bytes(2048)));
  t.is((await b.frames.waitFor((f) => f.opcode === 8)).payload.readUInt16BE(0), 1009);
});

// ─── close paths ──────────────────────────────────────────────────────────

test('a client-initiated close is clean on both sides and readyState moves OPEN → CLOSING → CLOSED', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  t.is(ws.readyState, 1);
  const closing = ws.close(4321, 'client says bye');
  t.is(ws.readyState, 2);
  t.is(ws.close(), closing, 'close() is idempotent');
  t.false(ws.send('too late'), 'a send after close returns false');
  t.deepEqual(await within(closing, PATIENCE), { code: 4321, reason: 'client says bye', wasClean: true });
  t.deepEqual(await within(server.finished, PATIENCE), { code: 4321, reason: 'client says bye', wasClean: true });
  t.is(ws.readyState, 3);
  t.is(server.readyState, 3);
});

test('a server-initiated close is clean on both sides', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  const closing = server.close(1001, 'going away');
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1001, reason: 'going away', wasClean: true });
  t.deepEqual(await within(closing, PATIENCE), { code: 1001, reason: 'going away', wasClean: true });
});

test('close() refuses codes that may not be sent and reasons over 123 bytes', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  for (const code of [999, 1004, 1005, 1006, 1015, 5000]) t.throws(() => ws.close(code), { instanceOf: WebSocketError }, String(code));
  t.throws(() => ws.close(1000, 'x'.repeat(124)), { instanceOf: WebSocketError });
  t.is(ws.readyState, 1, 'a refused close leaves the connection open');
  ws.send('still open');
  t.is((await ws.receive()).data, 'still open');
});

test('the server destroys the socket after closeTimeout when the peer never answers the close', async (t) => {
  const { port, accepted } = await serverWith(t, { ...echo, closeTimeout: 200 });
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  const started = performance.now();
  void server.close(1000, 'bye');
  const close = await peer.frames.waitFor((f) => f.opcode === 8);
  t.is(close.payload.readUInt16BE(0), 1000);
  // The raw peer neither answers nor ends: only the timeout can finish it.
  const outcome = await within(server.finished, PATIENCE);
  const elapsed = performance.now() - started;
  t.true(elapsed >= 180, `closed after ${elapsed} ms`);
  t.deepEqual(outcome, { code: 1006, reason: '', wasClean: false });
  await peer.frames.waitEnd();
});

test('the client destroys the socket after closeTimeout when the server never answers the close', async (t) => {
  const { port } = await netServer(t, (socket) => {
    socket.once('data', (data: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
    });
  });
  const ws = await client(t, `ws://127.0.0.1:${port}/`, { closeTimeout: 200 });
  const started = performance.now();
  const outcome = await within(ws.close(), PATIENCE);
  t.true(performance.now() - started >= 180);
  t.deepEqual(outcome, { code: 1006, reason: '', wasClean: false });
});

test('a client whose close is answered but whose TCP connection stays open finishes cleanly after closeTimeout', async (t) => {
  const { port } = await netServer(t, (socket) => {
    socket.once('data', (data: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      socket.once('data', () => socket.write(frame(8, closePayload(1000, 'ok'), { mask: false })));
    });
  });
  // The timeout only has to outlast the close frame's trip, even on a loaded machine.
  const ws = await client(t, `ws://127.0.0.1:${port}/`, { closeTimeout: 1500 });
  t.deepEqual(await within(ws.close(), PATIENCE), { code: 1000, reason: 'ok', wasClean: true });
});

test('an abrupt TCP drop is reported as 1006, not clean, on the other side', async (t) => {
  const { url, port, accepted } = await serverWith(t, echo);
  const ws = await client(t, url);
  const server = await accepted.next();
  ws.terminate();
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });

  const peer = await rawClient(t, port);
  const other = await accepted.next();
  peer.socket.destroy();
  t.deepEqual(await within(other.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
  t.is(other.readyState, 3);
});

test('a close frame without a code is reported as 1005 and answered with an empty close frame', async (t) => {
  const { port, accepted } = await serverWith(t, echo);
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  peer.socket.write(frame(8));
  const answer = await peer.frames.waitFor((f) => f.opcode === 8);
  t.is(answer.payload.length, 0, '1005 is never sent on the wire');
  await peer.frames.waitEnd();
  t.deepEqual(await within(server.finished, PATIENCE), { code: 1005, reason: '', wasClean: true });
});

// ─── backpressure ─────────────────────────────────────────────────────────

test('bufferedAmount is exact before the flush and drops after it', async (t) => {
  const { url } = await serverWith(t, echo);
  const ws = await client(t, url);
  t.is(ws.bufferedAmount, 0);
  ws.send('x'.repeat(100));
  t.is(ws.bufferedAmount, 2 + 4 + 100, 'header, mask key and payload');
  ws.send(new Uint8Array(200));
  t.is(ws.bufferedAmount, 106 + 4 + 4 + 200);
  await delay(0);
  await until(() => ws.bufferedAmount === 0, PATIENCE);
  t.is(ws.bufferedAmount, 0);
});

test.serial('a consumer that does not pull pauses the socket: the server queue stays bounded and the sender buffers', async (t) => {
  let delivered = 0;
  class Counting extends WebSocket {
    override receivedMessage(message: Message): void {
      delivered++;
      super.receivedMessage(message);
    }
  }
  // Incompressible-size messages: permessage-deflate off, so the sender's buffer shows the backpressure.
  const { url, accepted, sockets } = await serverWith(t, { handler: Counting, highWaterMark: 8, deflate: false });
  // The sender queues 25 MiB at once on purpose: no output cap on it.
  const ws = await client(t, url, { maxBufferedAmount: null });
  const server = await accepted.next();
  const count = 400; // 400 × 64 KiB = 25 MiB
  for (let i = 0; i < count; i++) {
    const message = new Uint8Array(64 * 1024);
    message[0] = i & 0xff;
    ws.send(message);
  }
  const [socket] = sockets;
  await until(() => socket!.isPaused(), 5000, 'server socket paused');
  await delay(300);
  // Several messages can arrive in the chunk that crossed the mark, no more.
  t.true(delivered <= 8 + 4, `${delivered} messages delivered to a consumer that never pulled`);
  t.true(socket!.isPaused());
  t.true(ws.bufferedAmount > 8 * 1024 * 1024, `client still holds ${ws.bufferedAmount} bytes`);
  // Once the consumer pulls, everything arrives in order and the sender drains.
  let i = 0;
  for await (const message of server) {
    t.is((message.data as Uint8Array)[0], i & 0xff);
    if (++i === count) break;
  }
  await until(() => ws.bufferedAmount === 0, 10_000, 'client drained');
  t.is(i, count);
});

test.serial('bufferedAmount grows while the peer does not read and drain() resolves once it reads', async (t) => {
  // 32 MiB queued to a paused peer on purpose: no output cap here.
  const { port, accepted } = await serverWith(t, { ...echo, maxBufferedAmount: null });
  const peer = await rawClient(t, port);
  peer.socket.pause();
  const server = await accepted.next();
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0; i < 512; i++) {
    server.send(chunk);
    if (i % 16 === 0) await new Promise(setImmediate);
  }
  await delay(50);
  const buffered = server.bufferedAmount;
  t.true(buffered > 2 * 1024 * 1024, `bufferedAmount ${buffered}`);
  let drained = false;
  const drain = server.drain().then(() => (drained = true));
  await delay(100);
  t.false(drained, 'drain() waits while the peer does not read');
  peer.socket.resume();
  await within(drain, 10_000, 'drain()');
  t.true(server.bufferedAmount <= 1024 * 1024);
  await peer.frames.waitFor(() => peer.frames.received.length === 512, 10_000);
  t.is(peer.frames.received.length, 512);
});

// ─── scale ────────────────────────────────────────────────────────────────

test.serial('500 concurrent connections echo at once', async (t) => {
  const { url, accepted } = await serverWith(t, echo);
  void accepted;
  const n = 500;
  const started = performance.now();
  const sockets = await within(
    Promise.all(Array.from({ length: n }, () => client(t, url))),
    20_000,
    '500 connections',
  );
  const replies = await within(
    Promise.all(
      sockets.map((ws, i) => {
        ws.send(`message ${i}`);
        return ws.receive();
      }),
    ),
    20_000,
    '500 echoes',
  );
  replies.forEach((reply, i) => t.is(reply.data, `message ${i}`));
  const outcomes = await within(Promise.all(sockets.map((ws) => ws.close())), 20_000, '500 closes');
  t.true(outcomes.every((o) => o.wasClean && o.code === 1000));
  t.log(`500 connections opened, echoed and closed in ${Math.round(performance.now() - started)} ms`);
});
