import test from 'ava';
import { Connection, ReadyState, type ConnectionOptions } from '../../src/protocol/connection.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { encodeFrame } from '../../src/protocol/encoder.js';
import type { EncodedMessage, Extension } from '../../src/protocol/extension.js';
import type { Frame } from '../../src/protocol/frame.js';
import {
  RFC_KEY,
  concat,
  drainBytes,
  drainEvents,
  hex,
  parseChunks,
  plainEvent,
  toHex,
  utf8Bytes,
  type PlainEvent,
  type PlainFrame,
} from './arbitraries.js';

const KEY = 0x11223344;

/** A frame as a client sends it (masked), for a server connection to read. */
function fromClient(opcode: Frame['opcode'], payload: Uint8Array | string, fin = true, rsv = 0): Uint8Array {
  return encodeFrame({ opcode, fin, rsv, payload: typeof payload === 'string' ? utf8Bytes(payload) : payload }, KEY);
}

/** A frame as a server sends it (unmasked), for a client connection to read. */
function fromServer(opcode: Frame['opcode'], payload: Uint8Array | string, fin = true, rsv = 0): Uint8Array {
  return encodeFrame({ opcode, fin, rsv, payload: typeof payload === 'string' ? utf8Bytes(payload) : payload });
}

function closePayload(code: number, reason = ''): Uint8Array {
  return concat([Uint8Array.of(code >> 8, code & 0xff), utf8Bytes(reason)]);
}

/** The frames `connection` wants to send, parsed back (unmasked) as its peer would. */
function sentFrames(connection: Connection): PlainFrame[] {
  const rsvAllowed = connection.extensions.reduce((bits, e) => bits | e.rsvMask, 0);
  const { frames, error } = parseChunks([drainBytes(connection)], { role: connection.role === 'server' ? 'client' : 'server', rsvAllowed });
  if (error !== undefined) throw error;
  return frames;
}

function events(connection: Connection): PlainEvent[] {
  return drainEvents(connection).map(plainEvent);
}

const server = (options: Partial<ConnectionOptions> = {}) => new Connection({ role: 'server', ...options });
const client = (options: Partial<ConnectionOptions> = {}) => new Connection({ role: 'client', maskKey: () => RFC_KEY, ...options });

// ─── RFC 6455 §5.5.2–§5.5.3 ping and pong ──────────────────────────────────

test('RFC 6455 §5.5.2: a ping is reported and answered with a pong carrying the same payload', (t) => {
  const connection = server();
  connection.receive(fromClient(9, 'are you there?'));
  t.deepEqual(events(connection), [{ type: 'ping', data: toHex(utf8Bytes('are you there?')) }]);
  t.deepEqual(sentFrames(connection), [{ opcode: 10, fin: true, rsv: 0, payload: toHex(utf8Bytes('are you there?')) }]);
});

test('RFC 6455 §5.5.2: an empty ping and a 125-byte ping are answered with identical pongs', (t) => {
  const big = new Uint8Array(125).map((_, i) => i);
  const connection = client();
  connection.receive(concat([fromServer(9, ''), fromServer(9, big)]));
  t.deepEqual(sentFrames(connection), [
    { opcode: 10, fin: true, rsv: 0, payload: '' },
    { opcode: 10, fin: true, rsv: 0, payload: toHex(big) },
  ]);
});

test('RFC 6455 §5.5.2: with autoPong off a ping is reported but not answered', (t) => {
  const connection = server({ autoPong: false });
  connection.receive(fromClient(9, 'x'));
  t.is(events(connection).length, 1);
  t.is(connection.bytesToSend().length, 0);
});

test('RFC 6455 §5.5.3: a pong is reported and not answered', (t) => {
  const connection = server();
  connection.receive(fromClient(10, 'beat'));
  t.deepEqual(events(connection), [{ type: 'pong', data: toHex(utf8Bytes('beat')) }]);
  t.is(connection.bytesToSend().length, 0);
});

