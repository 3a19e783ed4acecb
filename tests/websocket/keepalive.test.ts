import test from 'ava';
import { keepaliveStep, keepalivePeriod, type KeepaliveState } from '../../src/websocket/keepalive.js';
import { EchoWebSocket, type WebSocket } from '../../src/websocket.js';
import { accept, client, delay, frame, netServer, rawClient, serverWith, until, within, FrameReader, PATIENCE } from '../helpers/loopback.js';

// ─── the policy (pure) ────────────────────────────────────────────────────

const settings = { pingInterval: 100, pongTimeout: 50, idleTimeout: null };
const calm: KeepaliveState = { lastInput: 0, pingSentAt: 0, inboxPaused: false, outputPaused: false };

test('policy: ping after pingInterval of silence, dead after pongTimeout without the pong', (t) => {
  t.is(keepaliveStep(99, calm, settings), 'nothing');
  t.is(keepaliveStep(100, calm, settings), 'ping');
  t.is(keepaliveStep(149, { ...calm, pingSentAt: 100 }, settings), 'nothing');
  t.is(keepaliveStep(150, { ...calm, pingSentAt: 100 }, settings), 'dead');
});

test('policy: idle closes after idleTimeout; keepalive off means never a ping', (t) => {
  const idle = { pingInterval: null, pongTimeout: 50, idleTimeout: 300 };
  t.is(keepaliveStep(10_000, calm, { ...idle, idleTimeout: null }), 'nothing');
  t.is(keepaliveStep(299, calm, idle), 'nothing');
  t.is(keepaliveStep(300, calm, idle), 'idle');
});

test('policy: read backpressure restarts the clocks; a stalled output is dead after a full ping cycle', (t) => {
  t.is(keepaliveStep(10_000, { ...calm, inboxPaused: true, pingSentAt: 5 }, settings), 'restart');
  t.is(keepaliveStep(149, { ...calm, outputPaused: true }, settings), 'nothing');
  t.is(keepaliveStep(150, { ...calm, outputPaused: true }, settings), 'dead');
  t.is(keepaliveStep(10_000, { ...calm, outputPaused: true }, { ...settings, pingInterval: null }), 'nothing');
});

test('policy: the wheel period is a quarter of the shortest setting, 0 when all are off', (t) => {
  t.is(keepalivePeriod({ pingInterval: null, pongTimeout: 20_000, idleTimeout: null }), 0);
  t.is(keepalivePeriod({ pingInterval: 20_000, pongTimeout: 8_000, idleTimeout: null }), 2_000);
  t.is(keepalivePeriod({ pingInterval: null, pongTimeout: 20_000, idleTimeout: 400 }), 100);
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
  // A dead peer is our own verdict, not a protocol error of the peer: the error says so.
  t.is(ws.error?.code, 'WS_ERR_PING_TIMEOUT');
  t.is(ws.error?.side, 'local');
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
  await until(() => received === 50, PATIENCE, `all messages consumed (${received}, client state ${ws.readyState})`);
  t.is(ws.readyState, 1, 'the connection survived the pause');
  // Once reading again, keepalive works as usual.
  await delay(300);
  t.is(ws.readyState, 1);
});
