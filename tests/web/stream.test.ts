/**
 * `WebSocketStream` (whatwg/websockets PR #48) against a real `ws` server,
 * for the facts the WPT `websockets/stream/tentative/` tests check
 * (constructor, close, abort/cancel, remote close, backpressure; see
 * tests/web/WPT.md), and `WebSocketStream.from()` on a ws4ts server.
 */
import test, { type ExecutionContext } from 'ava';
import { WebSocket as WS, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { WebSocketStream, WebSocketError } from '../../src/web/stream.js';
import { connect } from '../../src/client.js';
import { serve } from '../../src/server/serve.js';
import type { WebSocket } from '../../src/websocket.js';
import { echoPeer, refusingPeer } from './peers.js';
import { throwsDom } from './dom.js';
import { delay, netServer, until, within } from '../helpers/loopback.js';

function stream(t: ExecutionContext, url: string, options?: ConstructorParameters<typeof WebSocketStream>[1]): WebSocketStream {
  const wss = new WebSocketStream(url, options);
  t.teardown(() => {
    try {
      wss.close();
    } catch {
      // already closed
    }
  });
  return wss;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await within(promise, 10_000, 'a settled promise');
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

// ─── WebSocketError ─────────────────────────────────────────────────────────

test('WebSocketError is a DOMException named WebSocketError with closeCode and reason', (t) => {
  const plain = new WebSocketError();
  t.true(plain instanceof DOMException);
  t.is(plain.name, 'WebSocketError');
  t.is(plain.message, '');
  t.is(plain.closeCode, null);
  t.is(plain.reason, '');
  const full = new WebSocketError('bye', { closeCode: 4001, reason: 'done' });
  t.is(full.message, 'bye');
  t.is(full.closeCode, 4001);
  t.is(full.reason, 'done');
  t.is(new WebSocketError('', { reason: 'only a reason' }).closeCode, 1000);
  t.is(Object.prototype.toString.call(full), '[object WebSocketError]');
  for (const closeCode of [999, 1001, 1005, 2999, 5000]) throwsDom(t, () => new WebSocketError('', { closeCode }), 'InvalidAccessError', `code ${closeCode}`);
  throwsDom(t, () => new WebSocketError('', { reason: '.'.repeat(124) }), 'SyntaxError', 'a 124-byte reason');
  t.throws(() => new WebSocketError('', { closeCode: 70_000 }), { instanceOf: TypeError }, 'EnforceRange');
});

// ─── construction ───────────────────────────────────────────────────────────

test('bad URLs and protocols are SyntaxErrors; url is the serialised URL', (t) => {
  for (const url of ['ftp://127.0.0.1/', 'ws://127.0.0.1/#x', '/relative']) throwsDom(t, () => new WebSocketStream(url), 'SyntaxError', url);
  throwsDom(t, () => new WebSocketStream('ws://127.0.0.1:1/', { protocols: ['a', 'A'] }), 'SyntaxError', 'repeated protocols');
  throwsDom(t, () => new WebSocketStream('ws://127.0.0.1:1/', { protocols: ['a b'] }), 'SyntaxError', 'an invalid protocol');
  t.is(stream(t, 'http://127.0.0.1:1/p').url, 'ws://127.0.0.1:1/p');
  t.is(Object.prototype.toString.call(stream(t, 'ws://127.0.0.1:1/')), '[object WebSocketStream]');
});

test('a signal already aborted rejects opened and closed with its reason, without connecting', async (t) => {
  let connections = 0;
  const { port } = await netServer(t, () => connections++);
  const reason = new Error('not wanted');
  const wss = stream(t, `ws://127.0.0.1:${port}/`, { signal: AbortSignal.abort(reason) });
  t.is(await rejection(wss.opened), reason);
  t.is(await rejection(wss.closed), reason);
  await delay(50);
  t.is(connections, 0);
});

test('aborting the signal during the handshake rejects opened and closed with its reason', async (t) => {
  const { port } = await netServer(t, () => {}); // accepts, never answers
  const controller = new AbortController();
  const wss = stream(t, `ws://127.0.0.1:${port}/`, { signal: controller.signal });
  await delay(50);
  const reason = new Error('changed my mind');
  controller.abort(reason);
  t.is(await rejection(wss.opened), reason);
  t.is(await rejection(wss.closed), reason);
});

test('a refused handshake rejects opened and closed with WebSocketErrors (1006), handled', async (t) => {
  const url = await refusingPeer(t, 503);
  let unhandled = 0;
  const count = (): void => void unhandled++;
  process.on('unhandledRejection', count);
  t.teardown(() => process.off('unhandledRejection', count));
  const ignored = new WebSocketStream(url); // nobody looks at its promises
  const wss = stream(t, url);
  const opened = await rejection(wss.opened);
  t.true(opened instanceof WebSocketError);
  const closed = (await rejection(wss.closed)) as WebSocketError;
  t.true(closed instanceof WebSocketError);
  t.is(closed.closeCode, 1006);
  await rejection(ignored.closed);
  await delay(20);
  t.is(unhandled, 0);
});

// ─── messages ───────────────────────────────────────────────────────────────

for (const perMessageDeflate of [false, true]) {
  test(`text, binary (ArrayBuffer and views), empty and 1 MiB messages echo${perMessageDeflate ? ' with permessage-deflate' : ''}`, async (t) => {
    const peer = await echoPeer(t, { perMessageDeflate });
    const wss = stream(t, peer.url, { protocols: ['chat', 'other'] });
    const { readable, writable, protocol, extensions } = await within(wss.opened, 10_000, 'opened');
    t.is(protocol, 'chat');
    t.is(extensions.startsWith('permessage-deflate'), perMessageDeflate);
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const view = new Uint16Array([1, 2, 3]);
    const sent: Array<string | ArrayBuffer | ArrayBufferView> = ['hello', 'é😀', '', new Uint8Array([1, 2, 3]).buffer, new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2), view, big];
    for (const chunk of sent) await writer.write(chunk);
    const got: Array<string | Uint8Array> = [];
    for (let i = 0; i < sent.length; i++) got.push((await within(reader.read(), 10_000, 'a message')).value!);
    t.deepEqual(got.slice(0, 3), ['hello', 'é😀', '']);
    t.true(got[3] instanceof Uint8Array && got[3].constructor === Uint8Array);
    t.deepEqual([...(got[3] as Uint8Array)], [1, 2, 3]);
    t.deepEqual([...(got[4] as Uint8Array)], [8, 7]);
    t.deepEqual([...(got[5] as Uint8Array)], [...new Uint8Array(view.buffer)]);
    t.true(Buffer.from(got[6] as Uint8Array).equals(Buffer.from(big)));
    // A chunk owns its buffer: nothing else of the socket's reads shows through `.buffer`.
    for (const chunk of got.slice(3)) t.is((chunk as Uint8Array).buffer.byteLength, (chunk as Uint8Array).byteLength);
    // A burst, in order.
    const burst = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await Promise.all(burst.map((m) => writer.write(m)));
    const echoed: string[] = [];
    for (const _ of burst) echoed.push((await reader.read()).value as string);
    t.deepEqual(echoed, burst);
  });
}

test('a write of something else rejects with a TypeError and errors the writable', async (t) => {
  const peer = await echoPeer(t);
  const { writable } = await stream(t, peer.url).opened;
  const writer = writable.getWriter();
  await t.throwsAsync(writer.write(42 as unknown as string), { instanceOf: TypeError });
});

// ─── closing ────────────────────────────────────────────────────────────────

test('close() sends its code and reason; no argument, {} and an empty reason send none (1005); a reason alone means 1000', async (t) => {
  const peer = await echoPeer(t);
  const cases: Array<[Parameters<WebSocketStream['close']>[0], number, string]> = [
    [{ closeCode: 3456, reason: 'pizza' }, 3456, 'pizza'],
    [undefined, 1005, ''],
    [{}, 1005, ''],
    [{ reason: '' }, 1005, ''],
    [{ reason: 'non-empty' }, 1000, 'non-empty'],
  ];
  for (const [info, code, reason] of cases) {
    const wss = stream(t, peer.url);
    await wss.opened;
    wss.close(info);
    t.deepEqual(await within(wss.closed, 10_000, 'closed'), { closeCode: code, reason }, JSON.stringify(info));
  }
});

test('close() argument errors: TypeError for a non-object, InvalidAccessError for a code, SyntaxError for a long reason', async (t) => {
  const peer = await echoPeer(t);
  const wss = stream(t, peer.url);
  await wss.opened;
  t.throws(() => wss.close(true as unknown as undefined), { instanceOf: TypeError });
  t.throws(() => wss.close({ closeCode: Number.NaN }), { instanceOf: TypeError });
  throwsDom(t, () => wss.close({ reason: '.'.repeat(124) }), 'SyntaxError', 'a 124-byte reason');
  for (const closeCode of [999, 1001, 2999, 5000]) throwsDom(t, () => wss.close({ closeCode }), 'InvalidAccessError', `code ${closeCode}`);
  wss.close({ closeCode: 1000 });
  t.is((await wss.closed).closeCode, 1000);
});

test('close() during the handshake rejects opened and closed', async (t) => {
  const { port } = await netServer(t, () => {});
  const wss = stream(t, `ws://127.0.0.1:${port}/`);
  wss.close();
  t.true((await rejection(wss.opened)) instanceof WebSocketError);
  t.true((await rejection(wss.closed)) instanceof WebSocketError);
});

test('closing the writable is a clean close; its promise waits for the closing handshake', async (t) => {
  const peer = await echoPeer(t);
  const wss = stream(t, peer.url);
  const { writable } = await wss.opened;
  let closedFirst = false;
  void wss.closed.then(() => (closedFirst = true));
  await writable.getWriter().close();
  await delay(0);
  t.true(closedFirst);
  t.deepEqual(await wss.closed, { closeCode: 1005, reason: '' });
});

for (const [method, side] of [
  ['abort', 'writable'],
  ['cancel', 'readable'],
] as const) {
  test(`${method}ing the ${side} closes cleanly; a WebSocketError reason gives the code, other reasons none`, async (t) => {
    const peer = await echoPeer(t);
    for (const [reason, code, text] of [
      [undefined, 1005, ''],
      [{ closeCode: 3456, reason: 'set' }, 1005, ''], // the obsolete dictionary form is ignored
      [new WebSocketError('', { closeCode: 4000, reason: 'bye' }), 4000, 'bye'],
    ] as const) {
      const wss = stream(t, peer.url);
      const info = await wss.opened;
      if (method === 'abort') await info.writable.abort(reason);
      else await info.readable.cancel(reason);
      t.deepEqual(await within(wss.closed, 10_000, 'closed'), { closeCode: code, reason: text });
    }
  });
}

test('a close from the server resolves closed, ends the readable after its messages, and makes writes fail', async (t) => {
  const peer = await echoPeer(t);
  const wss = stream(t, peer.url);
  const { readable, writable } = await wss.opened;
  const writer = writable.getWriter();
  await writer.write('before');
  await writer.write('close:4321:server says');
  t.deepEqual(await within(wss.closed, 10_000, 'closed'), { closeCode: 4321, reason: 'server says' });
  const reader = readable.getReader();
  t.deepEqual(await reader.read(), { value: 'before', done: false });
  t.true((await reader.read()).done);
  const error = await rejection(writer.write('after'));
  t.true(error instanceof DOMException && error.name === 'InvalidStateError');
});

test('a dropped connection rejects closed with a WebSocketError (1006) and errors both streams', async (t) => {
  const peer = await echoPeer(t);
  const wss = stream(t, peer.url);
  const { readable, writable } = await wss.opened;
  const writer = writable.getWriter();
  await writer.write('drop');
  const error = (await rejection(wss.closed)) as WebSocketError;
  t.true(error instanceof WebSocketError);
  t.is(error.closeCode, 1006);
  t.is(await rejection(readable.getReader().read()), error);
  t.is(await rejection(writer.write('x')), error);
});

// ─── backpressure ───────────────────────────────────────────────────────────

test('a reader that stops reading stops the socket: the server sends stall in TCP, and nothing is lost', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const chunk = Buffer.alloc(64 * 1024, 1);
  const total = 1000; // 64 MiB offered
  let sender: WS | undefined;
  server.on('connection', (ws) => {
    sender = ws;
    for (let i = 0; i < total; i++) ws.send(chunk);
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const ws = await connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.teardown(() => ws.terminate());
  const { readable } = await WebSocketStream.from(ws).opened;
  await until(() => sender !== undefined);
  await delay(300);
  // The server could not hand most of it to the kernel: our side stopped reading.
  t.true(sender!.bufferedAmount > 32 * 1024 * 1024, `server still holds ${sender!.bufferedAmount} bytes`);
  t.true(ws.counters.messagesIn < 200, `we parsed ${ws.counters.messagesIn} messages of ${total}`);
  let received = 0;
  const reader = readable.getReader();
  while (received < total) {
    const { value } = await within(reader.read(), 10_000, `message ${received}`);
    t.is((value as Uint8Array).byteLength, chunk.length);
    received++;
  }
  t.is(received, total);
});

test('write() resolves only once the data is below the write high-water mark', async (t) => {
  let paused: WS | undefined;
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  let received = 0;
  server.on('connection', (ws) => {
    paused = ws;
    (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // a peer that does not read
    ws.on('message', () => received++);
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const ws = await connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { writeHighWaterMark: 256 * 1024 });
  t.teardown(() => ws.terminate());
  const { writable } = await WebSocketStream.from(ws).opened;
  const writer = writable.getWriter();
  const chunk = new Uint8Array(64 * 1024);
  let written = 0;
  let stuck = false;
  for (let i = 0; i < 2000 && !stuck; i++) {
    const done = writer.write(chunk).then(() => true);
    stuck = !(await Promise.race([done, delay(200).then(() => false)]));
    written++;
  }
  t.true(stuck, 'a write stayed pending against a peer that does not read');
  // What we hold is bounded by the high-water mark plus one message, not by what was offered.
  t.true(ws.bufferedAmount <= 256 * 1024 + chunk.length + 1024, `we hold ${ws.bufferedAmount} bytes`);
  (paused as unknown as { _socket: { resume(): void } })._socket.resume();
  await within(writer.ready, 10_000, 'writer.ready after the peer reads again');
  await until(() => received === written, 10_000, 'every message received');
  t.is(received, written, 'every message written reached the peer');
});

// ─── server side ────────────────────────────────────────────────────────────

test('WebSocketStream.from() takes a server connection as { readable, writable }', async (t) => {
  const server = serve({
    port: 0,
    handler: async (ws: WebSocket) => {
      const wss = WebSocketStream.from(ws);
      t.is(wss.url, '');
      const { readable, writable } = await wss.opened;
      await readable.pipeTo(writable).catch(() => {});
      await wss.closed.catch(() => {});
    },
  });
  t.teardown(() => server.close());
  await server.listening;
  const port = (server.address() as AddressInfo).port;
  const peer = new WS(`ws://127.0.0.1:${port}/`);
  t.teardown(() => peer.terminate());
  const echoed: string[] = [];
  await new Promise<void>((resolve, reject) => {
    peer.on('open', () => {
      peer.send('one');
      peer.send(Buffer.from([1, 2]));
    });
    peer.on('message', (data, isBinary) => {
      echoed.push(isBinary ? `bytes:${(data as Buffer).length}` : data.toString());
      if (echoed.length === 2) peer.close(1000);
    });
    peer.on('close', () => resolve());
    peer.on('error', reject);
  });
  t.deepEqual(echoed, ['one', 'bytes:2']);
  t.throws(() => WebSocketStream.from({} as WebSocket), { instanceOf: TypeError });
});

test('a server-side stream closed without a code sends an empty close frame (the peer sees 1005)', async (t) => {
  const server = serve({
    port: 0,
    handler: async (ws: WebSocket) => {
      const wss = WebSocketStream.from(ws);
      const { writable } = await wss.opened;
      await writable.getWriter().close();
    },
  });
  t.teardown(() => server.close());
  await server.listening;
  const peer = new WS(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.teardown(() => peer.terminate());
  const code = await within(new Promise<number>((resolve) => peer.on('close', (c) => resolve(c))), 10_000, 'close');
  t.is(code, 1005);
});