test('RFC 6455 §5.5.1: no pong is sent after we sent a close frame', (t) => {
  const connection = server();
  connection.close();
  drainBytes(connection);
  connection.receive(fromClient(9, 'late'));
  t.deepEqual(events(connection), [{ type: 'ping', data: toHex(utf8Bytes('late')) }]);
  t.is(connection.bytesToSend().length, 0);
});

test('ping() and pong() send control frames and refuse payloads over 125 bytes', (t) => {
  const connection = server();
  connection.ping(utf8Bytes('p'));
  connection.pong();
  t.deepEqual(sentFrames(connection), [
    { opcode: 9, fin: true, rsv: 0, payload: '70' },
    { opcode: 10, fin: true, rsv: 0, payload: '' },
  ]);
  const error = t.throws(() => connection.ping(new Uint8Array(126)), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_INVALID_ARGUMENT');
  t.is(error?.side, 'local');
});

// ─── RFC 6455 §7.1 closing handshake ───────────────────────────────────────

/** Move everything `from` wants to send into `to`. */
function deliver(from: Connection, to: Connection): void {
  for (const chunk of from.bytesToSend()) to.receive(chunk);
}

test('RFC 6455 §7.1.2: a server-initiated close handshake goes OPEN → CLOSING → CLOSED on both ends', (t) => {
  const s = server();
  const c = client();
  t.is(s.readyState, ReadyState.OPEN);
  s.close(1001, 'going away');
  t.is(s.readyState, ReadyState.CLOSING);
  t.true(s.closeExpected);
  t.false(s.shouldCloseTransport, 'the server waits for the echo before closing the transport');
  deliver(s, c);
  // §5.5.1: the client echoes code and reason and is done; it waits for the server to close TCP (§7.1.1).
  t.deepEqual(events(c), [{ type: 'close', code: 1001, reason: 'going away' }]);
  t.is(c.readyState, ReadyState.CLOSED);
  t.true(c.closeExpected);
  t.false(c.shouldCloseTransport);
  t.deepEqual(sentFrames(c), [{ opcode: 8, fin: true, rsv: 0, payload: toHex(closePayload(1001, 'going away')) }]);
  // Deliver the echo (sentFrames drained it; send it again as the client would have).
  s.receive(fromClient(8, closePayload(1001, 'going away')));
  t.deepEqual(events(s), [{ type: 'close', code: 1001, reason: 'going away' }]);
  t.is(s.readyState, ReadyState.CLOSED);
  t.true(s.shouldCloseTransport, 'the server closes the transport once the handshake is complete');
  t.deepEqual(s.closeOutcome(), { code: 1001, reason: 'going away', wasClean: true });
  t.deepEqual(c.closeOutcome(), { code: 1001, reason: 'going away', wasClean: true });
});

test('RFC 6455 §7.1.2: a client-initiated close handshake echoes code and reason and lets the server close the transport', (t) => {
  const s = server();
  const c = client();
  c.close(4000, 'done');
  t.is(c.readyState, ReadyState.CLOSING);
  t.true(c.closeExpected);
  const closeBytes = concat(c.bytesToSend());
  t.is(toHex(closeBytes.subarray(0, 6)), '88 86 37 fa 21 3d', 'the client masks its close frame');
  s.receive(closeBytes);
  t.deepEqual(events(s), [{ type: 'close', code: 4000, reason: 'done' }]);
  t.is(s.readyState, ReadyState.CLOSED);
  t.true(s.shouldCloseTransport);
  t.true(s.closeExpected);
  const echo = concat(s.bytesToSend());
  t.is(toHex(echo), '88 06 0f a0 64 6f 6e 65', 'the server echoes the code and the reason');
  c.receive(echo);
  t.deepEqual(events(c), [{ type: 'close', code: 4000, reason: 'done' }]);
  t.is(c.readyState, ReadyState.CLOSED);
  t.false(c.shouldCloseTransport, 'the client waits for the server to close the transport');
  t.deepEqual(c.closeOutcome(), { code: 4000, reason: 'done', wasClean: true });
  t.deepEqual(s.closeOutcome(), { code: 4000, reason: 'done', wasClean: true });
});

test('RFC 6455 §5.5.1: a close frame without a code is reported as 1005 and answered with an empty close frame', (t) => {
  const s = server();
  s.receive(fromClient(8, ''));
  t.deepEqual(events(s), [{ type: 'close', code: 1005, reason: '' }]);
  t.deepEqual(sentFrames(s), [{ opcode: 8, fin: true, rsv: 0, payload: '' }]);
  t.deepEqual(s.closeOutcome(), { code: 1005, reason: '', wasClean: true });
  t.is(s.closeSent?.code, 1005);
});

test('RFC 6455 §7.1.2: data received while CLOSING is still delivered', (t) => {
  const s = server();
  s.close();
  s.receive(concat([fromClient(1, 'still'), fromClient(2, hex('01 02')), fromClient(8, closePayload(1000))]));
  t.deepEqual(events(s), [
    { type: 'text', data: 'still' },
    { type: 'binary', data: '01 02' },
    { type: 'close', code: 1000, reason: '' },
  ]);
});

test('RFC 6455 §5.5.1: frames after the peer’s close frame are ignored, even invalid ones', (t) => {
  const c = client();
  c.receive(concat([fromServer(8, closePayload(1000)), fromServer(1, 'ignored'), hex('ff ff ff')]));
  c.receive(fromServer(9, 'ignored too'));
  t.deepEqual(events(c), [{ type: 'close', code: 1000, reason: '' }]);
  t.deepEqual(sentFrames(c), [{ opcode: 8, fin: true, rsv: 0, payload: '03 e8' }]);
  t.is(c.error, undefined);
});

test('RFC 6455 §5.5.1: an invalid close payload from the peer fails the connection (1002, or 1007 for the reason)', (t) => {
  for (const [payload, code] of [
    [hex('03'), 1002],
    [hex('03 ed'), 1002],
    [hex('03 e8 ff'), 1007],
  ] as const) {
    const s = server();
    s.receive(fromClient(8, payload));
    const all = events(s);
    t.is(all.length, 1);
    t.like(all[0], { type: 'error', closeCode: code });
    t.is(sentFrames(s)[0]?.payload.slice(0, 5), code === 1002 ? '03 ea' : '03 ef');
    t.is(s.closeOutcome().code, 1006);
  }
});

test('RFC 6455 §7.1.2: send, sendFragment, ping and pong after close throw WS_ERR_CLOSED (side local)', (t) => {
  const connection = server();
  connection.close();
  for (const action of [
    () => connection.send('x'),
    () => connection.send(new Uint8Array(1)),
    () => connection.sendFragment('x', false),
    () => connection.ping(),
    () => connection.pong(),
  ]) {
    const error = t.throws(action, { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_CLOSED');
    t.is(error?.side, 'local');
  }
});

test('RFC 6455 §7.1.2: send after the peer’s close throws WS_ERR_CLOSED', (t) => {
  const connection = client();
  connection.receive(fromServer(8, closePayload(1000)));
  const error = t.throws(() => connection.send('late'), { instanceOf: WebSocketError });
  t.is(error?.code, 'WS_ERR_CLOSED');
});

test('close() is idempotent: a second call sends nothing', (t) => {
  const connection = server();
  connection.close(1000, 'first');
  t.is(sentFrames(connection).length, 1);
  connection.close(1001, 'second');
  t.is(connection.bytesToSend().length, 0);
  t.deepEqual(connection.closeSent, { code: 1000, reason: 'first' });
});

test('close() validates its code and reason, even when already closing', (t) => {
  for (const closing of [false, true]) {
    const connection = server();
    if (closing) connection.close();
    for (const [code, reason] of [
      [1004, ''],
      [1005, 'reason'],
      [1006, ''],
      [1015, ''],
      [999, ''],
      [5000, ''],
      [1000, 'x'.repeat(124)],
    ] as const) {
      const error = t.throws(() => connection.close(code, reason), { instanceOf: WebSocketError }, `${code} closing=${closing}`);
      t.is(error?.side, 'local');
    }
    t.is(connection.readyState, closing ? ReadyState.CLOSING : ReadyState.OPEN);
  }
});

test('close() without arguments sends 1000', (t) => {
  const connection = server();
  connection.close();
  t.deepEqual(sentFrames(connection), [{ opcode: 8, fin: true, rsv: 0, payload: '03 e8' }]);
});

test('close(1005) is refused like 1006 and 1015: 1005 is never sent', (t) => {
  const connection = server();
  const error = t.throws(() => connection.close(1005), { instanceOf: WebSocketError });
  t.is(error?.side, 'local');
  t.is(connection.readyState, ReadyState.OPEN);
  t.is(connection.bytesToSend().length, 0);
});

// ─── RFC 6455 §7.1.7 failing the connection ────────────────────────────────

test('RFC 6455 §7.1.7: a protocol error becomes an error event and a close frame with its code, and parsing stops', (t) => {
  const connection = server();
  // A valid message, then an unmasked frame (1002), then a message that must never be read.
  connection.receive(concat([fromClient(1, 'ok'), hex('81 01 61'), fromClient(1, 'never')]));
  const all = events(connection);
  t.deepEqual(all, [
    { type: 'text', data: 'ok' },
    { type: 'error', code: 'WS_ERR_UNMASKED_FRAME', closeCode: 1002 },
  ]);
  t.true(connection.error instanceof WebSocketError);
  t.is(connection.error?.side, 'remote');
  const [close] = sentFrames(connection);
  t.is(close?.opcode, 8);
  t.is(close?.payload.slice(0, 5), '03 ea');
  t.true(connection.shouldCloseTransport);
  t.true(connection.closeExpected);
  t.is(connection.readyState, ReadyState.CLOSING);
  connection.receive(fromClient(1, 'ignored'));
  t.deepEqual(events(connection), []);
  t.deepEqual(connection.closeOutcome(), { code: 1006, reason: '', wasClean: false });
});

test('RFC 6455 §8.1: invalid UTF-8 fails the connection with 1007', (t) => {
  const connection = client();
  connection.receive(fromServer(1, hex('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64')));
  t.deepEqual(events(connection), [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 ef');
});

test('RFC 6455 §7.1.7: a frame over maxPayload fails with 1009', (t) => {
  const connection = server({ maxPayload: 10 });
  connection.receive(fromClient(2, new Uint8Array(11)));
  t.deepEqual(events(connection), [{ type: 'error', code: 'WS_ERR_PAYLOAD_TOO_BIG', closeCode: 1009 }]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 f1');
});

test('an error after we sent close sends no second close frame', (t) => {
  const connection = server();
  connection.close(1000);
  drainBytes(connection);
  connection.receive(hex('81 00')); // unmasked
  t.like(events(connection)[0], { type: 'error', closeCode: 1002 });
  t.is(connection.bytesToSend().length, 0);
  t.true(connection.shouldCloseTransport);
});

test('fail() fails the connection from our side with the error’s close code', (t) => {
  const connection = client();
  connection.fail(new WebSocketError('WS_ERR_HANDLER', 'handler threw', { closeCode: 1011, side: 'local' }));
  t.deepEqual(events(connection), [{ type: 'error', code: 'WS_ERR_HANDLER', closeCode: 1011 }]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 f3');
  t.true(connection.shouldCloseTransport);
});

test('RFC 6455 §7.1.5: closeOutcome is 1006 and not clean when the transport ends without a close frame', (t) => {
  const connection = client();
  connection.receive(fromServer(1, 'hi'));
  connection.receiveEof();
  t.is(connection.readyState, ReadyState.CLOSED);
  t.true(connection.eofReceived);
  t.deepEqual(connection.closeOutcome(), { code: 1006, reason: '', wasClean: false });
  connection.receive(fromServer(1, 'after eof'));
  t.deepEqual(events(connection), [{ type: 'text', data: 'hi' }]);
});

test('closeOutcome is not clean when the peer closed but we never answered (transport gone first)', (t) => {
  const connection = client();
  connection.receiveEof();
  connection.receive(fromServer(8, closePayload(1000)));
  t.deepEqual(connection.closeOutcome(), { code: 1006, reason: '', wasClean: false });
});

// ─── RFC 6455 §5.3 client masking ──────────────────────────────────────────

test('RFC 6455 §5.3 and §5.7: the client masks every frame; with the example key "Hello" is the example frame', (t) => {
  const connection = client();
  connection.send('Hello');
  t.is(toHex(drainBytes(connection)), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  connection.send(hex('01 02 03'));
  connection.send('x'.repeat(200));
  connection.send(new Uint8Array(2000));
  connection.ping(utf8Bytes('Hello'));
  connection.pong(utf8Bytes('Hello'));
  connection.sendFragment('a', false);
  connection.sendFragment(hex('62'), true);
  connection.close(1000, 'bye');
  const bytes = drainBytes(connection);
  // Read by a server, which refuses any unmasked frame.
  const { frames, error } = parseChunks([bytes], { role: 'server' });
  t.is(error, undefined);
  t.deepEqual(
    frames.map((f) => [f.opcode, f.fin, f.payload.length]),
    [
      [2, true, 8],
      [1, true, 599],
      [2, true, 5999],
      [9, true, 14],
      [10, true, 14],
      [1, false, 2],
      [0, true, 2],
      [8, true, 14],
    ],
  );
  t.true(toHex(bytes).includes('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), 'the example masked pong');
});

test('the server never masks its frames', (t) => {
  const connection = server();
  connection.send('Hello');
  connection.send(hex('01'));
  connection.ping();
  connection.close();
  const { error } = parseChunks([drainBytes(connection)], { role: 'client' });
  t.is(error, undefined);
});

test('each frame of a client draws a new mask key', (t) => {
  let next = 1;
  const connection = client({ maskKey: () => next++ * 0x01010101 });
  connection.send('a');
  connection.send('a');
  const bytes = drainBytes(connection);
  t.is(toHex(bytes), '81 81 01 01 01 01 60 81 81 02 02 02 02 63');
});

// ─── RFC 6455 §5.4 sending fragments ───────────────────────────────────────

test('RFC 6455 §5.4: sendFragment sends the opcode first, then continuations, FIN on the last', (t) => {
  const connection = server();
  connection.sendFragment('Hel', false);
  t.true(connection.fragmenting);
  connection.ping();
  connection.sendFragment('l', false);
  connection.sendFragment('o', true);
  t.false(connection.fragmenting);
  t.is(toHex(drainBytes(connection)), '01 03 48 65 6c 89 00 00 01 6c 80 01 6f');
  connection.sendFragment(hex('aa'), false);
  connection.sendFragment(hex('bb'), true);
  t.is(toHex(drainBytes(connection)), '02 01 aa 80 01 bb');
  connection.sendFragment('whole', true);
  t.is(toHex(drainBytes(connection)), '81 05 77 68 6f 6c 65');
});

test('RFC 6455 §5.4: send() during a fragmented message throws WS_ERR_INVALID_STATE, and works again after FIN', (t) => {
  const connection = server();
  connection.sendFragment('a', false);
  for (const data of ['x', hex('01')]) {
    const error = t.throws(() => connection.send(data), { instanceOf: WebSocketError });
    t.is(error?.code, 'WS_ERR_INVALID_STATE');
    t.is(error?.side, 'local');
  }
  connection.sendFragment('b', true);
  t.notThrows(() => connection.send('c'));
});

test('a connection reading its own fragmented send gets one message back', (t) => {
  const c = client();
  const s = server();
  c.sendFragment('€', false);
  c.sendFragment('😀', false);
  c.sendFragment('', true);
  deliver(c, s);
  t.deepEqual(events(s), [{ type: 'text', data: '€😀' }]);
});

// ─── extensions (RFC 6455 §9): asynchronous transforms keep order ──────────

const xor = (data: Uint8Array): Uint8Array => data.map((b) => b ^ 0x01);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fake extension claiming RSV1 whose decode/encode XOR every byte with 1
 * and resolve after delays that shrink call by call, so that later calls
 * finish first (reverse order).
 */
class ReverseOrderExtension implements Extension {
  readonly name = 'x-reverse-order';
  readonly rsvMask = 0x40;
  readonly params = [];
  decodeCalls = 0;
  encodeCalls = 0;
  disposed = false;
  /** What the n-th decode does instead of decoding. */
  decodeOverride: ((n: number, data: Uint8Array) => Promise<Uint8Array>) | undefined;
  encodeOverride: ((n: number) => Promise<EncodedMessage>) | undefined;

  decode(chunks: readonly Uint8Array[], rsv: number): Promise<Uint8Array> {
    const n = this.decodeCalls++;
    if (rsv !== 0x40) return Promise.reject(new Error(`decode called with rsv ${rsv}`));
    const data = concat(chunks);
    if (this.decodeOverride) return this.decodeOverride(n, data);
    return sleep(Math.max(1, 40 - 10 * n)).then(() => xor(data));
  }

  encode(data: Uint8Array): Promise<EncodedMessage> {
    const n = this.encodeCalls++;
    if (this.encodeOverride) return this.encodeOverride(n);
    const encoded = xor(data);
    return sleep(Math.max(1, 40 - 10 * n)).then(() => ({ data: encoded, rsv: 0x40 }));
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** A connection with the fake extension, and a promise of the next `onAsyncReady`. */
function withExtension(role: 'client' | 'server') {
  const extension = new ReverseOrderExtension();
  let ready = 0;
  let wake: (() => void) | undefined;
  const connection = new Connection({
    role,
    extensions: [extension],
    maskKey: () => RFC_KEY,
    onAsyncReady: () => {
      ready++;
      wake?.();
    },
  });
  /** Wait until `condition` holds, re-checking at every onAsyncReady. */
  const until = async (condition: () => boolean): Promise<void> => {
    const deadline = Date.now() + 2000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for onAsyncReady');
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(50)]);
    }
  };
  return { connection, extension, until, readyCount: () => ready };
}

/** A compressed (RSV1) frame from a client: the payload XORed as the fake extension encodes. */
const compressed = (opcode: 1 | 2, payload: Uint8Array | string, fin = true) =>
  fromClient(opcode, xor(typeof payload === 'string' ? utf8Bytes(payload) : payload), fin, 0x40);

test('RFC 6455 §9: asynchronous decodes finishing in reverse order still deliver messages in order, onAsyncReady is called', async (t) => {
  const { connection, extension, until, readyCount } = withExtension('server');
  connection.receive(
    concat([
      compressed(1, 'first'),
      fromClient(9, 'ping'),
      fromClient(1, 'plain (no RSV1)'),
      compressed(2, hex('00 01 02')),
      compressed(1, 'fourth'),
    ]),
  );
  // The first decode is the slowest: nothing is ready yet, but the pong already went out.
  t.is(connection.nextEvent(), undefined);
  t.deepEqual(sentFrames(connection), [{ opcode: 10, fin: true, rsv: 0, payload: toHex(utf8Bytes('ping')) }]);
  const collected: PlainEvent[] = [];
  await until(() => {
    collected.push(...events(connection));
    return collected.length === 5;
  });
  t.deepEqual(collected, [
    { type: 'text', data: 'first' },
    { type: 'ping', data: toHex(utf8Bytes('ping')) },
    { type: 'text', data: 'plain (no RSV1)' },
    { type: 'binary', data: '00 01 02' },
    { type: 'text', data: 'fourth' },
  ]);
  t.is(extension.decodeCalls, 3);
  t.true(readyCount() >= 1);
});

test('RFC 6455 §9: asynchronous encodes finishing in reverse order go out in order, and a close queued after them goes out last', async (t) => {
  const { connection, until } = withExtension('server');
  connection.send('one');
  connection.send(hex('02 02'));
  connection.send('three');
  t.is(connection.pendingBytes, 0);
  t.is(connection.bytesToSend().length, 0, 'nothing is written before the first encode finishes');
  connection.ping(utf8Bytes('p')); // control frames may overtake pending messages
  t.deepEqual(sentFrames(connection), [{ opcode: 9, fin: true, rsv: 0, payload: '70' }]);
  connection.close(1000, 'bye');
  t.is(connection.readyState, ReadyState.CLOSING);
  t.true(connection.closeExpected);
  t.throws(() => connection.send('too late'), { instanceOf: WebSocketError });
  const frames: PlainFrame[] = [];
  await until(() => {
    frames.push(...sentFrames(connection));
    return frames.length === 4;
  });
  t.deepEqual(frames, [
    { opcode: 1, fin: true, rsv: 0x40, payload: toHex(xor(utf8Bytes('one'))) },
    { opcode: 2, fin: true, rsv: 0x40, payload: toHex(xor(hex('02 02'))) },
    { opcode: 1, fin: true, rsv: 0x40, payload: toHex(xor(utf8Bytes('three'))) },
    { opcode: 8, fin: true, rsv: 0, payload: toHex(concat([hex('03 e8'), utf8Bytes('bye')])) },
  ]);
});

test('RFC 6455 §9: a close echo queued behind a pending encode goes out after it', async (t) => {
  const { connection, until } = withExtension('server');
  connection.send('pending');
  connection.receive(fromClient(8, closePayload(1000)));
  t.like(connection.nextEvent(), { type: 'close', code: 1000 });
  t.is(connection.bytesToSend().length, 0);
  const frames: PlainFrame[] = [];
  await until(() => {
    frames.push(...sentFrames(connection));
    return frames.length === 2;
  });
  t.deepEqual(
    frames.map((f) => f.opcode),
    [1, 8],
  );
});

test('RFC 6455 §9: the client masks frames produced by an asynchronous encode', async (t) => {
  const { connection, until } = withExtension('client');
  connection.send('Hello');
  let bytes: Uint8Array = new Uint8Array(0);
  await until(() => (bytes = drainBytes(connection)).length > 0);
  // "Hello" XOR 1 = "Idmmn", RSV1 set, masked with the example key.
  t.is(toHex(bytes), toHex(encodeFrame({ opcode: 1, fin: true, rsv: 0x40, payload: utf8Bytes('Idmmn') }, RFC_KEY)));
});

test('RFC 6455 §9: a decode that rejects fails the connection (1011), after the messages before it', async (t) => {
  const { connection, extension, until } = withExtension('server');
  extension.decodeOverride = (n, data) =>
    n === 1 ? sleep(5).then(() => Promise.reject(new Error('inflate failed'))) : sleep(20).then(() => xor(data));
  connection.receive(concat([compressed(1, 'before'), compressed(1, 'broken'), compressed(1, 'after')]));
  const collected: PlainEvent[] = [];
  await until(() => {
    collected.push(...events(connection));
    return collected.some((e) => e.type === 'error');
  });
  await sleep(30); // let the third decode finish too: it must not appear
  collected.push(...events(connection));
  t.deepEqual(collected, [
    { type: 'text', data: 'before' },
    { type: 'error', code: 'WS_ERR_EXTENSION_FAILED', closeCode: 1011 },
  ]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 f3');
  t.true(connection.shouldCloseTransport);
});

test('RFC 6455 §9: a decode that rejects with a WebSocketError fails the connection with its close code', async (t) => {
  const { connection, extension, until } = withExtension('server');
  extension.decodeOverride = () => Promise.reject(new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', 'inflated too much', { closeCode: 1009 }));
  connection.receive(compressed(2, hex('00')));
  const collected: PlainEvent[] = [];
  await until(() => collected.push(...events(connection)) > 0);
  t.deepEqual(collected, [{ type: 'error', code: 'WS_ERR_MESSAGE_TOO_BIG', closeCode: 1009 }]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 f1');
});

test('RFC 6455 §8.1: decoded text that is not valid UTF-8 fails the connection with 1007', async (t) => {
  const { connection, until } = withExtension('server');
  connection.receive(compressed(1, hex('68 69 ff')));
  const collected: PlainEvent[] = [];
  await until(() => collected.push(...events(connection)) > 0);
  t.deepEqual(collected, [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  t.is(sentFrames(connection)[0]?.payload.slice(0, 5), '03 ef');
});

test('RFC 6455 §9: an encode that rejects fails the connection (1011) after the frames before it', async (t) => {
  const { connection, extension, until } = withExtension('server');
  extension.encodeOverride = (n) =>
    n === 1 ? Promise.reject(new Error('deflate failed')) : sleep(10).then(() => ({ data: utf8Bytes(`m${n}`), rsv: 0x40 }));
  connection.send('a');
  connection.send('b');
  const collected: PlainEvent[] = [];
  const frames: PlainFrame[] = [];
  await until(() => {
    collected.push(...events(connection));
    frames.push(...sentFrames(connection));
    return frames.length === 2;
  });
  t.deepEqual(collected, [{ type: 'error', code: 'WS_ERR_EXTENSION_FAILED', closeCode: 1011 }]);
  t.deepEqual(
    frames.map((f) => [f.opcode, f.payload]),
    [
      [1, toHex(utf8Bytes('m0'))],
      [8, toHex(concat([hex('03 f3'), utf8Bytes('deflate failed')]))],
    ],
  );
});

test('RFC 6455 §9: a protocol error behind a pending decode is reported after the decoded message', async (t) => {
  const { connection, until } = withExtension('server');
  connection.receive(concat([compressed(1, 'decoded'), hex('81 00')])); // then an unmasked frame: 1002
  t.is(connection.nextEvent(), undefined);
  t.true(connection.shouldCloseTransport);
  const collected: PlainEvent[] = [];
  await until(() => {
    collected.push(...events(connection));
    return collected.some((e) => e.type === 'error');
  });
  t.deepEqual(collected, [
    { type: 'text', data: 'decoded' },
    { type: 'error', code: 'WS_ERR_UNMASKED_FRAME', closeCode: 1002 },
  ]);
});

test('RFC 6455 §9: a decode that rejects after the connection already failed does not block the error event', async (t) => {
  const { connection, extension, until } = withExtension('server');
  extension.decodeOverride = () => sleep(5).then(() => Promise.reject(new Error('late failure')));
  connection.receive(concat([compressed(1, 'x'), hex('81 00')]));
  const collected: PlainEvent[] = [];
  await until(() => {
    collected.push(...events(connection));
    return collected.some((e) => e.type === 'error');
  });
  t.deepEqual(collected, [{ type: 'error', code: 'WS_ERR_UNMASKED_FRAME', closeCode: 1002 }]);
});

test('sendFragment bypasses the extensions: fragments go out without RSV bits', (t) => {
  const { connection } = withExtension('server');
  connection.sendFragment('a', false);
  connection.sendFragment('b', true);
  t.is(toHex(drainBytes(connection)), '01 01 61 80 01 62');
});

test('RSV1 is refused when no extension claims it', (t) => {
  const connection = server();
  connection.receive(compressed(1, 'x'));
  t.deepEqual(events(connection), [{ type: 'error', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002 }]);
});

test('queuedEvents counts events still waiting, including those behind a pending decode', async (t) => {
  const { connection, until } = withExtension('server');
  connection.receive(concat([compressed(1, 'a'), fromClient(10, '')]));
  t.is(connection.queuedEvents, 2);
  await until(() => connection.queuedEvents === 2 && connection.nextEvent() !== undefined);
  t.is(connection.queuedEvents, 1);
});

test('RFC 6455 §7: the state says who closed first: closing-by-us → closed-by-us on our side, closed-by-peer on theirs, ended at EOF', (t) => {
  const s = server();
  const c = client();
  t.is(s.state, 'open');
  s.close(1000);
  t.is(s.state, 'closing-by-us');
  deliver(s, c);
  t.is(c.state, 'closed-by-peer');
  deliver(c, s);
  t.is(s.state, 'closed-by-us');
  t.false(s.eofReceived);
  s.receiveEof();
  t.is(s.state, 'ended');
  t.true(s.eofReceived);
  t.is(s.readyState, ReadyState.CLOSED);
});

test('RFC 6455 §7.1.7: a violation by the peer fails the connection (a remote error event), sending after it is a local WS_ERR_CLOSED', (t) => {
  const s = server();
  s.receive(fromClient(3 as Frame['opcode'], 'x'));
  const [event] = events(s);
  t.is(event?.type, 'error');
  t.is(s.state, 'failed');
  t.is(s.error?.side, 'remote');
  const error = t.throws(() => s.send('late'), { instanceOf: WebSocketError });
  t.is(error?.side, 'local');
  t.is(error?.code, 'WS_ERR_CLOSED');
});
