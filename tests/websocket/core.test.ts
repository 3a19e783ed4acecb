/**
 * WebSocketCore (src/websocket/core.ts): send and what it accepts, the
 * batched flush and bufferedAmount, the input path (frames in, messages
 * and protocol failures out) and per-message dispatch, end to end between
 * our client and our server on 127.0.0.1.
 */
import test from 'ava';
import { WebSocket } from '../../src/websocket.js';
import { client, deferred, delay, frame, rawClient, serverWith, until, within, PATIENCE } from '../helpers/loopback.js';
import { bytes, echo, plain } from './shared.js';

// ─── messages ─────────────────────────────────────────────────────────────────

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

// ─── fragmented send ──────────────────────────────────────────────────────────

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

// ─── input path ───────────────────────────────────────────────────────────────

test('invalid UTF-8 closes with 1007 and a message over maxPayload with 1009', async (t) => {
  const { port } = await serverWith(t, { ...echo, maxPayload: 1024 });
  const a = await rawClient(t, port);
  a.socket.write(frame(1, new Uint8Array([0x68, 0xc3, 0x28])));
  t.is((await a.frames.waitFor((f) => f.opcode === 8)).payload.readUInt16BE(0), 1007);
  const b = await rawClient(t, port);
  b.socket.write(frame(2, bytes(2048)));
  t.is((await b.frames.waitFor((f) => f.opcode === 8)).payload.readUInt16BE(0), 1009);
});

// ─── the batched flush ────────────────────────────────────────────────────────

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

// ─── scale ────────────────────────────────────────────────────────────────────

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
