/**
 * src/websocket/heartbeat.ts: ping() and its round trip, the ponged hook,
 * pings on a closing or closed connection.
 */
import test from 'ava';
import { WebSocket, startWebSocket } from '../../src/websocket.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { client, closePayload, delay, frame, rawClient, serverWith, within, PATIENCE } from '../helpers/loopback.js';
import { echo, memoryPair, memoryRawPeer } from './shared.js';

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

// ─── the keepalive tick ───────────────────────────────────────────────────────

test('keepalive: a peer that leaves the keepalive ping unanswered is told 1011 and dropped', async (t) => {
  const { ws, frames } = memoryRawPeer(t, { options: { pingInterval: 40, pongTimeout: 80, autoPong: false } });
  startWebSocket(ws);
  const ping = await frames.waitFor((f) => f.opcode === 9);
  t.is(ping.payload.toString(), 'ka');
  const close = await frames.waitFor((f) => f.opcode === 8);
  t.is(close.payload.readUInt16BE(0), 1011);
  await frames.waitEnd();
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
  t.is(ws.error?.code, 'WS_ERR_PING_TIMEOUT', 'ws.error says why the connection was failed');
  t.is(ws.error?.closeCode, 1011);
});

test('keepalive: a peer that answers the pings stays open, and its pongs reach the ponged hook', async (t) => {
  const pongs: string[] = [];
  class Counting extends WebSocket {
    override ponged(data: Uint8Array): void {
      pongs.push(Buffer.from(data).toString());
    }
  }
  const { server } = memoryPair(t, { server: Counting, serverOptions: { pingInterval: 40, pongTimeout: 500 } });
  await delay(400); // several ping intervals
  t.is(server.readyState, 1);
  t.true(pongs.length >= 2, `${pongs.length} pongs`);
  t.true(pongs.every((p) => p === 'ka'));
});

test('keepalive: idleTimeout closes a silent peer with 1001 idle timeout', async (t) => {
  const { ws, frames, write } = memoryRawPeer(t, { options: { idleTimeout: 60 } });
  startWebSocket(ws);
  const close = await frames.waitFor((f) => f.opcode === 8);
  t.deepEqual(close.payload, closePayload(1001, 'idle timeout'));
  await within(write(frame(8, close.payload)), PATIENCE); // the peer echoes the close
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1001, reason: 'idle timeout', wasClean: true });
});
