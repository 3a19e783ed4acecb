import test from 'ava';
import fc from 'fast-check';
import { FrameParser, type FrameSink } from '../../src/protocol/parser.js';
import { WebSocketError, type WebSocketErrorCode } from '../../src/protocol/errors.js';
import {
  CollectingSink,
  RFC_KEY,
  concat,
  drainBytes,
  garbageProperty,
  hex,
  parseChunks,
  pattern,
  roundTripProperty,
  runConnection,
  split,
  splitProperty,
  toHex,
} from './arbitraries.js';
import { Connection } from '../../src/protocol/connection.js';

const MiB = 1024 * 1024;

/** Records every sink call, payload pieces unmasked (from a copy). */
class RecordingSink implements FrameSink {
  calls: string[] = [];
  onFrameHeader(fin: boolean, rsv: number, opcode: number, length: number): void {
    this.calls.push(`header fin=${fin} rsv=${rsv} op=${opcode} len=${length}`);
  }
  onFramePayload(_chunk: Uint8Array, start: number, end: number): void {
    this.calls.push(`payload ${end - start}`);
  }
  onFrameEnd(): void {
    this.calls.push('end');
  }
}

/** Parse `bytes` whole and one byte at a time; both must agree. */
function parseBoth(bytes: Uint8Array, role: 'client' | 'server', rsvAllowed = 0) {
  const whole = parseChunks([bytes.slice()], { role, rsvAllowed });
  const bytewise = parseChunks(split(bytes, { kind: 'bytes' }), { role, rsvAllowed });
  return { whole, bytewise };
}

// ─── RFC 6455 §5.7 examples ────────────────────────────────────────────────

const hello = '48 65 6c 6c 6f';

test('RFC 6455 §5.7: a single-frame unmasked text message "Hello" is read by a client', (t) => {
  const { whole, bytewise } = parseBoth(hex('81 05 48 65 6c 6c 6f'), 'client');
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames, [{ opcode: 1, fin: true, rsv: 0, payload: hello }]);
  t.deepEqual(bytewise, whole);
});

test('RFC 6455 §5.7: a single-frame masked text message "Hello" is read by a server', (t) => {
  const { whole, bytewise } = parseBoth(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), 'server');
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames, [{ opcode: 1, fin: true, rsv: 0, payload: hello }]);
  t.deepEqual(bytewise, whole);
});

test('RFC 6455 §5.7: a fragmented unmasked text message "Hel" + "lo" is two frames and one message', (t) => {
  const bytes = hex('01 03 48 65 6c 80 02 6c 6f');
  const { whole, bytewise } = parseBoth(bytes, 'client');
  t.deepEqual(whole.frames, [
    { opcode: 1, fin: false, rsv: 0, payload: '48 65 6c' },
    { opcode: 0, fin: true, rsv: 0, payload: '6c 6f' },
  ]);
  t.deepEqual(bytewise, whole);
  for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }] as const) {
    t.deepEqual(runConnection(split(bytes, spec), { role: 'client' }).events, [{ type: 'text', data: 'Hello' }]);
  }
});

test('RFC 6455 §5.7: an unmasked ping "Hello" is read by a client, and a masked pong "Hello" by a server', (t) => {
  const ping = parseBoth(hex('89 05 48 65 6c 6c 6f'), 'client');
  t.deepEqual(ping.whole.frames, [{ opcode: 9, fin: true, rsv: 0, payload: hello }]);
  t.deepEqual(ping.bytewise, ping.whole);
  const pong = parseBoth(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), 'server');
  t.deepEqual(pong.whole.frames, [{ opcode: 10, fin: true, rsv: 0, payload: hello }]);
  t.deepEqual(pong.bytewise, pong.whole);
});

test('RFC 6455 §5.7: a client answers the example ping with exactly the example masked pong', (t) => {
  const connection = new Connection({ role: 'client', maskKey: () => RFC_KEY });
  connection.receive(hex('89 05 48 65 6c 6c 6f'));
  t.like(connection.nextEvent(), { type: 'ping' });
  t.is(toHex(drainBytes(connection)), '8a 85 37 fa 21 3d 7f 9f 4d 51 58');
});

