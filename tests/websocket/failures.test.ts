/**
 * src/websocket/failures.ts: a failing handler or message source is
 * reported and closes the connection with 1011.
 */
import test from 'ava';
import { serverWith, client, within, PATIENCE } from '../helpers/loopback.js';
import { WebSocket, startWebSocket } from '../../src/websocket.js';
import { closePayload, frame } from '../helpers/loopback.js';
import { echo, memoryRawPeer, throwingHook } from './shared.js';

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

// ─── hooks and the output cap ─────────────────────────────────────────────────

test('a receivedMessage hook that throws is reported, the peer gets 1011 internal error and the transport is dropped', async (t) => {
  const { Class, reported } = throwingHook('receivedMessage', 'handler bug');
  const { ws, frames, write } = memoryRawPeer(t, { Class });
  startWebSocket(ws);
  await within(write(frame(1, 'boom')), PATIENCE);
  const close = await frames.waitFor((f) => f.opcode === 8);
  t.deepEqual(close.payload, closePayload(1011, 'internal error'));
  // Failing the connection drops the transport without waiting for the peer's close.
  await frames.waitEnd();
  t.deepEqual(await within(ws.finished, PATIENCE), { code: 1006, reason: '', wasClean: false });
  t.is(reported.length, 1);
  t.is((reported[0] as Error).message, 'handler bug');
});

test('a slow consumer over maxBufferedAmount is reported, refused with false and dropped with 1008', async (t) => {
  const reported: unknown[] = [];
  class Loud extends WebSocket {
    override unhandledError(error: unknown): void {
      reported.push(error);
    }
  }
  // The raw peer's reader runs, but nothing is handed on faster than the
  // in-memory stream takes it: two sends in one tick already queue.
  const { ws } = memoryRawPeer(t, { Class: Loud, options: { maxBufferedAmount: 64 * 1024, writeHighWaterMark: 1 << 30 } });
  startWebSocket(ws);
  const chunk = new Uint8Array(48 * 1024);
  const results: boolean[] = [];
  for (let i = 0; i < 8 && ws.readyState === 1; i++) results.push(ws.send(chunk));
  t.true(results.includes(false), `sends: ${results.join(', ')}`);
  t.is(ws.error?.code, 'WS_ERR_SLOW_CONSUMER');
  t.is(ws.error?.closeCode, 1008);
  t.is((reported[0] as { code?: string }).code, 'WS_ERR_SLOW_CONSUMER');
  t.false((await within(ws.finished, PATIENCE)).wasClean);
});
