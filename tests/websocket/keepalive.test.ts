import test from 'ava';
import { addTicker, kTick, removeTicker, type Tickable } from '../../src/websocket/timer-wheel.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { accept, client, delay, frame, netServer, rawClient, serverWith, until, within, FrameReader, PATIENCE } from '../helpers/loopback.js';

// ─── the shared ticker ────────────────────────────────────────────────────

test('members of one period share a wheel and are ticked until removed', async (t) => {
  const ticks = [0, 0];
  const members: Tickable[] = [{ [kTick]: () => void ticks[0]!++ }, { [kTick]: () => void ticks[1]!++ }];
  const keyA = addTicker(members[0]!, 20);
  const keyB = addTicker(members[1]!, 24); // rounded to the same 20 ms wheel
  t.is(keyA, 20);
  t.is(keyB, 20);
  await until(() => ticks[0]! >= 2 && ticks[1]! >= 2, PATIENCE, 'two ticks each');
  removeTicker(members[0]!, keyA);
  const frozen = ticks[0]!;
  const other = ticks[1]!;
  await until(() => ticks[1]! >= other + 2, PATIENCE, 'the other member ticking on');
  t.is(ticks[0], frozen, 'a removed member is not ticked');
  removeTicker(members[1]!, keyB);
  removeTicker(members[1]!, keyB); // harmless twice
});

test('tick periods are at least 10 ms and pass a monotonic now', async (t) => {
  const seen: number[] = [];
  const member: Tickable = { [kTick]: (now: number) => void seen.push(now) };
  const key = addTicker(member, 1);
  t.is(key, 10);
  await until(() => seen.length >= 3, PATIENCE, 'three ticks');
  removeTicker(member, key);
  for (let i = 1; i < seen.length; i++) t.true(seen[i]! >= seen[i - 1]!);
});

// ─── keepalive on real connections ────────────────────────────────────────

test('the server pings a silent peer and closes it as dead when no pong comes back', async (t) => {
  const { port, accepted, sockets } = await serverWith(t, { handler: EchoWebSocket, pingInterval: 100, pongTimeout: 100 });
  const peer = await rawClient(t, port); // completes the handshake, never answers anything
  const server = await accepted.next();
  const started = performance.now();
  const ping = await peer.frames.waitFor((f) => f.opcode === 9, PATIENCE);
  t.is(ping.payload.length <= 125, true);
  const close = await peer.frames.waitFor((f) => f.opcode === 8, PATIENCE);
  t.is(close.payload.readUInt16BE(0), 1011);
  const outcome = await within(server.finished, PATIENCE);
  t.deepEqual(outcome, { code: 1006, reason: '', wasClean: false });
  const elapsed = performance.now() - started;
  t.true(elapsed >= 150 && elapsed < 5000, `closed after ${Math.round(elapsed)} ms`);
  await peer.frames.waitEnd(PATIENCE);
  await until(() => sockets.size === 0, PATIENCE, 'the server socket gone');
  t.is(server.readyState, 3);
});

test('a peer that answers pings stays open across many keepalive intervals', async (t) => {
  const { url, accepted } = await serverWith(t, { handler: EchoWebSocket, pingInterval: 50, pongTimeout: 2000 });
  const ws = await client(t, url);
  const server = await accepted.next();
  await delay(600);
  t.is(server.readyState, 1);
  t.is(ws.readyState, 1);
  ws.send('still alive');
  t.is((await within(ws.receive(), PATIENCE)).data, 'still alive');
});

test('a raw peer answering the keepalive ping by hand is kept', async (t) => {
  const { port, accepted } = await serverWith(t, { handler: EchoWebSocket, pingInterval: 80, pongTimeout: 2000 });
  const peer = await rawClient(t, port);
  const server = await accepted.next();
  let answered = 0;
  peer.socket.on('data', () => {
    for (const f of peer.frames.received.splice(0)) {
      if (f.opcode === 9) {
        peer.socket.write(frame(10, f.payload));
        answered++;
      }
    }
  });
  await until(() => answered >= 3, PATIENCE, 'three keepalive pings answered');
  t.is(server.readyState, 1);
});

test('keepalive on the client closes a server that stopped answering', async (t) => {
  const { port } = await netServer(t, (socket) => {
    socket.once('data', (data: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      new FrameReader(socket); // read and ignore
    });
  });
  const ws = await client(t, `ws://127.0.0.1:${port}/`, { pingInterval: 100, pongTimeout: 100 });
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
  t.is(ws.error, undefined, 'a dead peer is not a protocol error of the peer');
});

test('the client sends no keepalive pings unless asked', async (t) => {
  const seen: number[] = [];
  const { port } = await netServer(t, (socket) => {
    socket.once('data', (data: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      const frames = new FrameReader(socket);
      const timer = setInterval(() => seen.push(...frames.received.map((f) => f.opcode)), 20);
      socket.once('close', () => clearInterval(timer));
    });
  });
  const ws = await client(t, `ws://127.0.0.1:${port}/`);
  await delay(300);
  t.deepEqual(seen, []);
  t.is(ws.readyState, 1);
});

test('idleTimeout closes a connection without input with 1001, input keeps it open', async (t) => {
  const { url } = await serverWith(t, { handler: EchoWebSocket, pingInterval: null, idleTimeout: 500 });
  const busy = await client(t, url);
  const idle = await client(t, url);
  const started = performance.now();
  while (performance.now() - started < 1000) {
    busy.send('tick');
    await within(busy.receive(), PATIENCE);
    await delay(50);
  }
  t.is(busy.readyState, 1, 'a connection with input every 50 ms stays open');
  t.deepEqual(await within(idle.finished, PATIENCE), { code: 1001, reason: 'idle timeout', wasClean: true });
});

test('keepalive does not close a live peer while the server itself has stopped reading (read backpressure)', async (t) => {
  let received = 0;
  const { url } = await serverWith(t, {
    handler: async (ws: WebSocket) => {
      await delay(1000); // a slow consumer: reading pauses after highWaterMark messages
      for await (const _message of ws) received++;
    },
    highWaterMark: 2,
    pingInterval: 100,
    pongTimeout: 100,
  });
  const ws = await client(t, url);
  for (let i = 0; i < 50; i++) ws.send(new Uint8Array(64 * 1024));
  await until(() => received === 50, PATIENCE, 'all messages consumed');
  t.is(ws.readyState, 1, 'the connection survived the pause');
  // Once reading again, keepalive works as usual.
  await delay(300);
  t.is(ws.readyState, 1);
});