test('RFC 6455 §5.7: a 256-byte unmasked binary message uses the 16-bit length form', (t) => {
  const payload = pattern(256, 7);
  const bytes = concat([hex('82 7e 01 00'), payload]);
  const { whole, bytewise } = parseBoth(bytes, 'client');
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames, [{ opcode: 2, fin: true, rsv: 0, payload: toHex(payload) }]);
  t.deepEqual(bytewise, whole);
});

test('RFC 6455 §5.7: a 64 KiB unmasked binary message uses the 64-bit length form', (t) => {
  const payload = pattern(65_536, 9);
  const bytes = concat([hex('82 7f 00 00 00 00 00 01 00 00'), payload]);
  const whole = parseChunks([bytes.slice()], { role: 'client' });
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames, [{ opcode: 2, fin: true, rsv: 0, payload: toHex(payload) }]);
  // Split inside the 10-byte header and then in odd-sized chunks.
  const pieces = parseChunks(split(bytes, { kind: 'cuts', cuts: [1, 3, 9, 10, 11, 4000, 40_000] }), { role: 'client' });
  t.deepEqual(pieces, whole);
});

test('a masked 64 KiB binary frame read by a server is unmasked correctly in any chunking', (t) => {
  const payload = pattern(65_536, 11);
  const header = hex('82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d');
  const masked = payload.slice();
  for (let i = 0; i < masked.length; i++) masked[i]! ^= [0x37, 0xfa, 0x21, 0x3d][i & 3]!;
  const bytes = concat([header, masked]);
  for (const spec of [{ kind: 'whole' }, { kind: 'size', size: 4097 }, { kind: 'cuts', cuts: [13, 14, 15, 17, 30_001] }] as const) {
    const { frames, error } = parseChunks(split(bytes, spec), { role: 'server' });
    t.is(error, undefined);
    t.deepEqual(frames, [{ opcode: 2, fin: true, rsv: 0, payload: toHex(payload) }], spec.kind);
  }
});

test('a zero-length frame is a header and an end with no payload call', (t) => {
  const sink = new RecordingSink();
  new FrameParser({ role: 'client', maxPayload: MiB }, sink).push(hex('82 00 89 00'));
  t.deepEqual(sink.calls, ['header fin=true rsv=0 op=2 len=0', 'end', 'header fin=true rsv=0 op=9 len=0', 'end']);
});

test('payload pieces are reported as ranges of the pushed chunk with the key and its phase', (t) => {
  const pieces: [number, number, number, number][] = [];
  const sink: FrameSink = {
    onFrameHeader() {},
    onFramePayload(_chunk, start, end, key, phase) {
      pieces.push([start, end, key, phase]);
    },
    onFrameEnd() {},
  };
  const parser = new FrameParser({ role: 'server', maxPayload: MiB }, sink);
  const bytes = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
  parser.push(bytes.slice(0, 7)); // header + 1 payload byte
  parser.push(bytes.slice(7, 9));
  parser.push(bytes.slice(9));
  t.deepEqual(pieces, [
    [6, 7, RFC_KEY, 0],
    [0, 2, RFC_KEY, 1],
    [0, 2, RFC_KEY, 3],
  ]);
});

// ─── RFC 6455 §5.2 rejections ──────────────────────────────────────────────

interface Rejection {
  readonly title: string;
  readonly role: 'client' | 'server';
  readonly bytes: string;
  readonly code: WebSocketErrorCode;
  readonly closeCode: number;
  readonly rsvAllowed?: number;
  readonly maxPayload?: number;
}

