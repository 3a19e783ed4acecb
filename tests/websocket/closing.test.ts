/**
 * src/websocket/closing.ts: close() and its argument rules, both closing
 * handshakes, the close timer, the peer's end and a dropped transport.
 */
import test from 'ava';
import { WebSocketError } from '../../src/protocol/errors.js';
import { client, closePayload, frame, rawClient, serverWith, within, PATIENCE } from '../helpers/loopback.js';
import { echo, handshakeOnly } from './shared.js';

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
  const { url } = await handshakeOnly(t);
  const ws = await client(t, url, { closeTimeout: 200 });
  const started = performance.now();
  const outcome = await within(ws.close(), PATIENCE);
  t.true(performance.now() - started >= 180);
  t.deepEqual(outcome, { code: 1006, reason: '', wasClean: false });
});

test('a client whose close is answered but whose TCP connection stays open finishes cleanly after closeTimeout', async (t) => {
  const { url } = await handshakeOnly(t, (socket) => {
    socket.once('data', () => socket.write(frame(8, closePayload(1000, 'ok'), { mask: false })));
  });
  // The timeout only has to outlast the close frame's trip, even on a loaded machine.
  const ws = await client(t, url, { closeTimeout: 1500 });
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