const rejections: Rejection[] = [
  { title: 'RSV1 without a negotiated extension', role: 'client', bytes: 'c1 00', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002 },
  { title: 'RSV2 without a negotiated extension', role: 'client', bytes: 'a1 00', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002 },
  { title: 'RSV3 without a negotiated extension', role: 'client', bytes: '91 00', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002 },
  { title: 'RSV2 when only RSV1 is negotiated', role: 'client', bytes: 'e1 00', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002, rsvAllowed: 0x40 },
  { title: 'RSV1 on a control frame even when RSV1 is negotiated', role: 'client', bytes: 'c9 00', code: 'WS_ERR_UNEXPECTED_RSV', closeCode: 1002, rsvAllowed: 0x40 },
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map(
    (opcode): Rejection => ({
      title: `reserved opcode 0x${opcode.toString(16)}`,
      role: 'client',
      bytes: `${(0x80 | opcode).toString(16)} 00`,
      code: 'WS_ERR_INVALID_OPCODE',
      closeCode: 1002,
    }),
  ),
  { title: 'a ping of 126 bytes (16-bit length form)', role: 'client', bytes: '89 7e 00 7e', code: 'WS_ERR_CONTROL_FRAME_TOO_LONG', closeCode: 1002 },
  { title: 'a close frame with the 64-bit length form', role: 'client', bytes: '88 7f 00 00 00 00 00 00 00 01', code: 'WS_ERR_CONTROL_FRAME_TOO_LONG', closeCode: 1002 },
  { title: 'a fragmented ping (FIN clear)', role: 'client', bytes: '09 00', code: 'WS_ERR_FRAGMENTED_CONTROL_FRAME', closeCode: 1002 },
  { title: 'a fragmented close (FIN clear)', role: 'server', bytes: '08 80 00 00 00 00', code: 'WS_ERR_FRAGMENTED_CONTROL_FRAME', closeCode: 1002 },
  { title: 'an unmasked client frame at a server', role: 'server', bytes: '81 05 48 65 6c 6c 6f', code: 'WS_ERR_UNMASKED_FRAME', closeCode: 1002 },
  { title: 'a masked server frame at a client', role: 'client', bytes: '81 85 37 fa 21 3d 7f 9f 4d 51 58', code: 'WS_ERR_MASKED_FRAME', closeCode: 1002 },
  { title: 'a 64-bit length with its most significant bit set', role: 'client', bytes: '82 7f 80 00 00 00 00 00 00 00', code: 'WS_ERR_INVALID_LENGTH', closeCode: 1002 },
  { title: 'a 64-bit length above 2^53 - 1', role: 'client', bytes: '82 7f 00 20 00 00 00 00 00 00', code: 'WS_ERR_PAYLOAD_TOO_BIG', closeCode: 1009 },
  { title: 'a 4 GiB frame over maxPayload', role: 'client', bytes: '82 7f 00 00 00 01 00 00 00 00', code: 'WS_ERR_PAYLOAD_TOO_BIG', closeCode: 1009, maxPayload: MiB },
  { title: 'a 256-byte frame over a maxPayload of 255', role: 'server', bytes: '82 fe 01 00 01 02 03 04', code: 'WS_ERR_PAYLOAD_TOO_BIG', closeCode: 1009, maxPayload: 255 },
  { title: 'a 126-byte frame over a maxPayload of 125', role: 'client', bytes: '81 7e 00 7e', code: 'WS_ERR_PAYLOAD_TOO_BIG', closeCode: 1009, maxPayload: 125 },
];

for (const r of rejections) {
  test(`RFC 6455 §5.2: ${r.title} fails with ${r.code} (close ${r.closeCode}) from the header alone`, (t) => {
    for (const spec of [{ kind: 'whole' }, { kind: 'bytes' }] as const) {
      const sink = new RecordingSink();
      const parser = new FrameParser({ role: r.role, maxPayload: r.maxPayload ?? MiB, rsvAllowed: r.rsvAllowed ?? 0 }, sink);
      // The header plus a few payload bytes after it: none of them may reach the sink.
      const chunks = split(concat([hex(r.bytes), pattern(16, 1)]), spec);
      let error: unknown;
      for (const chunk of chunks) {
        try {
          parser.push(chunk);
        } catch (caught) {
          error = caught;
          break;
        }
      }
      t.true(error instanceof WebSocketError, spec.kind);
      const e = error as WebSocketError;
      t.is(e.code, r.code);
      t.is(e.closeCode, r.closeCode);
      t.is(e.side, 'remote');
      t.deepEqual(sink.calls, [], 'nothing was delivered to the sink');
      t.true(parser.failed);
    }
  });
}

test('RFC 6455 §5.2: RSV1 is accepted on data frames when rsvAllowed is 0x40', (t) => {
  const { whole, bytewise } = parseBoth(hex('c1 05 48 65 6c 6c 6f 41 00'), 'client', 0x40);
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames, [
    { opcode: 1, fin: true, rsv: 0x40, payload: hello },
    { opcode: 1, fin: false, rsv: 0x40, payload: '' },
  ]);
  t.deepEqual(bytewise, whole);
});

test('the rsvAllowed and maxPayload setters apply to the next header', (t) => {
  const sink = new RecordingSink();
  const parser = new FrameParser({ role: 'client', maxPayload: 4 }, sink);
  parser.rsvAllowed = 0x40;
  parser.maxPayload = 5;
  parser.push(hex('c1 05 48 65 6c 6c 6f'));
  t.deepEqual(sink.calls, ['header fin=true rsv=64 op=1 len=5', 'payload 5', 'end']);
  parser.maxPayload = 4;
  t.throws(() => parser.push(hex('82 05')), { instanceOf: WebSocketError, message: /exceeds the limit/ });
});

test('a payload of exactly maxPayload bytes is accepted', (t) => {
  const { frames, error } = parseChunks([concat([hex('82 7e 01 00'), pattern(256, 3)])], { role: 'client', maxPayload: 256 });
  t.is(error, undefined);
  t.is(frames.length, 1);
});

test('a frame over maxPayload fails before any payload byte arrives', (t) => {
  const sink = new RecordingSink();
  const parser = new FrameParser({ role: 'client', maxPayload: MiB }, sink);
  parser.push(hex('82 7f 00 00 00 00'));
  const error = t.throws(() => parser.push(hex('00 10 00 01')), { instanceOf: WebSocketError });
  t.is(error?.closeCode, 1009);
  t.deepEqual(sink.calls, []);
});

test('the parser stays failed after an error and ignores further input', (t) => {
  const sink = new RecordingSink();
  const parser = new FrameParser({ role: 'server', maxPayload: MiB }, sink);
  t.throws(() => parser.push(hex('81 05 48 65 6c 6c 6f')), { instanceOf: WebSocketError });
  t.true(parser.failed);
  t.notThrows(() => parser.push(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58')));
  t.notThrows(() => parser.push(hex('ff ff ff')));
  t.deepEqual(sink.calls, []);
});

test('stop() makes the parser ignore further input', (t) => {
  const sink = new RecordingSink();
  const parser = new FrameParser({ role: 'client', maxPayload: MiB }, sink);
  parser.push(hex('81 05 48 65'));
  parser.stop();
  parser.push(hex('6c 6c 6f 81 00'));
  t.true(parser.failed);
  t.deepEqual(sink.calls, ['header fin=true rsv=0 op=1 len=5', 'payload 2']);
});

test('the parser unmasks nothing itself: a collecting sink sees the original chunk untouched', (t) => {
  const bytes = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
  const sink = new CollectingSink(); // unmasks copies
  new FrameParser({ role: 'server', maxPayload: MiB }, sink).push(bytes);
  t.is(toHex(bytes), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
});

// ─── properties ────────────────────────────────────────────────────────────

test('property (a): any split of an encoded stream gives the same frames and the same messages', (t) => {
  t.notThrows(() => fc.assert(splitProperty(), { numRuns: 1000 }));
});

test('property (b): encodeFrame → parse round-trips every opcode, FIN, RSV, mask and length form', (t) => {
  t.notThrows(() => fc.assert(roundTripProperty(), { numRuns: 1000 }));
});

test('property (c): arbitrary bytes in arbitrary chunks only ever fail a connection with 1002, 1007 or 1009', (t) => {
  t.notThrows(() => fc.assert(garbageProperty(), { numRuns: 1000 }));
});
